"""Authentication when vrmon serves beyond loopback: a headset pairs once with a short one-time
code printed where vrmon runs (typing a long token on a headset is miserable), and gets a session
cookie; scripts and `vrmon tail` send the --token as `Authorization: Bearer`.

Codes are six digits, valid 10 minutes and good for one pairing. Five wrong tries void the code
and lock pairing for 10 minutes, so guessing takes years (5 tries in 10^6 per 10 minutes). Sessions
live in memory: restarting vrmon asks every browser to pair again.
"""

from __future__ import annotations

import hmac
import html
import secrets
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from string import Template
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_LIFETIME_S = 600.0
MAX_WRONG_TRIES = 5
LOCKOUT_S = 600.0
MAX_SESSIONS = 256  # the oldest session is forgotten beyond this
SESSION_COOKIE = "vrmon_session"
SESSION_MAX_AGE_S = 30 * 86400
MAX_FORM_BYTES = 1024


class PairingRefused(Exception):
    """A code was not accepted; the message is for the person holding the headset."""


def spaced(code: str) -> str:
    """'482913' → '482 913': easier to read aloud and to type."""
    return f"{code[:3]} {code[3:]}"


def print_code(code: str) -> None:
    print(f"vrmon: pairing code {spaced(code)} (valid {CODE_LIFETIME_S / 60:g} minutes, one use)", file=sys.stderr, flush=True)


class Pairing:
    """The authentication gate (see vrmon.security.Gate): pairing codes, sessions and the token."""

    open_paths = frozenset({"/pair", "/static/css/pair.css"})

    def __init__(self, token: str = "", announce: Callable[[str], None] = print_code,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.announce = announce  # tells the person at vrmon's console a new code
        self.clock = clock  # tests step it instead of sleeping
        self._code: str | None = None
        self._expires = 0.0
        self._wrong = 0
        self._locked_until = 0.0
        self._sessions: OrderedDict[str, None] = OrderedDict()

    def current_code(self) -> str | None:
        """The code to type now, issuing and announcing a new one if none is valid; None while locked."""
        now = self.clock()
        if now < self._locked_until:
            return None
        if self._code is None or now >= self._expires:
            self._code = f"{secrets.randbelow(10**6):06d}"
            self._expires = now + CODE_LIFETIME_S
            self._wrong = 0
            self.announce(self._code)
        return self._code

    def locked_for(self) -> float:
        return max(0.0, self._locked_until - self.clock())

    def pair(self, typed: str) -> str:
        """A new session id for a right code; PairingRefused says why not."""
        now = self.clock()
        if now < self._locked_until:
            raise PairingRefused(f"Too many wrong codes: pairing is locked for {_minutes(self.locked_for())}. "
                                 "Then a new code appears where vrmon runs.")
        if self._code is None or now >= self._expires:
            self._code = None
            self.current_code()
            raise PairingRefused("That code has expired. vrmon has just printed a new one where it runs.")
        digits = "".join(ch for ch in typed if ch.isdigit())
        if not hmac.compare_digest(digits.encode(), self._code.encode()):
            self._wrong += 1
            if self._wrong >= MAX_WRONG_TRIES:
                self._code = None
                self._locked_until = now + LOCKOUT_S
                raise PairingRefused(f"Wrong code {MAX_WRONG_TRIES} times: pairing is locked for "
                                     f"{_minutes(LOCKOUT_S)}. Then a new code appears where vrmon runs.")
            left = MAX_WRONG_TRIES - self._wrong
            raise PairingRefused(f"Wrong code. {left} {'try' if left == 1 else 'tries'} left before pairing locks.")
        self._code = None  # one use: the next browser gets a new code
        session = secrets.token_urlsafe(32)
        self._sessions[session] = None
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def authenticated(self, headers: dict[str, str]) -> bool:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if self.token and scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.token.encode()):
            return True
        try:
            cookie = SimpleCookie(headers.get("cookie", ""))
        except CookieError:
            return False
        session = cookie.get(SESSION_COOKIE)
        return session is not None and session.value in self._sessions


def pairing_routes(pairing: Pairing, static_dir: Path) -> list[Route]:
    page = Template((static_dir / "pair.html").read_text())

    def form(message: str = "", status: int = 200) -> HTMLResponse:
        body = page.substitute(message=html.escape(message), hidden="" if message else "hidden")
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def show(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if pairing.authenticated(headers):
            return RedirectResponse("/", status_code=303)
        if pairing.current_code() is None:
            return form(f"Too many wrong codes: pairing is locked for {_minutes(pairing.locked_for())}.", 429)
        return form()

    async def submit(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return form("That form is too long.", 413)
        typed = parse_qs(body.decode("utf-8", "replace")).get("code", [""])[0]
        try:
            session = pairing.pair(typed)
        except PairingRefused as refused:
            return form(str(refused), 429 if pairing.locked_for() else 401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_MAX_AGE_S, path="/", secure=True, httponly=True,
                            samesite="strict")
        return response

    return [Route("/pair", show, methods=["GET"]), Route("/pair", submit, methods=["POST"])]


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

"""HTTP to a tracing backend's query API (Jaeger, Tempo, Zipkin): one httpx.AsyncClient,
size-capped answers, failures in plain words naming the backend and the flag to change.

Every transport problem (refused, DNS, TLS, timeout, a body cut off, an answer over the size
cap) becomes a SourceError whose message says what happened and what to check. HTTP error
statuses are not errors here: callers decide what a 404 means for the endpoint they asked.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from vrmon.errors import ConfigError, SourceError
from vrmon.sources.content_decoding import BoundedDecoder, TooLarge


class Unreachable(SourceError):
    """Nothing answers at the URL (refused, unresolved, timed out): the backend may not be up yet."""


@dataclass(frozen=True)
class Backend:
    """How messages name a backend and the flags that configure it."""

    name: str  # "Jaeger"
    flag: str  # "jaeger": --jaeger URL, --jaeger-header, --jaeger-timeout
    address: str  # what the URL should point at, e.g. "the Jaeger UI's address (usually port 16686)"
    example: str  # "http://localhost:16686"

    @property
    def url_flag(self) -> str:
        return f"--{self.flag}"

    @property
    def header_flag(self) -> str:
        return f"--{self.flag}-header"


JAEGER = Backend("Jaeger", "jaeger", "the Jaeger UI's address (usually port 16686)", "http://localhost:16686")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def parse_header(text: str, backend: Backend = JAEGER) -> tuple[str, str]:
    """'Name: value' → (name, value), as given to --jaeger-header (or --tempo-header, …)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise ConfigError(f"{backend.header_flag} {text!r} is not 'Name: value' (e.g. 'Authorization: Bearer TOKEN')")
    return name.strip(), value.strip()


def check_base_url(url: str, backend: Backend = JAEGER) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{backend.url_flag} {url!r} is not an http(s) URL; use {backend.address}, e.g. {backend.example}")
    return url.rstrip("/")


def tls_verification(ca_cert: str, insecure_skip_verify: bool) -> ssl.SSLContext | bool:
    """The TLS check for the backends (--ca-cert, --insecure-skip-verify apply to every live source)."""
    if insecure_skip_verify:
        return False
    if not ca_cert:
        return True
    if not Path(ca_cert).is_file():
        raise ConfigError(f"--ca-cert {ca_cert}: no such file; pass the PEM file of the CA that signed the backend's certificate")
    try:
        return ssl.create_default_context(cafile=ca_cert)
    except ssl.SSLError as exc:
        raise ConfigError(f"--ca-cert {ca_cert}: not a PEM certificate file ({exc.reason or exc})") from None


MAX_REDIRECTS = 3


def redact_url(url: str) -> str:
    """The URL without user name and password, for banners, statuses and /healthz."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class HttpClient:
    """GETs from one backend. Redirects are followed only within the same origin (scheme, host and
    port): --jaeger-header (--tempo-header, …) values and URL credentials never travel to another host."""

    def __init__(self, base_url: str, *, headers: list[tuple[str, str]], verify: ssl.SSLContext | bool,
                 timeout: float, max_bytes: int, backend: Backend = JAEGER) -> None:
        self.backend = backend
        self.base_url = check_base_url(base_url, backend)
        self.shown_url = redact_url(self.base_url)  # what messages say: never the credentials
        self.timeout = timeout
        self.max_bytes = max_bytes
        # Only encodings BoundedDecoder can undo with a cap (httpx would add br/zstd when installed).
        headers = [*headers, ("Accept-Encoding", "gzip, deflate")]
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, verify=verify, timeout=timeout,
                                       follow_redirects=False)
        self._origin = _origin(httpx.URL(self.base_url))

    async def __aenter__(self) -> "HttpClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, str | int] | None = None) -> Reply:
        """GET path; the whole body, or SourceError when it cannot be had in full within the cap
        and within --jaeger-timeout for the whole answer (a server trickling bytes is cut off too)."""
        where = f"{self.shown_url}{path}"
        name = self.backend.name
        try:
            async with asyncio.timeout(self.timeout):
                return await self._get(path, params, where)
        except (TimeoutError, httpx.TimeoutException):
            raise Unreachable(f"no answer from {where} within {self.timeout:g} s; is {name} overloaded? "
                                    "(raise --jaeger-timeout, lower --limit or --lookback)") from None
        except httpx.ConnectError as exc:
            failure = SourceError if isinstance(_root_cause(exc), ssl.SSLError) else Unreachable
            raise failure(_connect_failure(where, exc, self.backend)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise SourceError(f"the answer from {where} was cut off mid-body ({exc or type(exc).__name__}); "
                              f"{name} or a proxy closed the connection early") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"request to {where} failed: {exc or type(exc).__name__}") from None

    async def _get(self, path: str, params: dict[str, str | int] | None, where: str) -> Reply:
        url: str | httpx.URL = path
        for _ in range(MAX_REDIRECTS + 1):
            async with self._http.stream("GET", url, params=params) as response:
                if not response.is_redirect:
                    return Reply(response.status_code, await self._read(response, where))
                target = response.url.join(response.headers["location"])
            if _origin(target) != self._origin:
                # The redirect's body and the target's answer are never read, so neither reaches a viewer.
                raise SourceError(f"{where} redirects to another host ({redact_url(str(target.copy_with(query=None)))}); "
                                  f"vrmon does not follow it, so the {self.backend.header_flag} values stay with the host "
                                  f"you named; point {self.backend.url_flag} at {self._own_address}")
            url, params = target, None
        raise SourceError(f"{where} redirected more than {MAX_REDIRECTS} times; point {self.backend.url_flag} at "
                          f"{self._own_address}")

    @property
    def _own_address(self) -> str:
        return self.backend.address.replace("'s address", "'s own address", 1)

    async def _read(self, response: httpx.Response, where: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceError(self._too_big(where, int(declared)))
        decoder = BoundedDecoder(response.headers.get("content-encoding", ""), self.max_bytes)
        chunks: list[bytes] = []
        try:
            async for raw in response.aiter_raw():  # counted as decoded: a small gzip bomb is caught early
                chunks.append(decoder.feed(raw))
        except TooLarge as exc:
            raise SourceError(self._too_big(where, exc.size)) from None
        except SourceError as exc:
            raise SourceError(f"{where}: {exc}") from None
        return b"".join(chunks)

    def _too_big(self, where: str, size: int) -> str:
        return (f"the answer from {where} is over the {self.max_bytes / 2**20:g} MiB cap (at least {size / 2**20:.1f} MiB) "
                "and was dropped; lower --limit, watch fewer services with --service, or raise --max-response")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default_port


def _connect_failure(where: str, exc: httpx.ConnectError, backend: Backend) -> str:
    cause = _root_cause(exc)
    host = urlsplit(where).hostname
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve the host name {host!r} of {where} ({cause.strerror}); check the {backend.url_flag} URL"
    if isinstance(cause, ConnectionRefusedError):
        return f"connection to {where} refused; is {backend.name} running there, and is that {backend.address}?"
    if isinstance(cause, ssl.SSLError):
        return (f"TLS handshake with {where} failed ({cause.reason or cause}); pass --ca-cert FILE for a private CA "
                "or --insecure-skip-verify to skip the check")
    return f"cannot connect to {where} ({cause or exc}); check the {backend.url_flag} URL and the network"


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        seen = seen.__cause__ or seen.__context__
    return seen

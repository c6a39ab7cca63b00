"""Serving a headset on the LAN: HTTPS with vrmon's own certificate, pairing codes, the token.

A real uvicorn with TLS on loopback; "LAN mode" is forced with --lan (SecurityConfig(lan=True)),
so no LAN address is needed. Clients trust the generated certificate file, nothing is skipped
from verification. The pairing clock is stepped, never slept on.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import socket
import ssl

import httpx
import pytest
from websockets.sync.client import connect

from vrmon.cli import main
from vrmon.errors import ConfigError
from vrmon.exposure import decide_exposure
from vrmon.pairing import CODE_LIFETIME_S, LOCKOUT_S, SESSION_COOKIE
from vrmon.protocol import decode_server_frame
from vrmon.settings import SecurityConfig, ServeConfig
from vrmon.tls import LocalNames, self_signed_certificate

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
WAIT_S = 30  # an upper bound for a busy machine, not a pace: every answer comes far sooner
TOKEN = "test-token-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lan(vrmon_server, tmp_path):
    """A LAN-mode server; `.codes` collects the pairing codes it announces, `.clock` steps time."""
    vrmon_server([HOTROD], host_metrics=False, security=SecurityConfig(lan=True, token=TOKEN, config_dir=str(tmp_path)))
    server = vrmon_server.last
    exposure = server.app.state.exposure
    server.pairing, server.cert = exposure.pairing, exposure.certificate
    server.codes = []
    server.pairing.announce = server.codes.append
    server.pairing.clock = server.clock = Clock()
    server.tls = ssl.create_default_context(cafile=str(server.cert.cert))
    server.http = httpx.Client(base_url=server.url, verify=server.tls, timeout=WAIT_S)
    yield server
    server.http.close()


def ws_first_frame(server, **headers: str) -> dict:
    with connect(server.ws_url, ssl=server.tls, additional_headers=headers, open_timeout=WAIT_S) as ws:
        return decode_server_frame(ws.recv(timeout=WAIT_S))


def ws_refused(server, **headers: str) -> int:
    """The status a websocket handshake is refused with, asked with a plain HTTPS request.

    Not with websockets' client: when a TLS server refuses the handshake, its reader thread can
    wait forever for the connection to end (python-websockets/websockets#1596), and the test
    hangs instead of failing."""
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(b"sixteen byte key").decode()}
    status = server.http.get("/ws", headers={**upgrade, **headers}).status_code
    assert status != 101, "the handshake was accepted"
    return status


def post_code(server, code: str) -> httpx.Response:
    return server.http.post("/pair", data={"code": code}, headers={"Origin": server.url})


def test_https_with_the_generated_certificate_whose_fingerprint_is_printed(lan):
    assert lan.url.startswith("https://")
    assert lan.http.get("/healthz").json() == {"status": "up"}
    with socket.create_connection(("127.0.0.1", lan.port)) as raw, lan.tls.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        served = tls.getpeercert(binary_form=True)
    digest = hashlib.sha256(served).hexdigest().upper()
    assert lan.cert.fingerprint.replace(":", "") == digest
    assert any(digest[:8] in "".join(line.replace(":", "").split()) for line in lan.app.state.exposure.banner())
    assert (lan.cert.key.stat().st_mode & 0o777) == 0o600


def test_without_credentials_only_up_or_down_and_the_pairing_page(lan):
    http = lan.http
    assert http.get("/").status_code == 303 and http.get("/").headers["location"] == "/pair"
    assert http.get("/healthz").json() == {"status": "up"}  # no counts, sources, paths
    for path in ("/static/js/main.js", "/vendor/aframe/aframe-master.module.min.js", "/no-such-page"):
        refused = http.get(path)
        assert refused.status_code == 401 and "/pair" in refused.json()["error"], path
    assert http.get("/pair").status_code == 200 and "Pairing code" in http.get("/pair").text
    assert ws_refused(lan) == 403
    assert ws_refused(lan, Authorization="Bearer wrong-token") == 403


def test_the_token_lets_scripts_and_vrmon_tail_in(lan, capsys):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert lan.http.get("/healthz", headers=bearer).json()["spans"] == 40
    assert ws_first_frame(lan, **bearer)["type"] == "snapshot"
    assert main(["tail", lan.ws_url, "--once", "--timeout", str(WAIT_S), "--token", TOKEN, "--tls-ca", str(lan.cert.cert)]) == 0
    assert capsys.readouterr().out.startswith("snapshot seq=0")
    assert main(["tail", lan.ws_url, "--once", "--timeout", str(WAIT_S), "--tls-ca", str(lan.cert.cert)]) == 1
    assert "refused the connection (HTTP 403): the token is missing or wrong" in capsys.readouterr().err


def test_a_right_code_pairs_the_browser_with_a_strict_session_cookie(lan):
    assert lan.http.get("/pair").status_code == 200
    code = lan.codes[-1]
    wrong = post_code(lan, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 401 and "4 tries left" in wrong.text
    paired = post_code(lan, f"{code[:3]} {code[3:]}")  # typed as printed, with the space
    assert paired.status_code == 303 and paired.headers["location"] == "/"
    cookie = paired.headers["set-cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower(), attribute
    session = paired.cookies[SESSION_COOKIE]
    lan.http.cookies.clear()  # this client stays a stranger; the paired browser is the one below
    with httpx.Client(base_url=lan.url, verify=lan.tls, cookies={SESSION_COOKIE: session}, timeout=WAIT_S) as browser:
        assert browser.get("/").status_code == 200 and "<a-scene" in browser.get("/").text
        assert browser.get("/healthz").json()["spans"] == 40
    assert ws_first_frame(lan, Cookie=f"{SESSION_COOKIE}={session}", Origin=lan.url)["type"] == "snapshot"
    # One use: the same code does not pair a second browser; a new code is printed for it.
    again = post_code(lan, code)
    assert again.status_code == 401 and SESSION_COOKIE not in again.headers.get("set-cookie", "")
    assert lan.http.get("/pair").status_code == 200 and lan.codes[-1] != code


def test_a_code_expires_after_ten_minutes(lan):
    lan.http.get("/pair")
    code = lan.codes[-1]
    lan.clock.now += CODE_LIFETIME_S + 1
    expired = post_code(lan, code)
    assert expired.status_code == 401 and "expired" in expired.text
    assert len(lan.codes) == 2 and lan.codes[-1] != code  # a fresh one is printed at once
    assert post_code(lan, lan.codes[-1]).status_code == 303


def test_five_wrong_codes_lock_pairing_for_ten_minutes(lan):
    lan.http.get("/pair")
    code = lan.codes[-1]
    wrong = "000000" if code != "000000" else "111111"
    answers = [post_code(lan, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "locked for 10 minutes" in answers[-1].text
    assert post_code(lan, code).status_code == 429  # the right code is dead too
    assert lan.http.get("/pair").status_code == 429
    lan.clock.now += LOCKOUT_S - 60
    assert post_code(lan, code).status_code == 429
    lan.clock.now += 61
    assert lan.http.get("/pair").status_code == 200  # the lock is over: a new code is printed
    assert lan.codes[-1] != code and post_code(lan, lan.codes[-1]).status_code == 303


def test_a_foreign_page_cannot_post_a_code(lan):
    lan.http.get("/pair")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        forged = lan.http.post("/pair", data={"code": lan.codes[-1]}, headers=headers)
        assert forged.status_code == 403 and "set-cookie" not in forged.headers, headers
    # What Chromium sends with vrmon's own form under Referrer-Policy: no-referrer:
    own = lan.http.post("/pair", data={"code": lan.codes[-1]}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303


def test_the_certificate_is_kept_and_reused_until_the_names_change(tmp_path):
    names = LocalNames(("localhost", "box"), (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("192.168.1.20")))
    first = self_signed_certificate(tmp_path, names)
    again = self_signed_certificate(tmp_path, names)
    assert first.made_now and not again.made_now and again.fingerprint == first.fingerprint
    moved = LocalNames(names.dns, (*names.addresses, ipaddress.ip_address("10.0.0.7")))  # a new DHCP lease
    assert self_signed_certificate(tmp_path, moved).fingerprint != first.fingerprint
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=380)  # about to expire
    assert self_signed_certificate(tmp_path, moved, now=later).made_now


def test_beyond_loopback_https_and_pairing_are_on_unless_insecure_says_otherwise(tmp_path):
    exposed = decide_exposure(ServeConfig(host="0.0.0.0", security=SecurityConfig(config_dir=str(tmp_path))))
    assert exposed.scheme == "https" and exposed.pairing is not None and not exposed.warnings
    insecure = decide_exposure(ServeConfig(host="0.0.0.0", security=SecurityConfig(insecure=True)))
    assert insecure.scheme == "http" and insecure.pairing is None
    assert "anyone who can reach this port can read every trace" in insecure.warnings[0].lower()
    loopback = decide_exposure(ServeConfig(security=SecurityConfig(token="ignored-on-loopback")))
    assert loopback.scheme == "http" and loopback.pairing is None


def test_bad_tls_settings_stop_the_start_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match="--tls-cert and --tls-key go together"):
        decide_exposure(ServeConfig(host="0.0.0.0", security=SecurityConfig(tls_cert=str(tmp_path / "c.pem"))))
    (tmp_path / "c.pem").write_text("not a certificate")
    (tmp_path / "k.pem").write_text("not a key")
    with pytest.raises(ConfigError, match="not a PEM certificate"):
        decide_exposure(ServeConfig(host="0.0.0.0", security=SecurityConfig(tls_cert=str(tmp_path / "c.pem"),
                                                                           tls_key=str(tmp_path / "k.pem"))))
    (tmp_path / "occupied").write_text("a file where the config directory should be")
    with pytest.raises(ConfigError, match="cannot keep vrmon's certificate"):
        decide_exposure(ServeConfig(host="0.0.0.0", security=SecurityConfig(config_dir=str(tmp_path / "occupied"))))


def test_a_given_certificate_is_served_and_its_names_are_answered(vrmon_server, tmp_path):
    own = self_signed_certificate(tmp_path / "ca", LocalNames(("vrmon.example.test",), (ipaddress.ip_address("127.0.0.1"),)))
    vrmon_server([HOTROD], host_metrics=False, security=SecurityConfig(
        lan=True, tls_cert=str(own.cert), tls_key=str(own.key), token=TOKEN, config_dir=str(tmp_path / "unused")))
    server = vrmon_server.last
    assert server.app.state.exposure.certificate.fingerprint == own.fingerprint
    assert not (tmp_path / "unused").exists()  # nothing generated
    with httpx.Client(verify=ssl.create_default_context(cafile=str(own.cert)), timeout=WAIT_S) as http:
        named = http.get(f"{server.url}/healthz", headers={"Host": f"vrmon.example.test:{server.port}",
                                                            "Authorization": f"Bearer {TOKEN}"})
    assert named.status_code == 200 and named.json()["spans"] == 40

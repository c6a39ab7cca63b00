"""A browser pairs with a LAN-mode vrmon over HTTPS: headless Chromium accepts the self-signed
certificate (as a user does on the headset), lands on the pairing page, types the printed code
and gets the 3D view — under the Content-Security-Policy, with zero violations."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import strict, wait_in_page
from vrmon.settings import SecurityConfig

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"


def test_a_browser_pairs_with_the_printed_code_and_the_view_boots_over_https(vrmon_server, browser, tmp_path):
    vrmon_server([HOTROD], host_metrics=False, security=SecurityConfig(lan=True, config_dir=str(tmp_path)))
    server = vrmon_server.last
    codes: list[str] = []
    server.app.state.exposure.pairing.announce = codes.append
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 480, "height": 270})
    try:
        page = strict(context.new_page())
        page.goto(server.url + "/")
        assert page.url == server.url + "/pair"  # not paired yet: sent to the pairing page
        page.fill("input[name=code]", "000 000" if codes[-1] != "000000" else "111 111")
        page.click("button[type=submit]")
        assert "4 tries left" in page.inner_text("[role=alert]")
        assert page.problems == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]
        page.problems.clear()
        page.fill("input[name=code]", f"{codes[-1][:3]} {codes[-1][3:]}")
        page.click("button[type=submit]")
        wait_in_page(page, "window.vrmon && window.vrmon.ready")
        assert page.url.split("#")[0] == server.url + "/"  # the page then names the trace it shows in the #fragment
        assert page.evaluate("() => window.vrmon.stats().spans") == 40
        assert page.evaluate("() => window.isSecureContext")  # what WebXR needs
        assert page.evaluate("() => document.cookie") == ""  # the session cookie is HttpOnly
        assert page.evaluate("() => window.cspViolations") == [] and page.problems == []
        # Leave before the server stops: uvicorn fails to shut down over a TLS websocket still closing.
        page.goto("about:blank")
        deadline = time.monotonic() + 10
        while server.call(lambda: len(server.app.state.hub.viewers)) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        context.close()

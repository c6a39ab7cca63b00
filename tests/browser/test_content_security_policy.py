"""The page boots under vrmon's Content-Security-Policy with no violation, on a desktop and in an
emulated headset (troika's text worker, fonts, the websocket): a real server, real Chromium.

These pages do NOT bypass the policy (the shared `page` fixture does, for Playwright's
eval-based waits), so waiting is done by a function compiled by the DevTools protocol, not eval.
IWER is injected by Playwright's init script, outside the page's policy, as the headset tests do:
the product's policy makes no allowance for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.helpers import install_emulated_headset, strict, wait_in_page

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"


@pytest.fixture
def strict_page(browser) -> Iterator[Any]:
    page = strict(browser.new_page(viewport={"width": 480, "height": 270}))
    try:
        yield page
    finally:
        page.close()


def boot(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    wait_in_page(page, "window.vrmon && window.vrmon.ready")


def test_desktop_page_boots_with_zero_policy_violations(vrmon_server, strict_page):
    base_url = vrmon_server([HOTROD])
    boot(strict_page, base_url)
    assert strict_page.evaluate("() => window.vrmon.stats().spans") == 40
    assert strict_page.evaluate("() => window.cspViolations") == []
    assert strict_page.problems == []


def test_headset_labels_typeset_in_troikas_worker_with_zero_policy_violations(vrmon_server, strict_page):
    install_emulated_headset(strict_page)
    boot(strict_page, vrmon_server([HOTROD]))
    strict_page.evaluate("() => document.querySelector('a-scene').enterVR()")
    # Labels above the nearest spans: troika typesets them in its blob: worker with the Inter font.
    wait_in_page(strict_page, "document.querySelector('[vr-span-labels]').components['vr-span-labels'].texts"
                              ".some((t) => t.textRenderInfo && t.text.length > 0)")
    assert strict_page.evaluate("() => document.querySelector('a-scene').renderer.xr.isPresenting")
    assert strict_page.evaluate("() => window.cspViolations") == []
    assert strict_page.problems == []


def test_a_script_injected_into_the_page_is_blocked(vrmon_server, strict_page):
    """The policy is enforced, not just sent: an inline script added to a page vrmon serves does
    not run (any page of vrmon's will do; a stylesheet is the quickest to load)."""
    strict_page.goto(vrmon_server([HOTROD]) + "/static/css/vrmon.css")
    strict_page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.injected = 1";
                                    document.head.appendChild(s); }""")
    wait_in_page(strict_page, "window.cspViolations.length > 0")
    assert strict_page.evaluate("() => window.injected") is None
    assert strict_page.evaluate("() => window.cspViolations[0]").startswith("script-src")


def test_a_page_on_another_site_cannot_read_a_frame(vrmon_server, page):
    """Cross-site WebSocket hijacking, as a browser would attempt it: a page from another origin
    opens vrmon's websocket. Chromium sends that page's Origin; vrmon refuses the handshake."""
    vrmon_server([HOTROD])
    server = vrmon_server.last
    page.route("http://attacker.example/", lambda route: route.fulfill(content_type="text/html", body="<h1>hi</h1>"))
    page.goto("http://attacker.example/")
    outcome = page.evaluate("""(url) => new Promise((resolve) => {
        const socket = new WebSocket(url), frames = [];
        socket.binaryType = "arraybuffer";
        socket.onmessage = (e) => frames.push(e.data.byteLength);
        socket.onclose = (e) => resolve({frames, code: e.code});
    })""", server.ws_url)
    assert outcome["frames"] == [] and outcome["code"] == 1006  # never opened
    # The same page script from vrmon's own origin does read frames: the refusal is about origin.
    page.goto(server.url + "/static/css/vrmon.css")
    first = page.evaluate("""(url) => new Promise((resolve) => {
        const socket = new WebSocket(url);
        socket.binaryType = "arraybuffer";
        socket.onmessage = (e) => { socket.close(); resolve(e.data.byteLength); };
    })""", server.ws_url)
    assert first > 1000  # the snapshot of 40 spans

"""How the page boots: one websocket, opened before A-Frame is evaluated, so the server prepares
the first snapshot while the page's code loads; the frames that arrive early are not lost."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"

# Before the page's scripts: note whether A-Frame existed when each websocket was made.
SOCKETS_SEEN = """
  window.__sockets = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push({aframe: typeof window.AFRAME !== "undefined"}); }
  };
"""


def test_the_first_socket_opens_before_aframe_and_carries_the_first_snapshot(vrmon_server, open_app, page):
    base = vrmon_server([HOTROD], scene="waterfall", host_metrics=False)
    page.add_init_script(SOCKETS_SEEN)
    open_app(base)
    assert page.evaluate("window.__sockets") == [{"aframe": False}], "one socket, made before A-Frame ran"
    assert page.evaluate("window.vrmonEarlySocket") is None, "the data system took it over"
    stats = page.evaluate("window.vrmon.stats()")
    assert stats["connected"] and stats["spans"] > 0 and stats["seq"] >= 0
    assert httpx.get(f"{base}/healthz").json()["viewers"] == 1
    assert page.errors == []


def test_every_module_of_the_first_frame_is_preloaded_and_no_headset_module(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    loaded = set(page.evaluate("""performance.getEntriesByType('resource').map((e) => e.name)
        .filter((name) => /[.]m?js[?]/.test(name) && !/aframe-master|early-socket|main[.]js/.test(name))"""))
    preloaded = set(page.evaluate("Array.from(document.querySelectorAll('link[rel=modulepreload]'), (link) => link.href)"))
    assert len(loaded) > 40
    assert loaded == preloaded, "every module the page loaded was preloaded (none fetched import by import), and only those"
    assert not [url for url in preloaded if "/xr/vr-" in url or "troika" in url], "headset code loads on demand"

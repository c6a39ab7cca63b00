"""How the page boots: one websocket, opened before A-Frame is evaluated, so the server prepares
the first snapshot while the page's code loads; the frames that arrive early are not lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
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


# The page's own code it loaded and preloaded (npm's under /vendor/ left out: three.js and A-Frame are
# preloaded too), and the module it started.
LOADED_CODE = """() => ({
  loaded: performance.getEntriesByType('resource').map((e) => e.name)
    .filter((name) => /[.]m?js[?]/.test(name) && !/[/]vendor[/]/.test(name)),
  started: document.querySelector('script[type=module]').src,
  preloaded: Array.from(document.querySelectorAll('link[rel=modulepreload]'), (link) => link.href).filter((url) => !/[/]vendor[/]/.test(url)),
  headset: ['vr-laser', 'vr-wrist-menu', 'vr-span-panel', 'vr-span-labels'].filter((name) => name in AFRAME.components),
})"""


def test_the_first_frame_loads_the_bundle_in_a_few_preloaded_files_and_no_headset_code(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    code = page.evaluate(LOADED_CODE)
    assert "/static/bundle/main.js?v=" in code["started"], "`make install` bundles the client (scripts/build-client.mjs)"
    assert set(code["loaded"]) == {code["started"], *code["preloaded"]}, "every file the page loaded was preloaded (none fetched import by import)"
    assert len(code["loaded"]) <= 14, f"the first frame's code in a few files, not ~75 modules: {code['loaded']}"
    assert not [url for url in code["loaded"] if "troika" in url or "/vr-" in url] and code["headset"] == [], "headset code loads on demand"
    assert page.errors == []


def test_without_a_current_bundle_the_page_loads_every_module_preloaded(vrmon_server, open_app, page, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("bundle"))  # a checkout before `make install` bundled it
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False, static_dir=static))
    code = page.evaluate(LOADED_CODE)
    assert "/static/js/main.js?v=" in code["started"]
    modules = set(code["loaded"]) - {code["started"]}
    assert len(modules) > 40
    assert modules == set(code["preloaded"]), "every module the page loaded was preloaded (none fetched import by import), and only those"
    assert not [url for url in modules if "/xr/vr-" in url or "troika" in url] and code["headset"] == [], "headset code loads on demand"
    assert page.errors == []


# Before the page's scripts: once A-Frame and the app are loaded, note what each render drew, by kind.
DRAWS_SEEN = """
  window.__draws = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (bytes) {
    if (new TextDecoder().decode(bytes).includes("findings")) {
      window.__draws.push({frame: document.querySelector("a-scene").renderer.info.render.frame, kind: "findings asked"});
    }
    return send.call(this, bytes);
  };
  document.addEventListener("aframeready", () => { // A-Frame runs after the first picture (load-aframe.js)
    const THREE = AFRAME.THREE;
    const note = (kind) => function () {
      const scene = document.querySelector("a-scene");
      window.__draws.push({frame: scene.renderer.info.render.frame, kind, nodes: scene.systems["vrmon-data"].nodes.count,
                           instances: this.isInstancedMesh ? this.count : null});
    };
    THREE.GridHelper.prototype.onAfterRender = note("floor grid");
    THREE.InstancedMesh.prototype.onAfterRender = function () {
      const owner = this.parent?.el;
      note(owner?.hasAttribute("span-instances") ? "spans" : owner?.hasAttribute("critical-path-highlight") ? "critical path" : "other").call(this);
    };
  });
"""


def test_the_first_frame_draws_the_spans_then_the_grid_marks_and_findings_follow_and_no_empty_mesh_is_drawn(vrmon_server, open_app, page):
    page.add_init_script(DRAWS_SEEN)
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    page.wait_for_function("() => !document.querySelector('a-scene').systems['render-on-demand'].running", timeout=20_000)
    draws = page.evaluate("window.__draws")
    frames = sorted({d["frame"] for d in draws if d.get("nodes")})
    drawn_in = lambda frame: {d["kind"] for d in draws if d["frame"] == frame}  # noqa: E731
    assert "spans" in drawn_in(frames[0])
    assert not {"floor grid", "critical path"} & drawn_in(frames[0]), "held back from the first frame"
    assert {"spans", "floor grid", "critical path"} <= drawn_in(frames[1]), "and drawn in the next"
    assert all({"spans", "floor grid", "critical path"} <= drawn_in(frame) for frame in frames[1:])
    assert all(d.get("instances") != 0 for d in draws), "an instanced mesh with nothing to show is not drawn (no shader, no draw call)"
    asked = [d["frame"] for d in draws if d["kind"] == "findings asked"]
    assert asked and asked[0] >= frames[0], "the findings are asked for once the trace is drawn"
    assert page.errors == []

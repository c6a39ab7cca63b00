"""The scenes read at window sizes other than the 1280×720 the other legibility tests use, after
load, a trace switch and Reset (issue 8's acceptance standard): on a narrow page the trace list
starts folded, so at 1024×768 the waterfall keeps the room to be framed at ≥ 30 % of the canvas
with lane names ≥ 12 px that OCR reads (beside the open list: 28 % and 11 px); and Reset right
after walking with WASD comes back to the framed view (the glide went on after the reset, 96 px
aside); the service legend keeps room for its names beside the wall's pager and the host gauge;
and service names of 60 characters are lane names shortened in the middle, so the bars keep the
room (whole, they took half the view: the marks' box 19 % of the canvas, names 10 px).
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import next_frames
from tests.browser.legibility import TWO_FRAMES_JS, labels_read, mark_figures, overlay_cover, screenshot_3d_view
from tests.browser.test_waterfall_legibility import LABEL_PX_JS, overlapping_lanes
from tests.generated_traces import named_batch, store_of
from vrmon.layout.waterfall_overview import LANE_NAME_CHARS

pytestmark = pytest.mark.browser

LIST_FOLDED = "document.querySelector('#trace-list').classList.contains('collapsed')"
# The desktop camera's position and its rig's: what WASD moves and Reset puts back.
POSE_JS = "() => { const c = document.querySelector('#camera').object3D; return [...c.position.toArray(), ...c.parent.position.toArray()]; }"
# The legend's names and those cut by its list's edges (squeezed beside the wall's pager and the
# host gauge, the list was 10 px wide at 800 px: only the colour swatches showed).
LEGEND_JS = """() => { const list = document.querySelector('#legend-list'), box = list.getBoundingClientRect();
  const items = [...list.children].map((li) => [li.textContent, li.getBoundingClientRect()]);
  return {names: items.length, cut: items.filter(([, b]) => b.right > box.right + 0.5 || b.left < box.left - 0.5).map(([text]) => text)}; }"""


def assert_waterfall_legible(page, shot) -> dict:
    figures = mark_figures(page)
    lanes = page.evaluate(LABEL_PX_JS)
    W, H = figures["width"], figures["height"]
    print(f"  {W}×{H}: box {figures['box_share']:.1%}, on screen {figures['on_screen']:.0%}, ≥2×2 px {figures['visible_2px']:.0%}, "
          f"cover {overlay_cover(page, figures['box']):.1%}, lane names {min(lane['font'] for lane in lanes):.1f} px and up")
    assert figures["box_share"] >= 0.30, figures["box"]
    assert figures["on_screen"] >= 0.90
    assert figures["visible_2px"] >= 0.80
    assert overlay_cover(page, figures["box"]) <= 0.15
    assert min(lane["font"] for lane in lanes) >= 12, lanes
    assert not [lane["text"] for lane in lanes if lane["x0"] < 0 or lane["x1"] > W or lane["y0"] < 0 or lane["y1"] > H]
    assert overlapping_lanes(lanes) == []
    names = [lane["text"] for lane in lanes]
    read = labels_read(screenshot_3d_view(page, shot), lanes)
    assert sorted(read) == sorted(names)
    return figures


# Long qualified names as a mesh's teams spell them (60 characters), differing at the end too.
SIXTY = ["payments-authorization-gateway-europe-west1-production-canary", "inventory-reservation-worker-us-east-2-blue-green-deploy-v2",
         "customer-profile-service-with-a-very-long-qualified-name-xyz", "recommendation-engine-v2-ml-ranking-shadow-traffic-mirror",
         "notification-dispatcher-email-sms-push-fanout-queue-consumer", "api-gateway-edge-proxy-envoy-sidecar-istio-ingress-public"]
# Each lane name's service colour ("#rrggbb").
LANE_COLOURS_JS = """() => { const system = window.vrmon.system;
  return Object.fromEntries(system.labels.filter((l) => l.kind === 'lane').map((l) => [l.text, system.serviceColors[l.service]])); }"""
FALLBACK = (0xC9, 0xD1, 0xD9)  # label-atlas.js: a lane name whose service is not known


def letters_colour(shot, lane) -> tuple[float, float, float]:
    """The mean colour of a lane name's letters in a screenshot (its bright pixels; the view is dark)."""
    import numpy as np
    from PIL import Image

    crop = Image.open(shot).convert("RGB").crop((int(lane["x0"]), int(lane["y0"]), int(lane["x1"]), int(lane["y1"])))
    pixels = np.asarray(crop, dtype=np.float64).reshape(-1, 3)
    return tuple(pixels[pixels.max(axis=1) > 110].mean(axis=0))


def test_sixty_character_service_names_leave_the_bars_the_room(vrmon_server, open_app, page, tmp_path):
    batch = named_batch(30 * 40, spans_per_trace=40, n_services=6, seed=6)
    rename = dict(zip(sorted(set(batch.service)), SIXTY))
    batch.service = [rename[name] for name in batch.service]
    open_app(vrmon_server([], store=store_of(batch), host_metrics=False))
    assert_waterfall_legible(page, tmp_path / "sixty.png")
    colours = page.evaluate(LANE_COLOURS_JS)
    assert all(len(text) <= LANE_NAME_CHARS and "…" in text for text in colours), colours
    # each in its service's colour (the client looked the colour up by the name, which a shortened one is not)
    for lane in page.evaluate(LABEL_PX_JS):
        seen, wanted = letters_colour(tmp_path / "sixty.png", lane), bytes.fromhex(colours[lane["text"]][1:])
        # by hue, not brightness: the letters' dark outline darkens a light colour (#ffd0ff reads
        # as 195, 160, 197), which by plain distance is nearer the grey fallback
        hue = lambda rgb: [c / sum(rgb) for c in rgb]  # noqa: E731
        assert sum((a - b) ** 2 for a, b in zip(hue(seen), hue(wanted))) < sum((a - b) ** 2 for a, b in zip(hue(seen), hue(FALLBACK))), \
            (lane["text"], seen)
    assert not page.errors


def test_a_service_name_longer_than_the_legend_is_shortened_there_not_cut(vrmon_server, open_app, page):
    # two of the sixty-character names joined: 121 characters, wider than the legend beside the
    # open trace list (545 px at 1280×720); before, its entry ran past the bar's edge, cut mid-letter
    longest = f"{SIXTY[0]}-{SIXTY[1]}"
    batch = named_batch(10 * 40, spans_per_trace=40, n_services=6, seed=6)
    rename = dict(zip(sorted(set(batch.service)), [longest, *SIXTY[2:], "a"]))
    batch.service = [rename[name] for name in batch.service]
    open_app(vrmon_server([], store=store_of(batch), host_metrics=False))
    page.wait_for_function("() => document.querySelectorAll('#legend-list li').length > 0")
    more = page.locator("#legend .more")
    if more.is_visible():
        more.click()
    legend = page.evaluate(LEGEND_JS)
    assert legend["cut"] == [], legend
    entry = page.evaluate("""(name) => { const li = [...document.querySelectorAll('#legend-list li')].find((li) => li.title === name);
      const text = li && li.querySelector('.name'); return li && {shortened: text.scrollWidth > text.clientWidth, width: li.getBoundingClientRect().width}; }""", longest)
    assert entry and entry["shortened"], entry  # its whole name is the entry's title
    assert not page.errors


def test_on_a_narrow_page_the_trace_list_starts_folded_and_the_waterfall_reads(vrmon_server, page, tmp_path):
    base = vrmon_server([], store=store_of(named_batch(300 * 40, spans_per_trace=40, n_services=12)))
    for width, height in [(800, 900), (1024, 768)]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(base + "/")
        page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=30_000)
        assert page.evaluate(LIST_FOLDED), f"the trace list is open on a {width} px page"
        if width < 1024:
            # a page taller than wide gets a waterfall laid out for its shape (layout/page_shape.py;
            # before: names 11 px, tests/browser/test_tall_pages.py), and the wall's legend beside its pager and gauge:
            assert_waterfall_legible(page, tmp_path / f"{width}-load.png")
            page.evaluate("window.vrmon.system.switchScene({scene: 'wall'})")
            page.wait_for_function("window.vrmon.system.scene.layout === 'wall' && window.vrmon.stats().instances > 0"
                                   " && window.vrmon.stats().hostGauge > 0")
            page.evaluate(TWO_FRAMES_JS)
            legend = page.evaluate(LEGEND_JS)
            assert legend["names"] == 12 and legend["cut"] == [], legend
            assert overlay_cover(page, mark_figures(page)["box"]) <= 0.15
            continue
        assert_waterfall_legible(page, tmp_path / f"{width}-load.png")

        shown = page.evaluate("window.vrmon.system.scene.trace")
        other = next(t["id"] for t in page.evaluate("window.vrmon.system.traceList()")[5:] if t["id"] != shown)
        page.evaluate(f"window.vrmon.system.switchScene({{trace: '{other}'}})")
        page.wait_for_function(f"window.vrmon.system.scene.trace === '{other}'", timeout=20_000)
        page.evaluate(TWO_FRAMES_JS)
        framed = assert_waterfall_legible(page, tmp_path / f"{width}-switch.png")

        page.keyboard.press("t")  # the viewer can open it: the view keeps its framing (a reset frames beside it)
        page.wait_for_function(f"!{LIST_FOLDED}")
        page.keyboard.press("t")
        page.wait_for_function(LIST_FOLDED)
        page.keyboard.press("r")
        page.evaluate(TWO_FRAMES_JS)
        assert mark_figures(page)["box"] == pytest.approx(framed["box"], abs=0.5)
    assert not page.errors


def test_reset_right_after_walking_with_wasd_stays_at_the_framed_view(vrmon_server, open_app, page):
    open_app(vrmon_server([], store=store_of(named_batch(300 * 40, spans_per_trace=40, n_services=12)), scene="services",
                          host_metrics=False))
    page.evaluate(TWO_FRAMES_JS)
    framed = page.evaluate(POSE_JS)
    page.keyboard.down("d")
    # walking: each poll draws a frame, as a held key's frames would come
    page.wait_for_function(f"(x) => (window.vrmon.requestFrame(), document.querySelector('#camera').object3D.position.x > x + 1)",
                           arg=framed[0])
    page.keyboard.up("d")
    page.keyboard.press("r")  # still gliding
    next_frames(page, 10)
    assert page.evaluate(POSE_JS) == pytest.approx(framed, abs=1e-6)
    assert not page.errors

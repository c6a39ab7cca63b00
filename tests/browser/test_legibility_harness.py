"""The legibility measurements themselves (tests/browser/legibility.py), checked on cases whose
answer is known, so a scene test that relies on them is measuring what it says."""

from __future__ import annotations

from tests.browser.legibility import mark_figures, names_read, overlay_cover, read_3d_view
from tests.generated_traces import named_store

# Coloured names on the app's dark background, drawn into a canvas at known sizes; the last one
# runs off the right edge, as a lane name cut by the screen edge would.
TEXT_PAGE = """
<body style="margin:0;background:#0a0d14">
<canvas id="c" width="1280" height="720"></canvas>
<script>
  const g = document.getElementById("c").getContext("2d");
  g.fillStyle = "#0a0d14"; g.fillRect(0, 0, 1280, 720);
  g.font = "600 16px sans-serif";
  const names = [["checkout", "#4e9af1"], ["payment", "#3fb950"], ["recommendation", "#d29922"], ["fraud-detection", "#bc8cff"]];
  names.forEach(([name, colour], i) => { g.fillStyle = colour; g.fillText(name, 60 + i * 260, 200 + (i % 2) * 120); });
  g.fillStyle = "#f778ba"; g.fillText("frontend-proxy", 1230, 500);
</script>
</body>
"""


def test_ocr_reads_coloured_16px_names_whole_and_not_a_name_cut_by_the_edge(page, tmp_path):
    page.set_content(TEXT_PAGE)
    words = read_3d_view(page, tmp_path / "names.png")
    assert names_read(words, ["checkout", "payment", "recommendation", "fraud-detection"]) == [
        "checkout", "payment", "recommendation", "fraud-detection"]
    assert names_read(words, ["frontend-proxy"]) == []


def test_mark_figures_count_every_drawn_span_and_frame_them_inside_the_canvas(vrmon_server, open_app, page):
    store = named_store(400, spans_per_trace=400, n_services=8)
    open_app(vrmon_server([], store=store, scene="waterfall"))
    figures = mark_figures(page)
    assert figures["marks"] == page.evaluate("window.vrmon.stats().instances") == 400
    box = figures["box"]
    assert 0 <= box["x0"] < box["x1"] <= figures["width"] and 0 <= box["y0"] < box["y1"] <= figures["height"]
    assert 0 < figures["box_share"] <= 1 and 0 < figures["on_screen"] <= 1 and 0 <= figures["visible_2px"] <= 1
    # The trace list and the top bar are DOM overlays: the canvas's full area is partly covered
    # by them, the box of the spans only as far as they reach into it.
    whole_canvas = {"x0": 0, "y0": 0, "x1": figures["width"], "y1": figures["height"]}
    assert overlay_cover(page, whole_canvas) > 0
    assert 0 <= overlay_cover(page, box) <= overlay_cover(page, whole_canvas) + 0.25

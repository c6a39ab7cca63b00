"""On software GL (SwiftShader, as here) frames are drawn into a render target and copied onto the
canvas once the GPU has drawn them (static/js/scene/offscreen-frames.js), so the page's main thread
does not wait in the compositor's commit for the GPU process. The copy must be the frame: the same
pixels as the frame drawn straight on the canvas (the same samples, output colour space, blending),
three.js's counters must still describe the scene's frame, and a resized window is drawn at its
new size."""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser.helpers import next_frames
from tests.browser.test_first_picture import HOTROD, rgb

pytestmark = pytest.mark.browser

SYSTEM = "document.querySelector('a-scene').systems['render-on-demand']"


def view_alone(page) -> np.ndarray:
    """The 3D view's pixels once the frames asked for meanwhile are shown (the overlays hidden)."""
    next_frames(page)
    page.wait_for_function(f"() => !{SYSTEM}.offscreen?.waiting")
    return rgb(page.screenshot())


def test_a_frame_drawn_off_the_canvas_is_the_frame_drawn_on_it(vrmon_server, open_app, page):
    open_app(vrmon_server([HOTROD], scene="waterfall", host_metrics=False))
    if not page.evaluate(f"Boolean({SYSTEM}.offscreen)"):
        pytest.skip("this browser's WebGL is not software GL: frames are drawn on the canvas")
    page.wait_for_function("() => !document.getElementById('first-picture') && window.vrmon.system.findingsBytes")
    page.add_style_tag(content=".overlay, .a-enter-vr { visibility: hidden !important; }")
    offscreen = view_alone(page)
    stats = page.evaluate("window.vrmon.stats()")
    assert stats["drawCalls"] > 1, "three.js's counters describe the scene's frame, not the copy's one quad"

    page.evaluate(f"{SYSTEM}.offscreenFrames = {SYSTEM}.offscreen; {SYSTEM}.offscreen = null")  # drawn on the canvas
    on_canvas = view_alone(page)
    assert page.evaluate("window.vrmon.stats()")["drawCalls"] == stats["drawCalls"]
    assert (on_canvas != rgb(page.screenshot())).sum() == 0, "nothing moves between frames"
    difference = np.abs(offscreen - on_canvas).max(axis=2)
    assert np.count_nonzero(on_canvas.max(axis=2) > 60) > 20_000, "the view has spans and labels to compare"
    assert difference.max() <= 2, f"the copy is the frame ({np.count_nonzero(difference > 2)} pixels differ by more than 2)"

    page.evaluate(f"{SYSTEM}.offscreen = {SYSTEM}.offscreenFrames")
    page.set_viewport_size({"width": 960, "height": 600})
    resized = view_alone(page)
    assert resized.shape[:2] == (600, 960)
    assert page.evaluate(f"{SYSTEM}.offscreen.target.width") == 960
    assert np.count_nonzero(resized.max(axis=2) > 60) > 10_000, "the resized view is drawn"
    assert page.errors == []

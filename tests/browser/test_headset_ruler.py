"""The waterfall's time ruler in the emulated headset (IWER Quest 3, issue 8 part 8): its ticks
and the lengths of idle breaks keep at least ~1.2° of visual angle at the default standing
position, like the lane names, never on each other, a lane name or a bar.

A checkout that waits 15 s on a proxy timeout (a burst of calls, a break, and the tick where the
trace wakes up right beside the break's length), and two breaks a moment apart (one length for
both, between ticks). Figures from the three.js scene graph, in degrees from the XR camera
(headset_figures.py).
"""

from __future__ import annotations

import pytest

from tests.browser.headset_figures import headset_figures, summary
from tests.browser.helpers import next_frames
from tests.browser.test_headset import SMALL_VIEWPORT, enter_headset
from tests.generated_traces import burst_then_wait_store, spans_batch, store_of

pytestmark = pytest.mark.browser

LEAST_DEGREES = 1.2  # about 2 cm letters at 1 m


def meets(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


SECOND = 1_000_000
CASES = {
    "a checkout waiting 15 s": burst_then_wait_store,
    "breaks a moment apart": lambda: store_of(spans_batch([1_000, 5 * SECOND], [200_000, 15 * SECOND], [None, None], [7, 8])),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ticks_and_break_lengths_keep_their_angle_clear_of_each_other_names_and_bars(case, vrmon_server, open_app, server_snapshot, page):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, SMALL_VIEWPORT, replay=(),
                            store=CASES[case](), host_metrics=False)
    page.wait_for_function("() => document.querySelector('[scene-labels]').getObject3D('labels')")
    next_frames(page)
    figures = headset_figures(page)
    ruler = figures["ruler"]
    print(f"\n{case}: {summary(figures)}\nruler: " + ", ".join(f"{r['text']!r} {r['degrees']:.2f}°" for r in ruler))

    kinds = {r["kind"] for r in ruler}
    assert kinds == {"tick", "break"}, ruler  # the trace has a break, and ticks either side of it
    assert min(r["degrees"] for r in ruler + figures["lanes"]) >= LEAST_DEGREES, ruler
    letters = [(r["text"], r["letters"]) for r in ruler + figures["lanes"]]
    clashes = [(a, b) for i, (a, box_a) in enumerate(letters) for b, box_b in letters[i + 1:] if meets(box_a, box_b)]
    assert clashes == [], clashes
    on_bars = [r["text"] for r in ruler if any(meets(r["letters"], bar) for bar in figures["bars"])]
    assert on_bars == [], on_bars
    assert page.errors == []

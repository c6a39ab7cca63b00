# scratch (untracked, deleted after review): headset screenshots of every scene for the lead's review
import pytest
from tests.browser.helpers import next_frames
from tests.browser.test_headset import HOTROD, enter_headset
from tests.generated_traces import named_store

pytestmark = pytest.mark.browser
CASES = {"small": lambda: dict(replay=(HOTROD,)), "large": lambda: dict(replay=(), store=named_store(20_000, spans_per_trace=20_000, n_services=40)),
         "many": lambda: dict(replay=(), store=named_store(3_000, spans_per_trace=10, n_services=12))}

@pytest.mark.parametrize("data", list(CASES))
@pytest.mark.parametrize("scene", ["waterfall", "services", "wall"])
def test_review(vrmon_server, open_app, server_snapshot, page, scene, data):
    page, _ = enter_headset(vrmon_server, open_app, server_snapshot, page, {"width": 1280, "height": 720}, scene=scene, host_metrics=False, **CASES[data]())
    next_frames(page, 4, timeout=120_000)
    page.screenshot(path=f"/tmp/review/hmd-{scene}-{data}.png")

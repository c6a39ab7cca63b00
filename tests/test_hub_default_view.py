"""The default view outlives its viewers: a reload or the next viewer gets its snapshot without a
new layout, idle it costs no work per tick, and it still shows what the store holds when joined."""

from __future__ import annotations

import asyncio

from tests.conftest import FIXTURES, ROOT
from tests.test_hub_resync import drain
from vrmon.hub import Hub
from vrmon.model.span_store import SpanStore
from vrmon.protocol import SwitchScene
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"


def test_the_default_view_is_kept_idle_and_brought_up_to_date_when_joined():
    async def scenario() -> None:
        store = SpanStore()
        hub = Hub(store, load_presets([ROOT / "scenes"]), "waterfall")
        hub.warm()
        kept = hub.channels[hub.default_key]
        viewer = hub.connect()
        assert viewer.channel is kept
        hub.disconnect(viewer)
        assert hub.channels == {hub.default_key: kept}, "nobody watches, and the default view stays"

        store.add(load_trace_file(HOTROD))
        assert hub.tick() == 0, "an idle view is not laid out per tick"
        assert kept.view.nodes.ids.size == 0

        again = hub.connect()
        assert again.channel is kept
        snapshot = (await drain(again))[0]
        assert snapshot["type"] == "snapshot"
        assert len(snapshot["nodes"].ids) == len(kept.view.nodes.ids) > 0, "joined, it shows the spans that came meanwhile"

        hub.handle(again, SwitchScene("services", None))
        assert set(hub.channels) == {hub.default_key, again.channel.key}
        hub.disconnect(again)
        assert set(hub.channels) == {hub.default_key}, "other views go when their last viewer does"

    asyncio.run(scenario())

"""`vrmon serve --self-trace`: vrmon's own work shows in its own store as service `vrmon`, as the
real server does it (a subprocess), seen by a real websocket viewer."""

from __future__ import annotations

from typing import Any

import httpx
from websockets.sync.client import connect

from tests.jaeger_harness import Viewer
from tests.test_cli_serve import HOTROD, OPEN_LINE, serving  # noqa: F401  (fixture)
from tests.test_otlp_receiver import ENDPOINT_LINE, PROTOBUF, export_request
from vrmon.protocol import detail_frame, scene_request_frame, select_frame


def vrmon_traces(viewer: Viewer) -> dict[str, dict[str, Any]]:
    """Trace id → the newest summary of each trace of service vrmon, from every frame so far."""
    found = {}
    for frame in viewer.frames:
        for summary in frame.get("traces") or ():
            if summary["service"] == "vrmon":
                found[summary["id"]] = summary
    return found


def spans_of(viewer: Viewer, ws, trace_id: str) -> list[dict[str, Any]]:
    """Every span of a trace, as its details: the viewer opens the trace with every span drawn."""
    snapshots = viewer.kinds.count("snapshot")
    ws.send(scene_request_frame(trace=trace_id))
    ws.send(detail_frame(everything=True))
    viewer.until(lambda v: v.kinds.count("snapshot") >= snapshots + 2, what=f"trace {trace_id}")
    details = []
    for node in sorted(viewer.nodes):
        answered = viewer.kinds.count("details")
        ws.send(select_frame(node))
        viewer.until(lambda v: v.kinds.count("details") > answered, what=f"details of {node}")
        details.append(next(f for f in reversed(viewer.frames) if f["type"] == "details")["span"])
    return details


def test_self_trace_shows_vrmons_own_pipeline_as_service_vrmon(serving):
    server = serving("--self-trace", "--otlp", "0", "--port", "0", "--no-host-metrics", "--replay", HOTROD)
    port = int(server.line(OPEN_LINE).group(1))
    endpoint = server.line(ENDPOINT_LINE).group(1)
    with connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        viewer = Viewer(ws).until(lambda v: "snapshot" in v.kinds, what="the first snapshot")
        answer = httpx.post(endpoint + "/v1/traces", content=export_request(3).SerializeToString(),
                            headers={"Content-Type": PROTOBUF}, timeout=10)
        assert answer.status_code == 200
        roots = ("replay file", "otlp export")
        viewer.until(lambda v: set(roots) <= {t["operation"] for t in vrmon_traces(v).values()}, timeout=30,
                     what=f"vrmon's own traces {roots}")
        traces = vrmon_traces(viewer)
        # storing vrmon's own spans is not traced: no add of its spans stands alone as a trace of its own
        assert not [t for t in traces.values() if t["operation"] == "store add"]

        by_root = {t["operation"]: t["id"] for t in traces.values()}
        replay = spans_of(viewer, ws, by_root["replay file"])
        assert sorted(s["operation"] for s in replay) == ["load file", "parse", "replay file", "store add"]
        assert {s["service"] for s in replay} == {"vrmon"}
        load = next(s for s in replay if s["operation"] == "load file")
        assert dict(load["tags"])["vrmon.file.name"] == HOTROD.split("/")[-1]
        add = next(s for s in replay if s["operation"] == "store add")
        assert dict(add["tags"])["vrmon.spans"] == 40
        # the export's trace holds the scene update it pushed, unless a periodic tick took the change first
        export = {s["operation"] for s in spans_of(viewer, ws, by_root["otlp export"])}
        assert {"otlp export", "parse", "store add"} <= export
        if "scene update" not in export:
            export |= {s["operation"] for s in spans_of(viewer, ws, by_root["scene update"])}
        assert {"scene update", "layout", "encode delta", "fan-out"} <= export

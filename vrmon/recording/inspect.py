"""`vrmon inspect incident.vrrec`: the keys `inspect` gives for a trace file, plus the recording's own."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vrmon.analysis.store_report import store_report
from vrmon.model.span_store import SpanStore
from vrmon.recording.contents import read_contents
from vrmon.recording.reader import read_recording


def recording_report(path: Path) -> dict[str, Any]:
    contents = read_contents(read_recording(path))
    store = SpanStore()
    store.add(contents.batch(0, len(contents.spans)))
    recording = contents.file
    statuses = [e.payload for e in contents.events if e.kind == "status"]
    ended = next((f.payload.get("reason") for f in recording.frames if f.kind == "end"), None)
    return {
        **store_report(store, path),
        "duration_s": round(contents.duration_us / 1e6, 3),
        "start": datetime.fromtimestamp(recording.start_us / 1e6, timezone.utc).isoformat(timespec="seconds"),
        "sources": [str(s) for s in recording.header["sources"]],
        "recorded_by": f"vrmon {recording.header.get('vrmon', '?')} (format {recording.header['format']})",
        "host_samples": contents.host_samples(),
        "outages": sum(s["state"] != "ok" for s in statuses),
        "ended": ended or "not cleanly (the recorder was killed or is still running)",
        "torn_frames": recording.torn_frames,
        "warnings": recording.warnings,
    }

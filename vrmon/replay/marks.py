"""Where the timeline marks a recording: error spans arriving, services seen for the first time,
and a source going from ok to degraded or down — so a user can jump to what matters."""

from __future__ import annotations

from typing import Any

import numpy as np

from vrmon.recording.contents import RecordedContents

MAX_ERROR_MARKS = 200  # error arrivals closer than duration / this share one mark


def timeline_marks(contents: RecordedContents) -> list[dict[str, Any]]:
    """[{t_us, kind: "error" | "service" | "outage", label}], in time order."""
    marks = _error_marks(contents) + _service_marks(contents) + _outage_marks(contents)
    return sorted(marks, key=lambda m: (m["t_us"], m["kind"]))


def _error_marks(contents: RecordedContents) -> list[dict[str, Any]]:
    arrival = contents.arrival_us[contents.spans.error]
    if not len(arrival):
        return []
    width = max(1, -(-max(contents.duration_us, 1) // MAX_ERROR_MARKS))
    bins, first, counts = np.unique(arrival // width, return_index=True, return_counts=True)
    return [{"t_us": int(arrival[i]), "kind": "error", "label": f"{n} error span{'s' * (n != 1)}"}
            for i, n in zip(first.tolist(), counts.tolist())]


def _service_marks(contents: RecordedContents) -> list[dict[str, Any]]:
    first: dict[str, int] = {}
    for row, service in enumerate(contents.spans.service):
        first.setdefault(service, row)
    return [{"t_us": int(contents.arrival_us[row]), "kind": "service", "label": f"new service {service}"}
            for service, row in first.items()]


def _outage_marks(contents: RecordedContents) -> list[dict[str, Any]]:
    marks, states = [], {}
    for event in contents.events:
        if event.kind != "status":
            continue
        source, state = event.payload["source"], event.payload["state"]
        if state != "ok" and states.get(source, "ok") == "ok":
            marks.append({"t_us": event.t_us, "kind": "outage", "label": f"{source} {state}: {event.payload['message']}"})
        states[source] = state
    return marks

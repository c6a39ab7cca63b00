"""Where the timeline marks a recording: error spans arriving, services seen for the first time,
and a source going from ok to degraded or down — so a user can jump to what matters. Built up a
part of the recording at a time, as it is read."""

from __future__ import annotations

from typing import Any

import numpy as np

from vrmon.recording.contents import RecordedContents

MAX_ERROR_MARKS = 200  # error arrivals closer than duration / this share one mark


class TimelineMarks:
    def __init__(self, duration_us: int) -> None:
        self._width = max(1, -(-max(duration_us, 1) // MAX_ERROR_MARKS))
        self._errors: dict[int, list[int]] = {}  # time bin → [first arrival, error spans]
        self._services: dict[str, int] = {}  # service → first arrival
        self._states: dict[str, str] = {}  # source → its last state
        self._outages: list[dict[str, Any]] = []
        self.version = 0  # counts the parts that added marks

    def add(self, contents: RecordedContents) -> None:
        """The next part of the recording (its spans and events come after the parts added before)."""
        arrival = contents.arrival_us[contents.spans.error]
        bins, first, counts = np.unique(arrival // self._width, return_index=True, return_counts=True)
        for b, i, n in zip(bins.tolist(), first.tolist(), counts.tolist()):
            self._errors.setdefault(b, [int(arrival[i]), 0])[1] += n
        services = len(self._services)
        for service, row in zip(*np.unique(np.array(contents.spans.service, dtype=object), return_index=True)):
            self._services.setdefault(service, int(contents.arrival_us[row]))
        outages = len(self._outages)
        for event in contents.events:
            if event.kind != "status":
                continue
            source, state = event.payload["source"], event.payload["state"]
            if state != "ok" and self._states.get(source, "ok") == "ok":
                self._outages.append({"t_us": event.t_us, "kind": "outage", "label": f"{source} {state}: {event.payload['message']}"})
            self._states[source] = state
        self.version += bool(len(bins)) or len(self._services) > services or len(self._outages) > outages

    def marks(self) -> list[dict[str, Any]]:
        """[{t_us, kind: "error" | "service" | "outage", label}], in time order."""
        errors = [{"t_us": t, "kind": "error", "label": f"{n} error span{'s' * (n != 1)}"} for t, n in self._errors.values()]
        services = [{"t_us": t, "kind": "service", "label": f"new service {service}"} for service, t in self._services.items()]
        return sorted(errors + services + self._outages, key=lambda m: (m["t_us"], m["kind"]))

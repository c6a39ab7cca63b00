"""Recordings made for tests: generated traces arriving in shuffled parts (children before their
parents, traces growing over several frames), with statuses, host samples and dependency links,
at times set by an injected clock."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.generated_traces import named_batch
from vrmon.model.dependencies import DependencyLink
from vrmon.recording.writer import Recorder
from vrmon.sources.host import HostSample


def write_recording(path: Path, n_spans: int = 600, frames: int = 12, seconds_apart: float = 5.0, seed: int = 0) -> list[float]:
    """A recording whose spans arrive in `frames` shuffled parts, one every `seconds_apart`
    (recording time); Jaeger goes down in the middle and comes back. Returns each part's time."""
    batch = named_batch(n_spans, spans_per_trace=30, seed=seed)
    batch.error = [i % 37 == 0 for i in range(n_spans)]
    order = np.random.default_rng(seed).permutation(n_spans)
    now = [1000.0]
    recorder = Recorder(path, ["jaeger"], clock=lambda: now[0])
    times = []
    for k, rows in enumerate(np.array_split(order, frames)):
        now[0] += seconds_apart
        times.append(now[0] - 1000.0)
        recorder.record_spans("jaeger", batch.take(np.sort(rows).tolist()))
        recorder.record_metrics(HostSample(cpu=np.array([10.0 * k, 50.0], np.float32), load=(k, 1.0, 0.5),
                                           mem_used=k << 20, mem_total=8 << 30, ts=1.7e9 + k))
        if k == frames // 2:
            recorder.record_status("jaeger", "down", "Jaeger answered HTTP 503")
        elif k == frames // 2 + 1:
            recorder.record_status("jaeger", "ok", "live again")
        if k % 4 == 0:
            recorder.record_dependencies("jaeger", [DependencyLink("frontend", "cart", 10 + k)])
    recorder.close()
    return times

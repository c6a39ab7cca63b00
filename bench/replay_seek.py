"""Seeking in a one-hour recording of 1M spans: `python -m bench.replay_seek` (--quick: 100k spans).

Writes a recording as a live server would (one span batch and one host sample a second for an
hour, each frame flushed), reads it back, then times seeks to spread-out positions: the replay
clock moves, the store at that moment is built (a prefix of the whole recording's store), the
viewer's scene is laid out again and its snapshot encoded — everything the server does before
the bytes go out. Target: ≤ 300 ms (issue 12).
"""

from __future__ import annotations

import datetime
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import ROOT, finish, machine, parse_arguments, percentile
from bench.synthetic import synthetic_batch
from vrmon.hub import Hub
from vrmon.protocol import ReplayRequest
from vrmon.recording.writer import Recorder
from vrmon.replay.clock import ReplayClock
from vrmon.replay.loading import load_recording
from vrmon.replay.player import ReplayPlayer
from vrmon.scene_presets import load_presets
from vrmon.sources.host import HostSample

SECTION = "## Replay: seeking in a recording"
SECONDS = 3600
TARGET_MS = 300


def write(path: Path, n_spans: int) -> float:
    """One batch of spans and one host sample a second for an hour; seconds it took."""
    batch = synthetic_batch(n_spans, spans_per_trace=40)
    batch.error = [i % 97 == 0 for i in range(n_spans)]
    now = [0.0]
    began = time.perf_counter()
    recorder = Recorder(path, ["jaeger"], clock=lambda: now[0])
    cuts = np.linspace(0, n_spans, SECONDS + 1).astype(int)
    for second, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        now[0] = second + 1.0
        recorder.record_spans("jaeger", batch.take(range(a, b)))
        recorder.record_metrics(HostSample(cpu=np.full(2, 30.0 + second % 50, np.float32), load=(1.0, 1.0, 1.0),
                                           mem_used=1 << 30, mem_total=8 << 30, ts=1.7e9 + second))
    recorder.close()
    return time.perf_counter() - began


def seek_times(path: Path, seeks: int) -> tuple[dict[str, list[tuple[float, float]]], float, int]:
    """Per scene: (wall ms, CPU ms) of each seek; seconds to load the recording; its span count."""
    began = time.perf_counter()
    contents, whole = load_recording(path)
    loaded = time.perf_counter() - began
    presets = load_presets([ROOT / "scenes"])
    positions = np.random.default_rng(0).permutation(np.linspace(0.01, 1.0, seeks)) * contents.duration_us
    results: dict[str, list[tuple[float, float]]] = {}
    for scene in presets:
        hub = Hub(whole.prefix(0), presets, scene)
        player = ReplayPlayer(contents, whole, hub, ReplayClock(contents.duration_us, 0.0, playing=False), lambda: 0.0,
                              name=path.name)
        player.step()
        viewer = hub.connect()
        times = []
        for position in positions:
            wall, cpu = time.perf_counter(), time.process_time()
            player.control(ReplayRequest("seek", position_us=int(position)))
            snapshot = viewer.channel.view.snapshot()  # what the viewer is sent after a seek
            times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
            assert len(hub.store) == contents.spans_until(int(position)) and snapshot
            while not viewer.queue.empty():
                viewer.queue.get_nowait()
        results[scene] = times
    return results, loaded, len(contents.spans)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, quick="100k spans, 10 seeks per scene")
    n_spans, seeks = (100_000, 10) if args.quick else (1_000_000, 25)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.vrrec"
        wrote = write(path, n_spans)
        size = path.stat().st_size
        results, loaded, spans = seek_times(path, seeks)
    rows = [SECTION, "", f"Run `python -m bench.replay_seek`. Measured {datetime.date.today().isoformat()} on {machine()}."
            , "",
            f"A one-hour recording of {spans:,} spans (synthetic 40-span traces, one batch and one host sample a "
            f"second, each frame flushed): {size / 1e6:.0f} MB, written in {wrote:.1f} s, read back with the store of "
            f"all its spans in {loaded:.1f} s (once, when the server starts). Then {seeks} seeks per scene to "
            "positions spread over the hour, in shuffled order: each moves the clock, builds the store at that "
            "moment, lays the viewer's scene out again and encodes its snapshot.", "",
            "| scene | median wall / CPU ms | p90 wall / CPU ms | worst wall / CPU ms | ≤ 300 ms (CPU, p90) |",
            "|---|---|---|---|---|"]
    for scene, times in results.items():
        wall, cpu = [t[0] for t in times], [t[1] for t in times]
        cells = [f"{percentile(wall, q):.0f} / {percentile(cpu, q):.0f}" for q in (0.5, 0.9, 1.0)]
        rows.append(f"| {scene} | {' | '.join(cells)} | {'yes' if percentile(cpu, 0.9) <= TARGET_MS else 'NO'} |")
    rows.append("")
    rows.append("Wall time includes waiting for a core on this shared machine; CPU time is this process's own.")
    return finish(SECTION, rows, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())

"""Seeking in a one-hour recording of 1M spans: `python -m bench.replay_seek` (--quick: 100k spans).

Writes a recording as a live server would (one span batch and one host sample a second for an
hour, each frame flushed), then opens it as `vrmon serve --replay` does: the frame table (what
the server needs to serve), the first part, then the rest a part at a time (each part's store add
is the longest a seek can wait while reading goes on). Then it times seeks to spread-out
positions: the replay clock moves, the store at that moment is built (a prefix of the store of
every span read), the viewer's scene is laid out again and its snapshot encoded — everything the
server does before the bytes go out. Target: ≤ 300 ms (issue 12).
"""

from __future__ import annotations

import datetime
import os
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
from vrmon.replay.growing import GrowingRecording
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


def read_times(path: Path) -> tuple[GrowingRecording, dict[str, tuple[float, float]]]:
    """Open and read the recording as the server does; (wall s, CPU s) each stage took."""
    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def since(then: tuple[float, float]) -> tuple[float, float]:
        return time.perf_counter() - then[0], time.process_time() - then[1]

    began = now()
    recording = GrowingRecording.open(path)
    table = since(began)
    first = now()
    recording.read_part()
    times = {"table": table, "first": since(first), "worst part": (0.0, 0.0)}
    while not recording.complete:
        part = now()
        recording.read_part()
        times["worst part"] = max(times["worst part"], since(part))
    times["whole"] = since(began)
    return recording, times


def seek_times(recording: GrowingRecording, name: str, seeks: int) -> dict[str, list[tuple[float, float]]]:
    """Per scene: (wall ms, CPU ms) of each seek."""
    presets = load_presets([ROOT / "scenes"])
    positions = np.random.default_rng(0).permutation(np.linspace(0.01, 1.0, seeks)) * recording.duration_us
    results: dict[str, list[tuple[float, float]]] = {}
    for scene in presets:
        hub = Hub(recording.prefix(0), presets, scene)
        player = ReplayPlayer(recording, hub, ReplayClock(recording.duration_us, 0.0, playing=False), lambda: 0.0, name=name)
        player.step()
        viewer = hub.connect()
        times = []
        for position in positions:
            wall, cpu = time.perf_counter(), time.process_time()
            player.control(ReplayRequest("seek", position_us=int(position)))
            snapshot = viewer.channel.view.snapshot()  # what the viewer is sent after a seek
            times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
            assert len(hub.store) == recording.spans_until(int(position)) and snapshot
            while not viewer.queue.empty():
                viewer.queue.get_nowait()
        results[scene] = times
    return results


def ms(times: tuple[float, float]) -> str:
    return f"{times[0] * 1000:.0f} / {times[1] * 1000:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, quick="100k spans, 10 seeks per scene")
    n_spans, seeks = (100_000, 10) if args.quick else (1_000_000, 25)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.vrrec"
        wrote = write(path, n_spans)
        size = path.stat().st_size
        load = os.getloadavg()
        recording, read = read_times(path)
        results = seek_times(recording, path.name, seeks)
        load_after = os.getloadavg()
    rows = [SECTION, "", f"Run `python -m bench.replay_seek`. Measured {datetime.date.today().isoformat()} on {machine()}; "
            f"load average {load[0]:.2f} when reading began, {load_after[0]:.2f} at the end.", "",
            f"A one-hour recording of {recording.spans:,} spans (synthetic 40-span traces, one batch and one host "
            f"sample a second, each frame flushed): {size / 1e6:.0f} MB, written in {wrote:.1f} s.", "",
            "Opening it as `vrmon serve --replay` does (the server serves once the frame table is read; the scene "
            "follows the reading, which a seek past it waits for):", "",
            "| wall / CPU | frame table | first part | whole recording, in parts | longest part (the most a seek waits while reading) |",
            "|---|---|---|---|---|",
            f"| {recording.parts} parts | {ms(read['table'])} | {ms(read['first'])} | "
            f"{read['whole'][0]:.1f} / {read['whole'][1]:.1f} s | {ms(read['worst part'])} |", "",
            f"Then {seeks} seeks per scene to positions spread over the hour, in shuffled order: each moves the clock, "
            "builds the store at that moment, lays the viewer's scene out again and encodes its snapshot.", "",
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

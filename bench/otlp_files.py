"""OTLP protobuf files against OTLP JSON files of the same spans, disk to a viewer's complete snapshot:
`python -m bench.otlp_files [--quick] [--no-write]` (files in $VRMON_BENCH_FILES, else the temp folder).

Target (issue 11): the protobuf file at least 2x faster than the JSON one. Both are the same real
HotROD spans (bench/trace_files.py), loaded as bench/file_load.py does (read, store, waterfall
layout, encoded snapshot), interleaved in one run so that both see the same machine load; medians,
wall and CPU time of this process. The reading alone (file to a batch of spans, no store) is timed
the same way. (bench/file_load.py puts each format beside `json.load`.)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from bench.file_load import interleaved, to_snapshot
from bench.report import ROOT, finish, machine, parse_arguments
from bench.trace_files import write_files
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

SECTION = "## OTLP files: protobuf against JSON"
TARGET_RATIO = 0.5


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv, "20k spans, one run each")
    n = 20_000 if args.quick else 200_000
    repeat = 1 if args.quick else 3
    folder = Path(os.environ.get("VRMON_BENCH_FILES", Path(tempfile.gettempdir()) / "vrmon-bench-files"))
    paths = write_files(folder, n, ("otlp-json", "otlp-protobuf"))
    preset = load_presets([ROOT / "scenes"])["waterfall"]
    load_before = os.getloadavg()
    snapshot = interleaved({"otlp-json": partial(to_snapshot, paths["otlp-json"], preset),
                            "otlp-protobuf": partial(to_snapshot, paths["otlp-protobuf"], preset)}, repeat)
    reading = interleaved({fmt: partial(load_trace_file, paths[fmt]) for fmt in ("otlp-json", "otlp-protobuf")}, repeat)
    load_after = os.getloadavg()
    ratio_wall = snapshot["otlp-protobuf"][0] / snapshot["otlp-json"][0]
    ratio_cpu = snapshot["otlp-protobuf"][1] / snapshot["otlp-json"][1]
    rows = [SECTION, "",
            f"Run `python -m bench.otlp_files`. Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
            f"load average {' '.join(f'{v:.2f}' for v in load_before)} at the start, "
            f"{' '.join(f'{v:.2f}' for v in load_after)} at the end (2 cores shared with other agents).", "",
            f"The same {n:,} HotROD spans as OTLP JSON ({paths['otlp-json'].stat().st_size / 1e6:.0f} MB) and as OTLP "
            f"protobuf ({paths['otlp-protobuf'].stat().st_size / 1e6:.0f} MB), interleaved, medians of {repeat} "
            "(wall s / CPU s of this process). Target: protobuf to snapshot in at most "
            f"{TARGET_RATIO:g}× the time of JSON.", "",
            "| | OTLP JSON | OTLP protobuf | protobuf / JSON (wall, CPU) |", "|---|---|---|---|",
            f"| disk to snapshot | {_cell(snapshot['otlp-json'])} | {_cell(snapshot['otlp-protobuf'])} | "
            f"{ratio_wall:.2f}×, **{ratio_cpu:.2f}×** |",
            f"| reading alone (file to spans) | {_cell(reading['otlp-json'])} | {_cell(reading['otlp-protobuf'])} | "
            f"{reading['otlp-protobuf'][0] / reading['otlp-json'][0]:.2f}×, "
            f"{reading['otlp-protobuf'][1] / reading['otlp-json'][1]:.2f}× |",
            "",
            f"Within target (CPU): {'yes' if ratio_cpu <= TARGET_RATIO else 'no'}.", ""]
    return finish(SECTION, rows, not args.no_write and not args.quick)


def _cell(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} / {times[1]:.2f}"


if __name__ == "__main__":
    sys.exit(main())

"""Live growth before and after a change, in the same conditions: 1k spans at a time into a 100k-span
waterfall trace (store add, then layout + diff + encode), measured for this tree and for another
revision (checked out in a temporary git worktree), in fresh processes taking turns, so both see
the machine's load alike. CPU is the measuring thread's time; medians over every add.

Part of `python -m bench.run --incremental --against REV`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import ROOT

# Run inside the revision measured, with only what every revision of the bench has had.
MEASURE = """
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
from bench.run import store_with
from bench.synthetic import spans_of_the_open_trace
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets
from pathlib import Path
store = store_with(100_000, spans_per_trace=100_000)
view = SceneView(store, load_presets([Path(sys.argv[1]) / "scenes"])["waterfall"])
view.snapshot()
times = []
for rep in range(int(sys.argv[2])):
    batch = spans_of_the_open_trace(store, 1000, seed=100 + rep, extent_growth=0.01)
    gc.collect()
    c0 = time.thread_time()
    store.add(batch)
    c1 = time.thread_time()
    view.refresh()
    times.append(((c1 - c0) * 1000, (time.thread_time() - c1) * 1000))
print(json.dumps(times))
"""


def measured(root: Path, adds: int) -> list[tuple[float, float]]:
    """(store add, layout + diff + encode) CPU ms of each add, in a fresh process running `root`'s code."""
    out = subprocess.run([sys.executable, "-c", MEASURE, str(root), str(adds)], check=True, capture_output=True, text=True, cwd=root)
    return [tuple(t) for t in json.loads(out.stdout.splitlines()[-1])]


def before_after(rev: str, turns: int = 5, adds: int = 11) -> list[str]:
    """Report rows: this tree and `rev`, `turns` fresh processes each, taking turns."""
    name = subprocess.run(["git", "rev-parse", "--short", rev], check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="vrmon-before-") as tmp:
        before_root = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(before_root), rev], check=True, capture_output=True, cwd=ROOT)
        try:
            runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
            for _ in range(turns):
                runs["before"] += measured(before_root, adds)
                runs["after"] += measured(ROOT, adds)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_root)], check=True, capture_output=True, cwd=ROOT)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    rows = [f"\nBefore and after, in the same conditions (`--against {rev}`): the open trace grows, `{name}` (before) and this "
            f"tree (after) in {turns} fresh processes each, taking turns, {adds} adds a process; CPU ms, medians of {turns * adds} "
            f"adds (load average {load} when they ended).\n",
            "| code | store add | layout + diff + encode | total |", "|---|---|---|---|"]
    for label, times in runs.items():
        add, layout = (statistics.median(t[k] for t in times) for k in (0, 1))
        total = statistics.median(a + b for a, b in times)
        rows.append(f"| {label} (`{name}`) | {add:.2f} | {layout:.2f} | {total:.2f} |" if label == "before" else
                    f"| {label} | {add:.2f} | {layout:.2f} | {total:.2f} |")
    return rows

"""Shared by the benchmarks: the machine line and writing one section of docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_DOC = ROOT / "docs/benchmarks.md"


def machine() -> str:
    """One line describing this machine, for the record next to the numbers."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}), {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, numpy {np.__version__}")


def percentile(values: list[float], q: float) -> float:
    """The value at fraction `q` (0.5 = median) of the sorted values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def write_section(section: str, report: str, path: Path = BENCHMARKS_DOC) -> None:
    """Replace one benchmark's section (a `## ` heading and what follows it), leaving the others."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\nEvery number here was measured by the command its section names.\n\n"
    if section in text:
        start = text.index(section)
        nxt = text.find("\n## ", start + len(section))
        text = text[:start] + report.rstrip("\n") + "\n" + ("\n" + text[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + report
    path.write_text(text)


def finish(section: str, rows: list[str], write: bool) -> int:
    """Print a benchmark's report and, for a full run, record it in docs/benchmarks.md."""
    report = "\n".join(rows) + "\n"
    print(report)
    if write:
        write_section(section, report)
    return 0


def parse_arguments(doc: str, argv: list[str] | None, quick: str, **flags: str) -> argparse.Namespace:
    """The options every timing benchmark takes: --quick (a smoke run: `quick` says what it does) and --no-write;
    `flags` adds a benchmark's own on/off options (name: help)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    for name, help_text in flags.items():
        parser.add_argument(f"--{name.replace('_', '-')}", action="store_true", help=help_text)
    return parser.parse_args(argv)

"""Shared by the benchmarks: the machine line and writing one section of docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import re
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
        text = _replaced(text, start, text.find("\n## ", start + len(section)), report)
    else:
        text = text.rstrip("\n") + "\n\n" + report
    path.write_text(text)


def write_part(heading: str, report: str, path: Path = BENCHMARKS_DOC) -> None:
    """Replace one part of a section (a `### ` heading that starts with `heading`, and what follows it
    up to the next heading), leaving the rest: a benchmark run on its own records what it measured."""
    text = path.read_text()
    start = text.index(heading)
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i >= 0]
    path.write_text(_replaced(text, start, min(ends, default=-1), report))


def _replaced(text: str, start: int, nxt: int, report: str) -> str:
    """`text` with `report` from `start` up to the heading at `nxt` (-1: the end), a blank line before that heading."""
    return text[:start] + report.rstrip("\n") + "\n" + ("\n" + text[nxt + 1 :] if nxt >= 0 else "")


NOTE = re.compile(r";\s*\d{4}-\d{2}-\d{2}, load [^)]*\)|\s*\(\d{4}-\d{2}-\d{2}, load [^)]*\)")


def noted(what: str, note: str) -> str:
    """A table row's first cell with a note (when and at what load it was measured) in its parentheses."""
    return f"{what[:-1]}; {note})" if what.endswith(")") else f"{what} ({note})"


def write_rows(rows: list[str], path: Path = BENCHMARKS_DOC) -> None:
    """Replace the table rows whose first cell names the same thing as one of `rows` (notes of when
    they were measured aside), leaving every other row as it was."""
    def named(line: str) -> str:
        return NOTE.sub(lambda m: ")" if m.group(0).startswith(";") else "", line.split("|")[1].strip()) if line.startswith("| ") else ""

    new = {named(row): row for row in rows}
    lines = path.read_text().split("\n")
    path.write_text("\n".join(new.get(named(line), line) if named(line) else line for line in lines))


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

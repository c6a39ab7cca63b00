"""`vrmon inspect`: summarise trace files, list their findings, or compare two traces."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from vrmon.errors import ConfigError
from vrmon.model.span_store import SpanFlag, SpanStore
from vrmon.sources.files import load_trace_file


def add_inspect_parser(sub: Any) -> None:
    inspect = sub.add_parser(
        "inspect", help="summarise trace files, list what is wrong in them, or compare two traces",
        description="Summarise a trace file; with --findings list N+1 calls, error root causes, slow spans and "
                    "flagged spans; with --compare A B show where trace B spends more or less time than trace A.")
    inspect.add_argument("paths", type=Path, nargs="+", metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.add_argument("--findings", action="store_true", help="list the findings in the files' traces")
    inspect.add_argument("--min-calls", type=int, default=5, metavar="N",
                         help="--findings: repeated calls it takes to be an N+1 (default: 5)")
    inspect.add_argument("--compare", action="store_true", help="compare trace B (second FILE) against baseline A (first FILE)")
    inspect.add_argument("--trace-a", metavar="ID", help="--compare: the trace of A (needed when A holds several)")
    inspect.add_argument("--trace-b", metavar="ID", help="--compare: the trace of B (needed when B holds several)")
    inspect.add_argument("--top", type=int, default=5, metavar="N", help="--compare: spans to list as contributing most (default: 5)")
    inspect.set_defaults(run=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    if args.findings and args.compare:
        raise ConfigError("--findings and --compare are separate reports; pass one of them")
    if args.compare:
        return _compare(args)
    if args.findings:
        return _findings(args)
    if len(args.paths) != 1:
        raise ConfigError(f"inspect summarises one FILE, got {len(args.paths)}; add --findings to list findings across files")
    return _summary(args)


def _load(paths: list[Path]) -> SpanStore:
    store = SpanStore()
    for path in paths:
        store.add(load_trace_file(path))
    return store


def _summary(args: argparse.Namespace) -> int:
    store = _load(args.paths)
    flags = store.flags
    report = {
        "file": str(args.paths[0]),
        "traces": store.trace_count,
        "spans": len(store),
        "services": sorted(store.services.names),
        "operations": len(store.operations),
        "errors": int(np.count_nonzero(flags & SpanFlag.ERROR)),
        "orphans": int(np.count_nonzero(flags & SpanFlag.ORPHAN)),
        "duplicates": int(np.count_nonzero(flags & SpanFlag.DUPLICATE)),
        "clock_skew": int(np.count_nonzero(flags & SpanFlag.CLOCK_SKEW)),
        "max_depth": int(store.depth.max()) + 1 if len(store) else 0,
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>11}: {', '.join(value) if isinstance(value, list) else value}")
    return 0


def _findings(args: argparse.Namespace) -> int:
    from vrmon.analysis.findings import FindingRules, find_all

    if args.min_calls < 2:
        raise ConfigError(f"--min-calls {args.min_calls}: an N+1 needs at least 2 repeated calls")
    store = _load(args.paths)
    findings = find_all(store, FindingRules(n_plus_one_min_calls=args.min_calls))
    if args.json:
        print(json.dumps({"findings": [f.to_json() for f in findings]}))
        return 0
    summaries = store.trace_summaries()
    names = store.services.names, store.operations.names
    trace = None
    for finding in findings:
        if finding.trace != trace:
            trace = finding.trace
            root = f"{names[0][summaries['root_service'][trace]]} {names[1][summaries['root_operation'][trace]]}"
            print(f"trace {store.trace_id_hex(trace)}  {root}  ({summaries['spans'][trace]} spans)")
        fields = finding.fields
        key = next((k for k in ("span", "parent") if k in fields), None)
        where = f"{key} {fields[key]}" if key else f"{len(fields['spans'])} spans"
        what = f"{fields['service']} {fields['operation']}" if "service" in fields else ""
        print(f"  {finding.kind:<17} {what}  [{where}]".rstrip())
        print(f"      {fields['reason']}")
    traces = len({f.trace for f in findings})
    print(f"{len(findings)} finding{'s' * (len(findings) != 1)} in {traces} of {store.trace_count} traces ({len(store)} spans)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    raise ConfigError("--compare is not available yet")

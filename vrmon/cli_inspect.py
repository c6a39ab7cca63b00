"""`vrmon inspect`: summarise trace files, list their findings, or compare two traces.

Heavy modules (numpy, the store, the readers) are imported when a report runs, so that every
other `vrmon` command starts without them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vrmon.errors import ConfigError
from vrmon.setting_flags import add_command_settings

if TYPE_CHECKING:
    from vrmon.model.span_store import SpanStore

LISTED = 10  # spans listed per "only in" section in text; --json lists all


def add_inspect_parser(sub: Any) -> None:
    inspect = sub.add_parser(
        "inspect", help="summarise trace files, list what is wrong in them, or compare two traces",
        description="Summarise a trace file; with --findings list N+1 calls, error root causes, slow spans and "
                    "flagged spans; with --compare A B show where trace B spends more or less time than trace A.")
    inspect.add_argument("paths", type=Path, nargs="+", metavar="FILE")
    add_command_settings(inspect, "inspect")
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


def _load(paths: list[Path]) -> "SpanStore":
    from vrmon.model.span_store import SpanStore
    from vrmon.sources.files import load_trace_file

    store = SpanStore()
    for path in paths:
        store.add(load_trace_file(path))
    return store


def _summary(args: argparse.Namespace) -> int:
    from vrmon.recording.reader import is_recording

    if is_recording(args.paths[0]):
        from vrmon.recording.inspect import recording_report

        report = recording_report(args.paths[0])
    else:
        from vrmon.analysis.store_report import store_report

        report = store_report(_load(args.paths), args.paths[0])
    if args.json:
        print(json.dumps(report))
    else:
        width = max(map(len, report))
        for key, value in report.items():
            print(f"{key:>{width}}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    return 0


def _findings(args: argparse.Namespace) -> int:
    from vrmon.analysis.findings import FindingRules, find_all

    if args.min_calls < 2:
        raise ConfigError(f"--min-calls {args.min_calls}: an N+1 needs at least 2 repeated calls")
    store = _load(args.paths)
    findings = find_all(store, FindingRules(n_plus_one_min_calls=args.min_calls))
    if args.json:
        print(json.dumps({"findings": [f.to_json(store) for f in findings]}))
        return 0
    summaries = store.trace_summaries()
    names = store.services.names, store.operations.names
    trace = None
    for finding in findings:
        if finding.trace != trace:
            trace = finding.trace
            root = f"{names[0][summaries['root_service'][trace]]} {names[1][summaries['root_operation'][trace]]}"
            print(f"trace {store.trace_id_hex(trace)}  {root}  ({summaries['spans'][trace]} spans)")
        fields = finding.to_json(store)
        key = next((k for k in ("span", "parent") if k in fields), None)
        where = f"{key} {fields[key]}" if key else f"{len(fields['spans'])} spans"
        what = f"{fields['service']} {fields['operation']}" if "service" in fields else ""
        print(f"  {finding.kind:<17} {what}  [{where}]".rstrip())
        print(f"      {fields['reason']}")
    traces = len({f.trace for f in findings})
    print(f"{len(findings)} finding{'s' * (len(findings) != 1)} in {traces} of {store.trace_count} traces ({len(store)} spans)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from vrmon.analysis.compare import compare_traces, summary

    if len(args.paths) != 2:
        raise ConfigError(f"--compare needs two files, baseline A then B (the same file twice to compare two of its traces), got {len(args.paths)}")
    if args.top < 0:
        raise ConfigError(f"--top {args.top}: give a number of spans, 0 or more")
    path_a, path_b = args.paths
    store_a = _load([path_a])
    store_b = store_a if path_b.resolve() == path_a.resolve() else _load([path_b])
    trace_a = _pick_trace(store_a, path_a, args.trace_a, "--trace-a")
    trace_b = _pick_trace(store_b, path_b, args.trace_b, "--trace-b")
    if store_a is store_b and trace_a == trace_b:
        raise ConfigError(f"A and B are the same trace {store_a.trace_id_hex(trace_a)}; pick two with --trace-a ID --trace-b ID")
    report = summary(compare_traces(store_a, trace_a, store_b, trace_b), args.top)
    if args.json:
        print(json.dumps(report))
    else:
        _print_comparison(report)
    return 0


def _pick_trace(store: "SpanStore", path: Path, trace_id: str, flag: str) -> int:
    if trace_id:
        code = store.trace_code(trace_id)
        if code is None or not store.trace_summaries()["spans"][code]:
            raise ConfigError(f"{path}: no trace {trace_id!r} in it")
        return code
    if store.trace_count != 1:
        examples = ", ".join(store.trace_id_hex(t) for t in range(min(3, store.trace_count)))
        raise ConfigError(f"{path} holds {store.trace_count} traces; pick one with {flag} ID (e.g. {examples})")
    return 0


def _print_comparison(report: dict[str, Any]) -> None:
    for name in ("a", "b"):
        side = report[name]
        print(f"{name.upper()}  {side['trace']}  {side['root']}  {side['spans']} span{'s' * (side['spans'] != 1)}  {side['duration_ms']:.1f} ms")
    a_ms = report["a"]["duration_ms"]
    change = f" ({100 * report['total_diff_ms'] / a_ms:+.1f}%)" if a_ms else ""
    overlap = report["overlap_ms"]
    concurrency = f", {overlap:+.1f} ms from calls overlapping {'more' if overlap < 0 else 'less'}" if overlap else ""
    print(f"B - A: {report['total_diff_ms']:+.1f} ms{change} = {report['self_time_diff_ms']:+.1f} ms of span self time{concurrency}")
    print(f"{report['matched']} spans matched, {len(report['only_in_a'])} only in A, {len(report['only_in_b'])} only in B")
    if report["top"]:
        print("contributing most (self time, B - A):")
        for entry in report["top"]:
            if entry["change"] == "matched":
                detail = f"{entry['duration_a_ms']:.1f} -> {entry['duration_b_ms']:.1f} ms"
            else:
                detail = f"{entry['change']}, {entry['duration_ms']:.1f} ms"
            print(f"  {entry['self_diff_ms']:+9.1f} ms  {entry['path']}  ({detail})")
    for key, title in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
        spans = report[key]
        if spans:
            print(f"{title}:")
            for entry in spans[:LISTED]:
                print(f"  {entry['span']}  {entry['path']}  {entry['duration_ms']:.1f} ms")
            if len(spans) > LISTED:
                print(f"  ... and {len(spans) - LISTED} more (--json lists them all)")

"""Server start → listening, → the page served, → the trace shown: `python -m bench.server_start [--runs N] [--against DIR]`.

Issue 14's target is server start → listening ≤ 0.5 s. Each run starts `vrmon serve` from a
checkout as a user does (a new Python process; `Popen` is the start) and takes, from the start:

- **listening**: the port accepts a TCP connection (the socket is bound and listening; a browser
  that connects now waits in the backlog instead of being refused);
- **page**: `GET /` answered 200 (the first thing a browser asks for, served whole);
- **CPU to page**: the server process's user + system CPU seconds by then (far less moved by the
  load of other programs than the wall clock: waiting for a core costs no CPU);
- **trace shown**: a websocket viewer holds the trace's spans (in its first snapshot once the replay
  file is read in the background after listening; from Jaeger, in the delta of the first poll).

Cases: `serve --replay FILE` with a 1k- and a 200k-span Jaeger JSON file (bench/boot.py's
synthetic trace: listening must not wait for the file), and `serve --jaeger URL` against the
recorded-response Jaeger stub of the tests serving the HotROD trace.
`--against DIR` measures another checkout (say, main before a change) run for run interleaved with
this one, so both see the same machine load. Unless --quick or --no-write, the Markdown replaces
the "Server start" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from websockets.sync.client import connect

from bench.boot import Server, _load, checkouts_to_measure, write_jaeger_file
from bench.report import finish, machine
from tests.conftest import free_port
from tests.jaeger_stub import JaegerStub
from vrmon.protocol import decode_server_frame

SECTION = "## Server start"
METRICS = ("listening_s", "page_s", "cpu_page_s", "shown_s")
JAEGER_TRACE = "apiv3-gettrace-hotrod-40spans.json"  # fixtures/: 40 spans, served by the stub as Jaeger v2.19 does


def one_run(checkout: Path, args: list[str], spans: int, log: Path, timeout_s: float) -> dict[str, float]:
    """Start one server and time it to listening, to the page, and to a viewer holding `spans` spans."""
    server = Server(checkout, args, log)
    try:
        listening = server.wait_listening(timeout_s)
        with urllib.request.urlopen(server.url, timeout=timeout_s) as answer:
            answer.read()
            assert answer.status == 200
        page = time.perf_counter() - server.started
        times = psutil.Process(server.proc.pid).cpu_times()
        with connect(f"ws://127.0.0.1:{server.port}/ws", max_size=None, open_timeout=timeout_s) as ws:
            shown = 0  # spans in the viewer's scene: the snapshot's, then what deltas add (a live source's first poll)
            while shown < spans:
                frame = decode_server_frame(ws.recv(timeout=timeout_s))
                if frame["type"] == "snapshot":
                    shown = frame["scene"].get("totals", {}).get("spans", len(frame["nodes"]))
                elif frame["type"] == "delta":
                    shown += len(frame["added"])
        shown_at = time.perf_counter() - server.started
        return {"listening_s": listening, "page_s": page, "cpu_page_s": times.user + times.system, "shown_s": shown_at}
    finally:
        server.stop()


def summary(samples: list[dict[str, float]]) -> dict[str, tuple[float, float, float]]:
    """metric → (median, min, max)."""
    return {m: (statistics.median(s[m] for s in samples), min(s[m] for s in samples), max(s[m] for s in samples))
            for m in METRICS}


def report(results: dict[str, dict[str, list[dict]]], labels: dict[str, str], runs: int, load_at_start: str) -> list[str]:
    lines = [
        SECTION, "",
        f"Run `python -m bench.server_start` (`--against DIR`: another checkout, interleaved). Measured "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}; {runs} runs per case and "
        f"checkout, interleaved; median (min–max), seconds from `Popen`. Load average when it started: {load_at_start}, "
        f"when it ended: {_load()} (2 cores shared with other agents).", "",
        "Listening: the port accepts a connection; page: `GET /` answered; CPU: the server's CPU seconds until then;",
        "trace shown: a viewer holds the whole trace (replay files are read after listening; Jaeger's comes with its first poll).", "",
        "| case | checkout | listening | page | CPU to page | trace shown |",
        "|---|---|---|---|---|---|",
    ]
    for case, by_checkout in results.items():
        for key, samples in by_checkout.items():
            cells = " | ".join(f"{med:.3f} ({low:.3f}–{high:.3f})" for med, low, high in summary(samples).values())
            lines.append(f"| {case} | {labels[key]} | {cells} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="1 run, the 1k-span file and Jaeger only; prints only")
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run (e.g. main before a change)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    load_at_start = _load()
    runs = 1 if args.quick else args.runs
    checkouts, labels = checkouts_to_measure(args.against)
    stub = JaegerStub()
    stub.release(stub.load(JAEGER_TRACE))
    stub.start(free_port())
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            cases = {f"`serve --replay` {n:,}-span file": (["--replay", str(write_jaeger_file(n, folder))], n)
                     for n in ((1_000,) if args.quick else (1_000, 200_000))}
            cases["`serve --jaeger` (stub, 40 spans)"] = (["--jaeger", f"http://127.0.0.1:{stub.server.port}"], 40)
            results: dict[str, dict[str, list[dict]]] = {case: {key: [] for key in checkouts} for case in cases}
            for run in range(runs):
                for case, (case_args, spans) in cases.items():
                    for key, checkout in checkouts.items():  # interleaved: all see the same machine load
                        sample = one_run(checkout, case_args, spans, folder / f"{key}.log", args.timeout)
                        results[case][key].append(sample)
                        print(f"{case}, {key}, run {run}: " + ", ".join(f"{k}={v:.3f}" for k, v in sample.items()), file=sys.stderr)
    finally:
        stub.stop()
    return finish(SECTION, report(results, labels, runs, load_at_start), write=not (args.no_write or args.quick))


if __name__ == "__main__":
    sys.exit(main())

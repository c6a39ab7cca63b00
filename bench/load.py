"""Load on loopback: many viewers of one big scene, one viewer that never reads, and the cost of
per-message compression. The server runs in its own process, so its RSS and CPU are its own.

    .venv/bin/python -m bench.load                       # 200 viewers, 20k spans, deflate off and on
    .venv/bin/python -m bench.load --viewers 20 --spans 2000 --deltas 3 --no-compare

Each viewer must receive its snapshot and then every delta in order (seq without gaps, or a
resync snapshot); the stalled viewer completes the handshake and never reads a byte. Printed:
time until every viewer has its snapshot, time for each delta to reach every viewer, server RSS
before and after, and server CPU seconds for the whole run. docs/security.md quotes a run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import msgpack
import psutil
from websockets.asyncio.client import connect

from bench.report import machine, percentile

SERVE = """
import sys, threading, time
import uvicorn
from bench.synthetic import spans_of_the_open_trace, synthetic_batch
from vrmon.app import create_app
from vrmon.model.span_store import SpanStore
from vrmon.settings import ServeConfig
from vrmon.ws_protocol import UVICORN_WS_OPTIONS

port, spans, deflate, viewers = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
store = SpanStore()
store.add(synthetic_batch(spans, spans_per_trace=spans))
app = create_app(ServeConfig(host_metrics=False, max_viewers=viewers + 10), store=store)
hub = app.state.hub
options = {**UVICORN_WS_OPTIONS, "ws_per_message_deflate": deflate}
server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))

async def grow():  # one command per line on stdin: "grow K" adds K spans to the open trace
    import asyncio
    loop = asyncio.get_running_loop()
    seed = 1
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        seed += 1
        store.add(spans_of_the_open_trace(store, int(line.split()[1]), seed, 0.001))

async def main():
    import asyncio
    asyncio.get_running_loop().create_task(grow())
    await server.serve()

import asyncio
asyncio.run(main())
"""


@dataclass
class Watcher:
    snapshot_at: float = 0.0
    seq: int = -1
    deltas: list[tuple[int, float]] = None  # (seq, arrival time)
    resyncs: int = 0

    def __post_init__(self) -> None:
        self.deltas = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def watch(url: str, watcher: Watcher, compression: str | None, done: asyncio.Event) -> None:
    # no keepalive pings: on a loaded machine a late pong would end a viewer the run is measuring
    async with connect(url, max_size=None, compression=compression, open_timeout=60, ping_interval=None) as ws:
        while not done.is_set():
            try:
                data = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            frame = msgpack.unpackb(data, raw=False)
            kind = frame["type"]
            if kind == "snapshot":
                if watcher.snapshot_at:
                    watcher.resyncs += 1
                watcher.snapshot_at = watcher.snapshot_at or time.monotonic()
                watcher.seq = frame["seq"]
            elif kind == "delta":
                if frame["seq"] != watcher.seq + 1:
                    raise AssertionError(f"delta {frame['seq']} after {watcher.seq}: a gap without a resync")
                watcher.seq = frame["seq"]
                watcher.deltas.append((frame["seq"], time.monotonic()))


def stalled_viewer(port: int) -> socket.socket:
    """A viewer that completes the websocket handshake and then never reads."""
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer.connect(("127.0.0.1", port))
    peer.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % port)
    assert peer.recv(12) == b"HTTP/1.1 101"
    return peer


@dataclass
class Result:
    snapshots_s: float  # from the first connect until every viewer has its snapshot
    delta_s: list[float]  # per delta: from the grow command until the last viewer has it
    rss_before: int
    rss_after: int
    cpu_s: float  # server process, user + system, whole run after start-up
    client_cpu_s: float  # this process: the viewers' websockets and msgpack decoding
    resyncs: int


async def run(viewers: int, spans: int, deltas: int, grow: int, deflate: bool) -> Result:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(spans), "1" if deflate else "0", str(viewers)],
                              stdin=subprocess.PIPE, text=True)
    try:
        url = f"ws://127.0.0.1:{port}/ws"
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the load server did not start")
                await asyncio.sleep(0.1)
        proc = psutil.Process(server.pid)
        rss_before = proc.memory_info().rss
        cpu_before = sum(proc.cpu_times()[:2])
        client_cpu_before = time.process_time()
        stalled = stalled_viewer(port)
        done = asyncio.Event()
        watchers = [Watcher() for _ in range(viewers)]
        started = time.monotonic()
        tasks = [asyncio.create_task(watch(url, w, "deflate", done)) for w in watchers]
        while not all(w.snapshot_at for w in watchers):
            for t in tasks:
                if t.done() and t.exception():
                    raise t.exception()
            await asyncio.sleep(0.05)
        snapshots_s = max(w.snapshot_at for w in watchers) - started
        delta_s = []
        for _ in range(deltas):
            target = min(w.seq for w in watchers) + 1
            asked = time.monotonic()
            server.stdin.write(f"grow {grow}\n")
            server.stdin.flush()
            while not all(w.seq >= target for w in watchers):
                for t in tasks:
                    if t.done() and t.exception():
                        raise t.exception()
                await asyncio.sleep(0.02)
            delta_s.append(max(next(at for seq, at in w.deltas if seq >= target) for w in watchers) - asked)
        rss_after = proc.memory_info().rss
        cpu_s = sum(proc.cpu_times()[:2]) - cpu_before
        client_cpu_s = time.process_time() - client_cpu_before
        done.set()
        await asyncio.gather(*tasks)
        stalled.close()
        return Result(snapshots_s, delta_s, rss_before, rss_after, cpu_s, client_cpu_s, sum(w.resyncs for w in watchers))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--deltas", type=int, default=10)
    parser.add_argument("--grow", type=int, default=200, help="spans added for each delta")
    parser.add_argument("--no-compare", action="store_true", help="skip the run with permessage-deflate on")
    args = parser.parse_args(argv)
    runs = [("off (vrmon's setting)", False)] + ([] if args.no_compare else [("on (uvicorn's default)", True)])
    print(f"{args.viewers} viewers + 1 that never reads, one {args.spans}-span trace, {args.deltas} deltas of "
          f"{args.grow} spans; {time.strftime('%Y-%m-%d')}, {machine()}, load average {os.getloadavg()[0]:.1f}\n")
    print("| permessage-deflate | all snapshots | delta to all viewers (median / max) | server RSS before → after "
          "| server CPU | viewers' CPU |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, deflate in runs:
        r = asyncio.run(run(args.viewers, args.spans, args.deltas, args.grow, deflate))
        print(f"| {label} | {r.snapshots_s:.2f} s | {percentile(r.delta_s, 0.5) * 1000:.0f} / {max(r.delta_s) * 1000:.0f} ms "
              f"| {r.rss_before / 2**20:.0f} → {r.rss_after / 2**20:.0f} MiB | {r.cpu_s:.2f} s | {r.client_cpu_s:.1f} s |"
              + (f" ({r.resyncs} resyncs)" if r.resyncs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

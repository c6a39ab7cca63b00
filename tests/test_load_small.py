"""A small run of the load benchmark (bench/load.py): 20 viewers and one that never reads, on a
2k-span scene in a server process of its own. Every viewer gets its snapshot and then every
delta in order, and the server's memory stays put. Timings belong to the full run in bench/."""

from __future__ import annotations

import asyncio

from bench.load import run


def test_every_viewer_gets_its_snapshot_and_every_delta_beside_a_stalled_one():
    result = asyncio.run(run(viewers=20, spans=2_000, deltas=3, grow=100, deflate=False))  # raises on a gap
    assert len(result.delta_s) == 3 and result.resyncs == 0
    assert result.rss_after - result.rss_before < 32 * 2**20, (result.rss_before, result.rss_after)

"""Host load from psutil: per-core CPU, load averages and memory, sampled once a second.

A source like any other: it measures and hands on plain values; the app encodes them for viewers.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HostSample:
    cpu: np.ndarray  # float32 busy percentage per core
    load: tuple[float, float, float]  # 1, 5 and 15 minute load averages
    mem_used: int  # bytes
    mem_total: int
    ts: float  # seconds since the epoch


def sample_host() -> HostSample:
    """The host now. cpu_percent(interval=None) measures since the previous call."""
    import psutil  # imported already, by run_host_metrics

    cpu = np.array(psutil.cpu_percent(interval=None, percpu=True), dtype=np.float32)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    mem = psutil.virtual_memory()
    return HostSample(cpu=cpu, load=load, mem_used=int(mem.total - mem.available), mem_total=int(mem.total), ts=time.time())


async def run_host_metrics(publish: Callable[[HostSample], None], interval: float = 1.0) -> None:
    await asyncio.to_thread(_prime_counters)  # off the event loop, which starts serving meanwhile
    while True:
        await asyncio.sleep(interval)
        publish(sample_host())


def _prime_counters() -> None:
    """Load psutil and prime its counters: the first reading is meaningless."""
    import psutil

    psutil.cpu_percent(interval=None, percpu=True)

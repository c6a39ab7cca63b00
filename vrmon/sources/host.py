"""Host load from psutil: per-core CPU, load averages and memory, sampled once a second."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import numpy as np
import psutil

from vrmon.protocol import metrics_frame


def sample_host() -> bytes:
    """One `metrics` frame. cpu_percent(interval=None) measures since the previous call."""
    cpu = np.array(psutil.cpu_percent(interval=None, percpu=True), dtype=np.float32)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    mem = psutil.virtual_memory()
    return metrics_frame(cpu=cpu, load=load, mem_used=int(mem.total - mem.available), mem_total=int(mem.total), ts=time.time())


async def run_host_metrics(broadcast: Callable[[bytes], None], interval: float = 1.0) -> None:
    psutil.cpu_percent(interval=None, percpu=True)  # prime the counters: the first reading is meaningless
    while True:
        await asyncio.sleep(interval)
        broadcast(sample_host())

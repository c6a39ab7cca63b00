"""What `vrmon inspect` says about the spans of a file (a trace file or a recording)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vrmon.model.span_store import SpanFlag, SpanStore


def store_report(store: SpanStore, path: Path) -> dict[str, Any]:
    """What `inspect` says about the spans of a file (a trace file or a recording)."""
    flags = store.flags
    return {
        "file": str(path),
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

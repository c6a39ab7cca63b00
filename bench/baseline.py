"""The waterfall layout written the straightforward way, one span at a time in plain Python.

It is the benchmark's baseline, so it does all the work `vrmon.layout.waterfall.waterfall_layout`
does, from the same inputs (the store's columns: parent index, trace, depth, service, start,
duration, flags): time scale per trace, rows by depth, a lane per (trace, service) ordered by
first start, separate tracks for bars that overlap in one lane and depth, lane spacing from the
tracks, node rows (position, size, colour, flags), the critical path when it is one trace, lane
and time-ruler labels, and the bounds. tests/test_bench_baseline.py checks that both give the
same nodes.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from vrmon.layout.nodes import CRITICAL, Label
from vrmon.layout.waterfall import WaterfallParams, time_ruler


def python_columns(cols) -> dict[str, list]:
    """SpanColumns as plain Python lists, the baseline's input."""
    return {name: getattr(cols, name).tolist() for name in ("ids", "parent", "trace", "depth", "service", "operation",
                                                           "start_us", "duration_us", "flags")}


def python_waterfall(c: dict[str, list], p: WaterfallParams, palette: list[tuple[int, int, int, int]],
                     service_names: list[str] | None = None) -> dict[str, Any]:
    trace, depth, service, start = c["trace"], c["depth"], c["service"], c["start_us"]
    duration = [max(d, 0) for d in c["duration_us"]]
    n = len(trace)

    t0: dict[int, int] = {}
    t1: dict[int, int] = {}
    max_depth: dict[int, int] = {}
    pair_start: dict[tuple[int, int], int] = {}
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i in range(n):
        t, s, e = trace[i], start[i], start[i] + duration[i]
        if t not in t0 or s < t0[t]:
            t0[t] = s
        if t not in t1 or e > t1[t]:
            t1[t] = e
        if depth[i] > max_depth.get(t, 0):
            max_depth[t] = depth[i]
        pair = (t, service[i])
        if pair not in pair_start or s < pair_start[pair]:
            pair_start[pair] = s
        groups.setdefault((t, service[i], depth[i]), []).append(i)

    # tracks: bars of one lane and depth that overlap in time are stacked side by side
    track = [0] * n
    pair_tracks: dict[tuple[int, int], int] = {}
    for (t, svc, _), members in groups.items():
        members.sort(key=lambda i: start[i])
        running_end = None
        cluster_first = 0
        for k, i in enumerate(members):
            s = start[i]
            if running_end is None or s >= running_end:
                cluster_first = k
            track[i] = k - cluster_first
            e = max(s + duration[i], s + 1)
            running_end = e if running_end is None else max(running_end, e)
            if track[i] + 1 > pair_tracks.get((t, svc), 0):
                pair_tracks[(t, svc)] = track[i] + 1

    # lanes of each trace, ordered by their service's first start, as wide as their tracks
    lanes_of: dict[int, list[tuple[int, int]]] = {}
    for (t, svc), s in pair_start.items():
        lanes_of.setdefault(t, []).append((s, svc))
    lane_z: dict[tuple[int, int], float] = {}
    for t, lanes in lanes_of.items():
        lanes.sort()
        z = 0.0
        for _, svc in lanes:
            lane_z[(t, svc)] = -z
            z += pair_tracks[(t, svc)] * p.track_gap + p.lane_gap

    pos, size, color, flags = [], [], [], list(c["flags"])
    for i in range(n):
        t = trace[i]
        scale = p.width / max(t1[t] - t0[t], 1)
        length = max(duration[i] * scale, p.min_bar)
        x0 = (start[i] - t0[t]) * scale
        pos.append((-p.width / 2 + x0 + length / 2,
                    p.floor + (max_depth.get(t, 0) - depth[i]) * p.row_height,
                    lane_z[(t, service[i])] - track[i] * p.track_gap))
        size.append((length, p.bar_height, p.bar_depth))
        color.append(palette[service[i] % len(palette)])

    labels: list[Label] = []
    if n and len(t0) == 1:
        for i in critical_spans(c["parent"], start, [start[i] + duration[i] for i in range(n)]):
            flags[i] |= CRITICAL
        if service_names is not None:
            (t,) = t0
            lane_top: dict[int, float] = {}
            for i in range(n):
                lane_top[service[i]] = max(lane_top.get(service[i], float("-inf")), pos[i][1])
            for _, svc in lanes_of[t]:
                labels.append(Label(service_names[svc], (-p.width / 2 - 0.3, lane_top[svc], lane_z[(t, svc)]), "lane"))
            labels.extend(time_ruler(max(t1[t] - t0[t], 1), p, y=p.floor - p.row_height * 0.8, z=0.4))

    lo = [float("inf")] * 3
    hi = [float("-inf")] * 3
    for (x, y, z), (sx, sy, sz) in zip(pos, size):
        for k, (v, half) in enumerate(((x, sx / 2), (y, sy / 2), (z, sz / 2))):
            lo[k] = min(lo[k], v - half)
            hi[k] = max(hi[k], v + half)
    return {"ids": list(c["ids"]), "pos": pos, "size": size, "color": color, "flags": flags, "labels": labels,
            "bounds": (*lo, *hi)}


def critical_spans(parent: list[int], start: list[int], end: list[int]) -> list[int]:
    """The critical path, one span at a time: from the root's end, the latest child that ended
    by the cursor is critical, then its own children; the cursor moves to that child's start."""
    n = len(parent)
    end = [max(e, s) for s, e in zip(start, end)]
    children: dict[int, list[int]] = {}
    for i in range(n):
        children.setdefault(parent[i], []).append(i)
    for kids in children.values():
        kids.sort(key=lambda i: end[i])
    roots = children.get(-1, [])
    if not roots:
        return []
    root = max(roots, key=lambda i: (end[i], -i))
    critical = []
    stack = [(root, end[root])]
    while stack:
        span, bound = stack.pop()
        critical.append(span)
        cursor = min(end[span], bound)
        kids = children.get(span, [])
        kid_ends = [end[i] for i in kids]
        hi = len(kids)
        while hi > 0 and cursor > start[span]:
            at = bisect_right(kid_ends, cursor, 0, hi)
            if at == 0:
                started = [k for k in range(hi) if start[kids[k]] < cursor]
                if not started:
                    break
                hi = started[-1]
                child = kids[hi]
            else:
                child = kids[at - 1]
                hi = at - 1
            stack.append((child, cursor))
            cursor = start[child]
    return critical

"""The vrmon wire protocol, sans-I/O: frames ↔ bytes. No sockets, no asyncio, no Starlette.

Every frame is one msgpack map with a ``type`` key. Numeric node columns travel as msgpack
``bin`` holding little-endian typed data, so a browser wraps them as typed arrays without
per-element decoding. docs/protocol.md is the reference for every frame and field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from vrmon.errors import ProtocolError
from vrmon.formats.values import pack_untrusted
from vrmon.layout.nodes import Edges, Label, Nodes

PROTOCOL_VERSION = 2  # 2: RGB node colours and the duration column
MAX_CLIENT_FRAME = 16 * 1024  # bytes; viewer → server frames are small requests
MAX_SERVER_FRAME = 512 * 1024 * 1024
_pack = functools.partial(msgpack.packb, use_bin_type=True)

# column name → (little-endian dtype, values per node)
NODE_COLUMNS: dict[str, tuple[str, int]] = {
    "ids": ("<u4", 1),
    "pos": ("<f4", 3),
    "size": ("<f4", 3),
    "color": ("u1", 3),
    "service": ("<u2", 1),
    "operation": ("<u2", 1),
    "flags": ("u1", 1),
    "yaw": ("<i2", 1),
    "duration": ("u1", 1),
}
EDGE_COLUMNS: dict[str, tuple[str, int]] = {
    "ids": ("<u4", 1),
    "source": ("<u4", 1),
    "target": ("<u4", 1),
    "width": ("<f4", 1),
    "rate": ("<f4", 1),
    "color": ("u1", 4),
}


# -- server → viewer ------------------------------------------------------------------------


def encode_nodes(nodes: Nodes) -> dict[str, Any]:
    return _encode_block(nodes, NODE_COLUMNS)


def decode_nodes(obj: Any) -> Nodes:
    return Nodes(**_decode_block(obj, NODE_COLUMNS, "node"))


def encode_edges(edges: Edges) -> dict[str, Any]:
    return _encode_block(edges, EDGE_COLUMNS)


def decode_edges(obj: Any) -> Edges:
    return Edges(**_decode_block(obj, EDGE_COLUMNS, "edge"))


def _encode_block(block: Any, columns: dict[str, tuple[str, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {"count": len(block)}
    for name, (dtype, _) in columns.items():
        out[name] = np.ascontiguousarray(getattr(block, name), dtype=dtype).tobytes()
    return out


def _decode_block(obj: Any, columns: dict[str, tuple[str, int]], what: str) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict) or not isinstance(obj.get("count"), int) or obj["count"] < 0:
        raise ProtocolError(f"{what} block must be a map with a non-negative integer 'count'")
    n = obj["count"]
    cols = {}
    for name, (dtype, width) in columns.items():
        raw = obj.get(name)
        if not isinstance(raw, bytes):
            raise ProtocolError(f"{what} column {name!r} is missing or not binary")
        expected = n * width * np.dtype(dtype).itemsize
        if len(raw) != expected:
            raise ProtocolError(f"{what} column {name!r} has {len(raw)} bytes, expected {expected} for {n} {what}s")
        arr = np.frombuffer(raw, dtype=dtype)
        cols[name] = arr.reshape(n, width) if width > 1 else arr
    return cols


def encode_frame(frame: dict[str, Any]) -> bytes:
    """One frame as msgpack. Text from outside (a span's tags, Jaeger's error messages) may hold
    what msgpack refuses, such as a lone surrogate or an integer beyond 64 bits: such a frame is
    sent with those values made safe (U+FFFD, decimal strings) rather than not at all."""
    return pack_untrusted(_pack, frame)


def snapshot_frame(
    *,
    seq: int,
    scene: dict[str, Any],
    nodes: Nodes,
    labels: list[Label],
    services: list[str],
    operations: list[str],
    traces: list[dict[str, Any]],
    edges: Edges | None = None,
) -> bytes:
    return encode_frame(
        {
            "type": "snapshot",
            "edges": encode_edges(edges if edges is not None else Edges.empty()),
            "version": PROTOCOL_VERSION,
            "seq": seq,
            "scene": scene,
            "services": services,
            "operations": operations,
            "traces": traces,
            "labels": [label.to_wire() for label in labels],
            "nodes": encode_nodes(nodes),
        }
    )


def delta_frame(
    *,
    seq: int,
    added: Nodes,
    updated: Nodes,
    removed: np.ndarray,
    services_from: int,
    services: list[str],
    operations_from: int,
    operations: list[str],
    traces: list[dict[str, Any]],
    scene: dict[str, Any] | None = None,
    labels: list[Label] | None = None,
    edges: Edges | None = None,
) -> bytes:
    frame: dict[str, Any] = {
        "type": "delta",
        "seq": seq,
        "added": encode_nodes(added),
        "updated": encode_nodes(updated),
        "removed": np.ascontiguousarray(removed, dtype="<u4").tobytes(),
        "services": {"from": services_from, "names": services},
        "operations": {"from": operations_from, "names": operations},
        "traces": traces,
    }
    if scene is not None:
        frame["scene"] = scene
    if labels is not None:
        frame["labels"] = [label.to_wire() for label in labels]
    if edges is not None:
        frame["edges"] = encode_edges(edges)
    return encode_frame(frame)


def status_frame(*, source: str, state: str, message: str, since: float | None = None) -> bytes:
    return encode_frame({"type": "status", "source": source, "state": state, "message": message, "since": since})


def details_frame(span: dict[str, Any]) -> bytes:
    return encode_frame({"type": "details", "span": span})


def metrics_frame(*, cpu: np.ndarray, load: tuple[float, float, float], mem_used: int, mem_total: int, ts: float,
                  recorded: bool = False) -> bytes:
    """Host load: per-core CPU percent as float32 LE bin, load averages, memory bytes; `recorded`
    when it is a recorded host's load played back, not this host's now."""
    return encode_frame({
        **({"recorded": True} if recorded else {}),
        "type": "metrics",
        "cpu": np.ascontiguousarray(cpu, dtype="<f4").tobytes(),
        "load": [round(v, 3) for v in load],
        "mem_used": mem_used,
        "mem_total": mem_total,
        "ts": ts,
    })


def findings_frame(findings: list[dict[str, Any]], total: int) -> bytes:
    """What is wrong in the held traces (docs/protocol.md#findings): `findings` as
    `vrmon inspect --findings --json` prints them plus `nodes` (their spans' node ids); `total`
    counts every finding when the list was cut short."""
    return encode_frame({"type": "findings", "findings": findings, "total": total})


def replay_frame(*, position_us: int, duration_us: int, playing: bool, speed: float, loop: bool, ended: bool,
                 clock: str, start_us: int, time_scale: float, name: str, loaded_us: int, files: bool = False,
                 marks: list[dict[str, Any]] | None = None) -> bytes:
    """The replay clock's state (docs/protocol.md#replay): sent when it changes; a viewer runs the
    clock on between frames, up to `loaded_us` (how far the server has read the recording).
    `marks` (errors, new services, outages) come with a viewer's first one, and as reading finds more.
    `files`: trace files played in time, which a viewer may switch to whole (`files_whole_frame`)."""
    frame = {"type": "replay", "position_us": position_us, "duration_us": duration_us, "playing": playing,
             "speed": speed, "loop": loop, "ended": ended, "clock": clock, "start_us": start_us,
             "time_scale": time_scale, "name": name, "loaded_us": loaded_us, "files": files}
    if marks is not None:
        frame["marks"] = marks
    return encode_frame(frame)


def files_whole_frame(name: str) -> bytes:
    """Trace files shown whole, which a viewer may switch to played in time (no clock runs)."""
    return encode_frame({"type": "replay", "whole": True, "files": True, "name": name})


def error_frame(message: str, request: str | None = None) -> bytes:
    return encode_frame({"type": "error", "message": message, "request": request})


def decode_server_frame(data: bytes) -> dict[str, Any]:
    """Decode a server → viewer frame (used by `vrmon tail` and tests), node blocks as `Nodes`."""
    frame = _unpack(data, MAX_SERVER_FRAME)
    kind = frame.get("type")
    if kind == "snapshot":
        if frame.get("version") != PROTOCOL_VERSION:
            raise ProtocolError(
                f"server speaks protocol version {frame.get('version')!r}, this client speaks {PROTOCOL_VERSION}; "
                "upgrade the older side"
            )
        frame["nodes"] = decode_nodes(frame.get("nodes"))
        frame["edges"] = decode_edges(frame.get("edges"))
    elif kind == "delta":
        if "edges" in frame:
            frame["edges"] = decode_edges(frame["edges"])
        frame["added"] = decode_nodes(frame.get("added"))
        frame["updated"] = decode_nodes(frame.get("updated"))
        removed = frame.get("removed")
        if not isinstance(removed, bytes) or len(removed) % 4:
            raise ProtocolError("delta 'removed' must be binary uint32 ids")
        frame["removed"] = np.frombuffer(removed, dtype="<u4")
    elif kind == "matches":
        frame["ids"] = np.frombuffer(frame.get("ids", b""), dtype="<u4")
        frame["counts"] = np.frombuffer(frame.get("counts", b""), dtype="<u4")
    elif kind == "findings":
        if not isinstance(frame.get("findings"), list) or not isinstance(frame.get("total"), int):
            raise ProtocolError("findings frame needs a 'findings' list and an integer 'total'")
    elif kind == "revealed":
        frame["nodes"] = np.frombuffer(frame.get("nodes", b""), dtype="<u4")
    elif kind == "comparison":
        for key, dtype in (("nodes", "<u4"), ("diff_us", "<f4"), ("ratio", "<f4"), ("only_b", "<u4")):
            frame[key] = np.frombuffer(frame.get(key, b""), dtype=dtype)
        ghosts = frame.get("ghosts", {})
        frame["ghosts"] = {key: np.frombuffer(ghosts.get(key, b""), dtype=dtype)
                           for key, dtype in (("anchor", "<u4"), ("from", "<f4"), ("to", "<f4"), ("depth", "u1"))}
    elif kind == "ranks":
        frame["ids"] = np.frombuffer(frame.get("ids", b""), dtype="<u4")
        frame["ranks"] = np.frombuffer(frame.get("ranks", b""), dtype=np.uint8)
    elif kind not in ("status", "details", "error", "metrics", "replay", "lookup"):
        raise ProtocolError(f"unknown frame type {kind!r}")
    return frame


# -- viewer → server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Select:
    id: int


@dataclass(frozen=True)
class Resync:
    pass


@dataclass(frozen=True)
class SwitchScene:
    scene: str | None
    trace: str | None
    page: int | None = None  # the wall's page of traces; None keeps the current one


@dataclass(frozen=True)
class Expand:
    """Open a summary mark of the waterfall: the calls it folds are drawn."""

    id: int


@dataclass(frozen=True)
class Detail:
    """How much of the waterfall to draw: by size (depth None), down to a call depth, or everything."""

    depth: int | None
    everything: bool
    idle: bool = True  # compress long idle stretches to marked breaks


@dataclass(frozen=True)
class Zoom:
    """The waterfall's time window: true µs from the trace's start (None: the whole trace)."""

    window: tuple[float, float] | None


@dataclass(frozen=True)
class Nearer:
    """How close the viewer sees the waterfall: `steps` times twice as close as the overview's distance,
    standing in front of the time `around` (true µs from the trace's start; None: all of the picture)."""

    steps: int
    around: tuple[float, float] | None = None


@dataclass(frozen=True)
class Shape:
    """The shape of the viewer's page: its width over its height (the layouts fit tall pages); or
    `headset`: the viewer sees the scenes in a headset (layout/page_shape.py's HEADSET)."""

    aspect: float
    headset: bool = False


@dataclass(frozen=True)
class Filter:
    """The viewer's search, so the server can count matches among the spans it folded."""

    text: str
    service: str
    min_duration_us: float
    errors_only: bool
    operation: str = ""


MAX_DETAIL_DEPTH = 10_000
MAX_NEARER = 4  # a sixteenth of the overview's distance: about 14 cm from a picture framed at 2.2 m
ASPECTS = (0.05, 20.0)  # a page's width over its height, least and most: anything else is not a page


@dataclass(frozen=True)
class WatchFindings:
    watch: bool


@dataclass(frozen=True)
class ReplayRequest:
    """Drive the replay clock: play, pause, seek (to `position_us`) or speed (to `speed`); or, for
    trace files, switch between played in time (`in_time`) and shown whole (`whole`)."""

    action: str
    position_us: int | None = None
    speed: float | None = None


REPLAY_ACTIONS = ("play", "pause", "seek", "speed", "in_time", "whole")
MAX_POSITION_US = 2**53  # a JavaScript number holds it exactly

MAX_REVEAL_NODES = 200  # node ids one reveal may name (a finding lists at most this many)


@dataclass(frozen=True)
class Reveal:
    """Show spans of one trace in the waterfall (opening the folds that hide them): a span by its
    hex id (a link), or node ids (a finding's spans); `select` is the node id to select, if any."""

    trace: str
    span: str | None
    nodes: tuple[int, ...]
    select: int | None


COLOUR_MODES = ("service", "percentile")


@dataclass(frozen=True)
class Colour:
    """What the viewer colours spans by: their service (the scene's own colours) or their
    duration percentile rank within service and operation (the server then sends `ranks`)."""

    by: str


@dataclass(frozen=True)
class Compare:
    """Compare trace `b` against baseline `a` (hex ids): the viewer is shown B with the comparison."""

    a: str
    b: str


ClientMessage = (Select | Resync | SwitchScene | WatchFindings | Expand | Detail | Zoom | Nearer | Shape | Filter | ReplayRequest | Reveal
                 | Colour | Compare)


def select_frame(node_id: int) -> bytes:
    return encode_frame({"type": "select", "id": node_id})


def findings_request_frame(watch: bool = True) -> bytes:
    return encode_frame({"type": "findings", "watch": watch})


def reveal_request_frame(trace: str, span: str | None = None, nodes: tuple[int, ...] = (),
                         select: int | None = None) -> bytes:
    return encode_frame({"type": "reveal", "trace": trace, "span": span, "nodes": list(nodes), "select": select})


def lookup_frame(trace: str, message: str) -> bytes:
    """A `reveal` named a trace the server does not hold: it is asking its live sources for it."""
    return encode_frame({"type": "lookup", "trace": trace, "message": message})


def revealed_frame(trace: str, nodes: list[int], select: int | None) -> bytes:
    """The answer to `reveal`, after the snapshot that draws them: the asked spans' node ids now
    drawn, and the one to select (the linked span, or the one the request named)."""
    return encode_frame({"type": "revealed", "trace": trace, "nodes": np.asarray(nodes, "<u4").tobytes(), "select": select})


def resync_frame() -> bytes:
    return encode_frame({"type": "resync"})


MAX_PAGE = 1_000_000


def scene_request_frame(scene: str | None = None, trace: str | None = None, page: int | None = None) -> bytes:
    frame: dict[str, Any] = {"type": "scene", "scene": scene, "trace": trace}
    if page is not None:
        frame["page"] = page
    return encode_frame(frame)


def expand_frame(node_id: int) -> bytes:
    return encode_frame({"type": "expand", "id": node_id})


def detail_frame(depth: int | None = None, everything: bool = False, idle: bool = True) -> bytes:
    return encode_frame({"type": "detail", "depth": depth, "all": everything, "idle": idle})


def zoom_frame(window: tuple[float, float] | None) -> bytes:
    return encode_frame({"type": "zoom", "window": list(window) if window is not None else None})


def nearer_frame(steps: int, around: tuple[float, float] | None = None) -> bytes:
    return encode_frame({"type": "nearer", "steps": steps, "around": list(around) if around is not None else None})


def shape_frame(aspect: Any) -> bytes:
    return encode_frame({"type": "shape", "aspect": aspect})


def filter_frame(text: str = "", service: str = "", min_duration_us: float = 0, errors_only: bool = False,
                 operation: str = "") -> bytes:
    return encode_frame({"type": "filter", "text": text, "service": service, "operation": operation,
                         "min_duration_us": min_duration_us, "errors_only": errors_only})


def replay_request_frame(action: str, position_us: int | None = None, speed: float | None = None) -> bytes:
    return encode_frame({"type": "replay", "action": action, "position_us": position_us, "speed": speed})


def matches_frame(ids: np.ndarray, counts: np.ndarray) -> bytes:
    """Per summary mark holding matches of the viewer's filter: its node id and how many it holds."""
    return encode_frame({"type": "matches", "ids": np.ascontiguousarray(ids, "<u4").tobytes(),
                         "counts": np.ascontiguousarray(counts, "<u4").tobytes()})


def ranks_frame(ids: np.ndarray, ranks: np.ndarray) -> bytes:
    """The duration percentile rank (whole, 0–100) of each span node of the viewer's view."""
    return encode_frame({"type": "ranks", "ids": np.ascontiguousarray(ids, "<u4").tobytes(),
                         "ranks": np.ascontiguousarray(ranks, np.uint8).tobytes()})


def comparison_frame(summary: dict[str, Any], drawn: Any) -> bytes:
    """Trace B against baseline A (docs/protocol.md#comparison): `summary` as `vrmon inspect
    --compare --json` prints it, `drawn` a `vrmon.analysis.compare.SceneComparison`."""
    def le(array: np.ndarray, dtype: str) -> bytes:
        return np.ascontiguousarray(array, dtype).tobytes()

    return encode_frame({
        "type": "comparison", "summary": summary,
        "nodes": le(drawn.nodes, "<u4"), "diff_us": le(drawn.diff_us, "<f4"), "ratio": le(drawn.ratio, "<f4"),
        "only_b": le(drawn.only_b, "<u4"),
        "ghosts": {"anchor": le(drawn.ghost_anchor, "<u4"), "from": le(drawn.ghost_from, "<f4"),
                   "to": le(drawn.ghost_to, "<f4"), "depth": le(drawn.ghost_depth, "u1")},
    })


def compare_request_frame(a: str, b: str) -> bytes:
    return encode_frame({"type": "compare", "a": a, "b": b})


def colour_request_frame(by: str) -> bytes:
    return encode_frame({"type": "colour", "by": by})


def page_aspect_query(text: str) -> float:
    """The page's aspect the viewer socket's `aspect` query gives (`/ws?aspect=0.667`), as `page_aspect_of`."""
    try:
        value: Any = float(text) if len(text) <= 16 else text
    except ValueError:
        value = text
    return page_aspect_of(value)


def page_aspect_of(value: Any) -> float:
    """A page's aspect as a `shape` frame gives it: a number within ASPECTS, else a ProtocolError."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not ASPECTS[0] <= value <= ASPECTS[1]:
        raise ProtocolError(f"shape: 'aspect' must be a number between {ASPECTS[0]:g} and {ASPECTS[1]:g} (the page's width over its height)")
    return float(value)


def parse_client_message(data: bytes | str) -> ClientMessage:
    """Validate one viewer → server frame; raises ProtocolError with a message for the viewer."""
    if isinstance(data, str):
        raise ProtocolError("text frames are not accepted; send msgpack binary frames")
    frame = _unpack(data, MAX_CLIENT_FRAME)
    kind = frame.get("type")
    if kind in ("select", "expand"):
        node_id = frame.get("id")
        if not isinstance(node_id, int) or isinstance(node_id, bool) or not 0 <= node_id < 2**32:
            raise ProtocolError(f"{kind} needs an integer 'id' between 0 and 2^32-1")
        return Select(node_id) if kind == "select" else Expand(node_id)
    if kind == "detail":
        depth, everything, idle = frame.get("depth"), frame.get("all", False), frame.get("idle", True)
        if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth <= MAX_DETAIL_DEPTH):
            raise ProtocolError(f"detail: 'depth' must be nil or an integer between 0 and {MAX_DETAIL_DEPTH}")
        if not isinstance(everything, bool) or not isinstance(idle, bool):
            raise ProtocolError("detail: 'all' and 'idle' must be true or false")
        return Detail(depth, everything, idle)
    if kind == "zoom":
        return Zoom(_window(frame.get("window"), "zoom: 'window'"))
    if kind == "nearer":
        steps = frame.get("steps")
        if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= MAX_NEARER:
            raise ProtocolError(f"nearer: 'steps' must be an integer between 0 and {MAX_NEARER}")
        around = _window(frame.get("around"), "nearer: 'around'")
        return Nearer(steps, around if steps else None)  # at the overview's distance nothing is nearer
    if kind == "shape":
        headset = frame.get("headset", False)
        if not isinstance(headset, bool):
            raise ProtocolError("shape: 'headset' must be true or false")
        return Shape(page_aspect_of(frame.get("aspect")), headset)
    if kind == "resync":
        return Resync()
    if kind == "scene":
        scene, trace = frame.get("scene"), frame.get("trace")
        for name, value in (("scene", scene), ("trace", trace)):
            if value is not None and (not isinstance(value, str) or len(value) > 128):
                raise ProtocolError(f"scene request: {name!r} must be a string of at most 128 characters")
        page = frame.get("page")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool) or not 0 <= page <= MAX_PAGE):
            raise ProtocolError(f"scene request: 'page' must be an integer between 0 and {MAX_PAGE}")
        if scene is None and trace is None and page is None:
            raise ProtocolError("scene request needs 'scene', 'trace', 'page' or some of them")
        return SwitchScene(scene, trace, page)
    if kind == "reveal":
        return _parse_reveal(frame)
    if kind == "compare":
        a, b = frame.get("a"), frame.get("b")
        if not all(isinstance(v, str) and 1 <= len(v) <= 32 and all(c in "0123456789abcdefABCDEF" for c in v) for v in (a, b)):
            raise ProtocolError("compare needs 'a' and 'b': hex trace ids of 1 to 32 characters")
        return Compare(a.lower(), b.lower())
    if kind == "colour":
        if frame.get("by") not in COLOUR_MODES:
            raise ProtocolError(f"colour: 'by' must be one of {', '.join(COLOUR_MODES)}")
        return Colour(frame["by"])
    if kind == "findings":
        watch = frame.get("watch", True)
        if not isinstance(watch, bool):
            raise ProtocolError("findings request: 'watch' must be true or false")
        return WatchFindings(watch)
    if kind == "filter":
        text, service, operation = frame.get("text", ""), frame.get("service", ""), frame.get("operation", "")
        minimum, errors = frame.get("min_duration_us", 0), frame.get("errors_only", False)
        for name, value in (("text", text), ("service", service), ("operation", operation)):
            if not isinstance(value, str) or len(value) > 128:
                raise ProtocolError(f"filter: {name!r} must be a string of at most 128 characters")
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 <= minimum < 2**63:
            raise ProtocolError("filter: 'min_duration_us' must be a number ≥ 0")
        if not isinstance(errors, bool):
            raise ProtocolError("filter: 'errors_only' must be true or false")
        return Filter(text.strip().lower(), service, float(minimum), errors, operation)
    if kind == "replay":
        return _replay_request(frame)
    raise ProtocolError(f"unknown request type {kind!r}; expected select, resync, scene, findings, expand, detail, zoom, "
                        "filter, replay, reveal, colour or compare")


def _replay_request(frame: dict[str, Any]) -> ReplayRequest:
    from vrmon.settings import MAX_SPEED, MIN_SPEED

    action, position, speed = frame.get("action"), frame.get("position_us"), frame.get("speed")
    if action not in REPLAY_ACTIONS:
        raise ProtocolError(f"replay: 'action' must be one of {', '.join(REPLAY_ACTIONS)}")
    if action == "seek" and (not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= MAX_POSITION_US):
        raise ProtocolError(f"replay seek: 'position_us' must be an integer between 0 and {MAX_POSITION_US}")
    if action == "speed" and (isinstance(speed, bool) or not isinstance(speed, (int, float)) or not MIN_SPEED <= speed <= MAX_SPEED):
        raise ProtocolError(f"replay speed: 'speed' must be a number from {MIN_SPEED:g} to {MAX_SPEED:g}")
    return ReplayRequest(action, position if action == "seek" else None, float(speed) if action == "speed" else None)


def _is_node_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32


def _parse_reveal(frame: dict[str, Any]) -> Reveal:
    trace, span, nodes, select = frame.get("trace"), frame.get("span"), frame.get("nodes", []), frame.get("select")
    for name, value in (("trace", trace), ("span", span)):
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 32
                                  or any(c not in "0123456789abcdefABCDEF" for c in value)):
            raise ProtocolError(f"reveal: {name!r} must be a hex id of 1 to 32 characters")
    if trace is None:
        raise ProtocolError("reveal needs a 'trace' (hex trace id)")
    if not isinstance(nodes, list) or len(nodes) > MAX_REVEAL_NODES or not all(_is_node_id(n) for n in nodes):
        raise ProtocolError(f"reveal: 'nodes' must be a list of at most {MAX_REVEAL_NODES} node ids")
    if select is not None and not _is_node_id(select):
        raise ProtocolError("reveal: 'select' must be nil or a node id")
    return Reveal(trace.lower(), span.lower() if span is not None else None, tuple(nodes), select)


MAX_WINDOW_US = 2**53  # µs: past any trace's length, and exact in a JavaScript number


def _window(window: Any, field: str) -> tuple[float, float] | None:
    """A stretch of a trace's time (a zoom's window, a nearer request's `around`; `field` names it
    in the error): nil, or [from, to] µs with 0 ≤ from < to ≤ 2^53."""
    if window is None:
        return None
    ok = isinstance(window, list) and len(window) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in window)
    if not ok or not 0 <= window[0] < window[1] <= MAX_WINDOW_US:  # NaN fails the comparison too
        raise ProtocolError(f"{field} must be nil or [from, to]: µs from the trace's start, 0 ≤ from < to ≤ 2^53")
    return float(window[0]), float(window[1])


def _unpack(data: bytes, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise ProtocolError(f"frame of {len(data)} bytes is over the {limit}-byte limit")
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, ValueError) as exc:
        raise ProtocolError(f"frame is not valid msgpack ({type(exc).__name__}: {exc})") from None
    if not isinstance(frame, dict) or "type" not in frame:
        raise ProtocolError("frame must be a msgpack map with a 'type' key")
    return frame

"""The client's pure modules (static/js/data/) under `node --test`, no browser: protocol
decoding, the node table, formatting, and parity with vrmon/protocol.py — frames Python encodes
here are decoded by the JavaScript and compared column by column (tests/js/parity.test.mjs), and
the requests the JavaScript encodes are parsed here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import FIXTURES, ROOT
from vrmon.client_files import VENDOR_DIRS
from vrmon.model.span_store import SpanStore
from vrmon.protocol import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    Nearer,
    Resync,
    Select,
    SwitchScene,
    Zoom,
    decode_server_frame,
    metrics_frame,
    parse_client_message,
    status_frame,
)
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets
from vrmon.sources.files import load_trace_file

JS_TESTS = ROOT / "tests" / "js"
NODE = shutil.which("node")


def write_parity_frames(out: Path) -> None:
    """Frames as the server sends them (real scene views over real fixtures), and what Python decodes."""
    store = SpanStore()
    store.add(load_trace_file(FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"))
    presets = load_presets([ROOT / "scenes"])
    waterfall, services, wall = (SceneView(store, presets[name]) for name in ("waterfall", "services", "wall"))
    frames = {"waterfall-snapshot": waterfall.snapshot(), "services-snapshot": services.snapshot()}
    store.add(load_trace_file(FIXTURES / "jaeger-v1-opentracing-tutorial-3services-logs.json"))
    frames["wall-delta"] = wall.refresh()
    frames["services-delta"] = services.refresh()
    frames["metrics"] = metrics_frame(cpu=np.array([12.5, 99.25, 0.0], np.float32), load=(1.5, 0.75, 0.25),
                                      mem_used=3 << 30, mem_total=24 << 30, ts=1_700_000_000.5)
    frames["status"] = status_frame(source="jaeger", state="degraded", message="HTTP 500: storage unavailable", since=1.0)
    expected: dict[str, Any] = {
        "columns": {"nodes": {k: list(v) for k, v in NODE_COLUMNS.items()}, "edges": {k: list(v) for k, v in EDGE_COLUMNS.items()}},
        "frames": {},
    }
    for name, data in frames.items():
        assert data is not None, name
        (out / f"{name}.msgpack").write_bytes(data)
        expected["frames"][name] = _decoded(decode_server_frame(data))
    (out / "expected.json").write_text(json.dumps(expected))


def _decoded(frame: dict[str, Any]) -> dict[str, Any]:
    """Python's reading of a frame as JSON: node and edge blocks column by column, typed arrays, plain fields."""
    blocks, counts, arrays, fields = {}, {}, {}, {}
    for key, value in frame.items():
        columns = NODE_COLUMNS if key in ("nodes", "added", "updated") else EDGE_COLUMNS if key == "edges" else None
        if columns is not None:
            blocks[key] = {name: np.asarray(getattr(value, name)).ravel().tolist() for name in columns}
            counts[key] = len(value.ids)
        elif isinstance(value, np.ndarray):
            arrays[key] = value.ravel().tolist()
        elif key == "cpu":  # per-core busy %, float32 little-endian on the wire
            arrays[key] = np.frombuffer(value, "<f4").tolist()
        elif key in ("type", "seq", "source", "state", "message", "load", "mem_used", "mem_total", "version"):
            fields[key] = list(value) if isinstance(value, tuple) else value
    return {"type": frame["type"], "blocks": blocks, "counts": counts, "arrays": arrays, "fields": fields}


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
@pytest.mark.skipif(not (ROOT / "node_modules" / "@msgpack" / "msgpack").is_dir(), reason="node_modules missing (npm ci)")
def test_client_modules_under_node_test(tmp_path):
    write_parity_frames(tmp_path)
    env = {**os.environ, "TZ": "UTC", "VRMON_PARITY_DIR": str(tmp_path), "VRMON_NODE_MODULES": str(ROOT / "node_modules"),
           "VRMON_VENDOR_DIRS": json.dumps(VENDOR_DIRS)}
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    done = subprocess.run([NODE, "--import", str(JS_TESTS / "register-vendor.mjs"), "--test", *files],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# skipped 0" in done.stdout and "# fail 0" in done.stdout

    assert parse_client_message((tmp_path / "request-select.msgpack").read_bytes()) == Select(4242)
    assert parse_client_message((tmp_path / "request-resync.msgpack").read_bytes()) == Resync()
    assert parse_client_message((tmp_path / "request-scene.msgpack").read_bytes()) == SwitchScene(scene="wall", trace="00ab")
    assert parse_client_message((tmp_path / "request-zoom.msgpack").read_bytes()) == Zoom((1500.25, 90_000))
    assert parse_client_message((tmp_path / "request-nearer.msgpack").read_bytes()) == Nearer(3, (2000, 64_000.5))

"""The sans-I/O protocol: round trips and refusals, without sockets."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from tests.conftest import FIXTURES
from tests.test_formats import store_of
from vrmon.errors import ProtocolError
from vrmon.layout.nodes import Label, Nodes, duration_code
from vrmon.protocol import (
    PROTOCOL_VERSION,
    Resync,
    Select,
    SwitchScene,
    decode_server_frame,
    encode_nodes,
    delta_frame,
    parse_client_message,
    scene_request_frame,
    select_frame,
    snapshot_frame,
)
from vrmon.scene import SceneView
from vrmon.scene_presets import load_presets
from tests.conftest import ROOT


def random_nodes(n: int, seed: int = 1) -> Nodes:
    rng = np.random.default_rng(seed)
    return Nodes(
        ids=rng.permutation(n).astype(np.uint32), pos=rng.normal(size=(n, 3)).astype(np.float32),
        size=rng.random((n, 3)).astype(np.float32), color=rng.integers(0, 256, (n, 3)).astype(np.uint8),
        service=rng.integers(0, 10, n).astype(np.uint16), operation=rng.integers(0, 99, n).astype(np.uint16),
        flags=rng.integers(0, 256, n).astype(np.uint8), yaw=rng.integers(-32767, 32767, n).astype(np.int16),
        duration=rng.integers(0, 256, n).astype(np.uint8),
    )


def assert_nodes_equal(a: Nodes, b: Nodes) -> None:
    for name in Nodes.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_snapshot_round_trip_gives_identical_arrays():
    nodes = random_nodes(1000)
    data = snapshot_frame(seq=3, scene={"name": "waterfall"}, nodes=nodes, labels=[Label("svc", (1, 2, 3), "lane")],
                          services=["a", "b"], operations=["op"], traces=[])
    frame = decode_server_frame(data)
    assert frame["type"] == "snapshot" and frame["seq"] == 3 and frame["version"] == PROTOCOL_VERSION == 2
    assert_nodes_equal(frame["nodes"], nodes)
    assert frame["labels"] == [{"text": "svc", "pos": [1, 2, 3], "kind": "lane"}]


def test_delta_round_trip_gives_identical_arrays():
    added, updated = random_nodes(50, 2), random_nodes(7, 3)
    data = delta_frame(seq=9, added=added, updated=updated, removed=np.array([4, 5], np.uint32), services_from=2,
                       services=["c"], operations_from=0, operations=[], traces=[])
    frame = decode_server_frame(data)
    assert_nodes_equal(frame["added"], added)
    assert_nodes_equal(frame["updated"], updated)
    assert frame["removed"].tolist() == [4, 5]
    assert frame["services"] == {"from": 2, "names": ["c"]}


def test_node_blocks_cost_39_bytes_per_node_plus_a_fixed_header():
    size = {n: len(msgpack.packb(encode_nodes(random_nodes(n)))) for n in (100_000, 200_000)}  # all bin32
    assert (size[200_000] - size[100_000]) / 100_000 == 39  # every node, whatever the count
    assert size[100_000] - 39 * 100_000 < 128  # column names and bin headers, once per block


def test_duration_code_buckets_hold_the_duration_within_a_ninth_of_an_octave():
    us = np.array([1, 2, 999, 1000, 1001, 123_456, 2_000_000, 3_600_000_000], np.int64)
    code = duration_code(us).astype(np.float64)
    assert np.all(2 ** ((code - 1) / 8) <= us) and np.all(us < 2 ** (code / 8))
    assert duration_code(np.array([0, -5, 1 << 40])).tolist() == [0, 0, 255]
    ascending = duration_code(np.arange(1, 1_000_000, 7))
    assert np.all(np.diff(ascending.astype(int)) >= 0)


def test_waterfall_nodes_carry_each_spans_duration_code():
    store = store_of(FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json")
    view = SceneView(store, load_presets([ROOT / "scenes"])["waterfall"])
    nodes = decode_server_frame(view.snapshot())["nodes"]
    rows = np.array([store.row_of_uid(int(i)) for i in nodes.ids])
    assert np.array_equal(nodes.duration, duration_code(store.duration_us[rows]))
    assert nodes.duration.min() > 0


def test_snapshot_of_a_real_trace_decodes_to_the_scene_nodes():
    store = store_of(FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json")
    view = SceneView(store, load_presets([ROOT / "scenes"])["waterfall"])
    frame = decode_server_frame(view.snapshot())
    assert_nodes_equal(frame["nodes"], view.nodes)
    assert frame["scene"]["totals"] == {"traces": 100, "spans": 420}
    assert len(frame["traces"]) == 100


@pytest.mark.parametrize("data", [b"", b"\xc1", b"garbage", b"\x93\x01\x02\x03", msgpack.packb({"no": "type"}), msgpack.packb([1, 2])])
def test_garbage_frames_raise_a_clear_error(data):
    with pytest.raises(ProtocolError, match="msgpack|'type'"):
        decode_server_frame(data)


def test_truncated_frame_raises_a_clear_error():
    data = snapshot_frame(seq=0, scene={}, nodes=random_nodes(10), labels=[], services=[], operations=[], traces=[])
    with pytest.raises(ProtocolError, match="not valid msgpack"):
        decode_server_frame(data[: len(data) // 2])


def test_node_column_of_the_wrong_length_is_refused():
    frame = msgpack.unpackb(snapshot_frame(seq=0, scene={}, nodes=random_nodes(10), labels=[], services=[], operations=[], traces=[]))
    frame["nodes"]["pos"] = frame["nodes"]["pos"][:-4]
    with pytest.raises(ProtocolError, match="'pos' has 116 bytes, expected 120"):
        decode_server_frame(msgpack.packb(frame))


def test_newer_protocol_version_is_refused_with_advice():
    frame = msgpack.unpackb(snapshot_frame(seq=0, scene={}, nodes=random_nodes(1), labels=[], services=[], operations=[], traces=[]))
    frame["version"] = 99
    with pytest.raises(ProtocolError, match="upgrade"):
        decode_server_frame(msgpack.packb(frame))


def test_client_messages_parse():
    assert parse_client_message(select_frame(12)) == Select(12)
    assert parse_client_message(msgpack.packb({"type": "resync"})) == Resync()
    assert parse_client_message(scene_request_frame(trace="abc")) == SwitchScene(None, "abc")


@pytest.mark.parametrize(
    "data, message",
    [
        ("text", "text frames"),
        (msgpack.packb({"type": "select", "id": "x"}), "integer 'id'"),
        (msgpack.packb({"type": "select", "id": -1}), "integer 'id'"),
        (msgpack.packb({"type": "select", "id": True}), "integer 'id'"),
        (msgpack.packb({"type": "scene"}), "needs 'scene', 'trace'"),
        (msgpack.packb({"type": "scene", "scene": "x" * 500}), "at most 128"),
        (msgpack.packb({"type": "nuke"}), "unknown request type 'nuke'"),
        (msgpack.packb({"type": "select", "pad": "x" * 20000}), "over the 16384-byte limit"),
        (msgpack.packb({1: 2}), "not valid msgpack"),
    ],
)
def test_hostile_client_messages_are_refused(data, message):
    with pytest.raises(ProtocolError, match=message):
        parse_client_message(data)

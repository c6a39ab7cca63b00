"""OTLP protobuf read in bulk (formats/otlp_proto_columns.py) gives exactly what the span-by-span
reader gives (the protobuf package's own decoding of every span): the same columns, callees and
details, for real OTLP documents and for the unusual but valid forms protobuf allows (a field
repeated, messages merged, long lengths, two-byte tags); and files with no spans say where."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import pytest
from google.protobuf.json_format import ParseDict
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status, TracesData

from tests.conftest import ROOT
from tests.fixture_counts import raw_spans
from vrmon.errors import TraceFormatError
from vrmon.formats.otlp_proto import BULK_FROM, _read_each, read_otlp_protobuf
from vrmon.formats.otlp_proto_columns import read_columns
from vrmon.model.raw_details import InMemory, unpack_details
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file

FIXTURES = ROOT / "fixtures"
OTLP_FIXTURES = ["otlp-hotrod-dispatch-40spans-serial.json", "otlp-hotrod-dispatch-trimmed-16spans-retries.json",
                 "otlp-opentelemetry-proto-example.json", "otlp-telemetrygen-missing-parents.json"]


def as_protobuf(doc: dict, copies: int = 1) -> bytes:
    """An OTLP JSON document (hex ids) as a serialized TracesData, its resourceSpans `copies` times."""
    message = TracesData()
    for _ in range(copies):
        for group in copy.deepcopy(doc["resourceSpans"]):
            for scope in group.get("scopeSpans", ()):
                for span in scope.get("spans", ()):
                    for key in ("traceId", "spanId", "parentSpanId"):  # protobuf's JSON mapping has bytes in base64
                        if span.get(key):
                            span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
            ParseDict(group, message.resource_spans.add())
    return message.SerializeToString()


def assert_same_as_span_by_span(batch, data: bytes) -> None:
    expected = _read_each(data, None, [])
    for name in expected.__dataclass_fields__:
        if name != "details":
            assert getattr(batch, name) == getattr(expected, name), name
    assert [unpack_details(d) for d in batch.details] == [unpack_details(d) for d in expected.details]


@pytest.mark.parametrize("name", OTLP_FIXTURES)
@pytest.mark.parametrize("copies", [1, 12])  # 12: enough groups and spans for the numpy steps, not only the plain loop
def test_real_documents_read_in_bulk_as_span_by_span(name: str, copies: int):
    data = as_protobuf(json.loads((FIXTURES / name).read_text()), copies)
    batch = read_columns(data, InMemory(), [])  # read in bulk: nothing in these is unusual
    assert len(batch) == len(raw_spans(FIXTURES / name)) * copies  # counted from the raw JSON
    assert_same_as_span_by_span(batch, data)


def test_an_sdk_export_with_flags_events_links_and_long_values_reads_in_bulk_as_span_by_span():
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, SpanKind, StatusCode

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("GET /orders", kind=SpanKind.SERVER) as root:
        for i in range(40):
            with tracer.start_as_current_span("x" * (100 + i), kind=SpanKind.CLIENT, links=[Link(root.get_span_context())],
                                              attributes={"server.address": f"db{i % 3}", "server.port": 5432,
                                                          "url.full": "http://h/" + "p" * 200, "n": i}) as span:
                span.add_event("retry", {"attempt": i})
                if i % 7 == 0:
                    span.set_status(StatusCode.ERROR, "no")
    data = encode_spans(memory.get_finished_spans()).SerializeToString()
    batch = read_columns(data, InMemory(), [])
    assert len(batch) == 41 and len(set(batch.callee.values())) == 3 and sum(batch.error) == 6
    assert_same_as_span_by_span(batch, data)


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2]) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def _traces(spans: list[bytes], resource: bytes = b"") -> bytes:
    """TracesData bytes around spans given as bytes (so that they may be anything protobuf allows)."""
    group = (_field(1, resource) if resource else b"") + _field(2, b"".join(_field(2, span) for span in spans))
    return _field(1, group)


def _span(i: int, **fields) -> Span:
    return Span(**{"trace_id": b"\x07" * 16, "span_id": (i + 1).to_bytes(8, "big"), "name": f"op {i}",
                   "start_time_unix_nano": 1_700_000_000_000_000_000 + i * 1000,
                   "end_time_unix_nano": 1_700_000_000_000_900_000, **fields})


def _peer(key: str, value: str) -> KeyValue:
    attribute = KeyValue(key=key)
    attribute.value.string_value = value
    return attribute


UNUSUAL_BUT_VALID = {
    # a message's bytes followed by more fields: protobuf keeps the later scalar and merges messages
    "name and status given twice": lambda i: _span(i).SerializeToString()
    + Span(name="later", status=Status(code=Status.STATUS_CODE_ERROR)).SerializeToString()
    + Span(status=Status(message="merged")).SerializeToString(),
    "a peer key given twice": lambda i: _span(i, attributes=[_peer("server.address", "first"),
                                                             _peer("server.address", f"later{i % 2}")]).SerializeToString(),
    "a key given twice in one attribute": lambda i: _span(i).SerializeToString()
    + _field(9, _field(1, b"peer.service") + _field(2, b"\x0a\x03svc") + _field(1, b"http.url")),
    "a negative kind (ten-byte varint)": lambda i: _span(i, kind=-1).SerializeToString(),
    "no end time, a 300-byte name": lambda i: _span(i, end_time_unix_nano=0, name="n" * 300).SerializeToString(),
    "an end before the start": lambda i: _span(i, start_time_unix_nano=5_000_999, end_time_unix_nano=1_000).SerializeToString(),
    "fields in reverse order": lambda i: b"".join(reversed([_field(1, b"\x07" * 16), _field(2, (i + 1).to_bytes(8, "big")),
                                                            _field(5, b"reversed")])),
}


@pytest.mark.parametrize("case", sorted(UNUSUAL_BUT_VALID))
@pytest.mark.parametrize("spans", [3, 40])
def test_unusual_but_valid_spans_read_in_bulk_as_span_by_span(case: str, spans: int):
    resource = _field(1, KeyValue(key="service.name", value={"string_value": "svc"}).SerializeToString())
    data = _traces([UNUSUAL_BUT_VALID[case](i) for i in range(spans)], resource)
    batch = read_columns(data, InMemory(), [])
    assert len(batch) == spans and set(batch.service) == {"svc"}
    assert_same_as_span_by_span(batch, data)


def test_what_the_bulk_reader_leaves_to_the_span_by_span_one_is_still_read_with_its_messages():
    spans = [_span(i).SerializeToString() for i in range(1200)]  # over BULK_FROM: tried in bulk first
    spans[3] = _span(3, parent_span_id=b"\x01\x02\x03\x04").SerializeToString()  # kept, shown as a root
    spans[5] = _span(5, trace_id=b"\x00" * 16).SerializeToString()  # rejected
    rejected: list[str] = []
    batch = read_otlp_protobuf(_traces(spans), rejected)
    assert len(_traces(spans)) > BULK_FROM
    assert len(batch) == 1199 and rejected == [
        "resourceSpans[0].scopeSpans[0].spans[5]: traceId must be 16 bytes, not all zero (got 16 bytes)"]
    assert unpack_details(batch.details[3])["problems"] == ["parentSpanId has 4 bytes, not 8; the span is shown as a root"]
    with pytest.raises(TraceFormatError, match="not a valid OTLP protobuf message"):
        read_otlp_protobuf(_traces(spans)[:-5])


def test_a_protobuf_files_details_are_read_back_from_the_file(tmp_path: Path):
    data = as_protobuf(json.loads((FIXTURES / OTLP_FIXTURES[0]).read_text()), copies=12)
    assert len(data) > BULK_FROM  # read in bulk (smaller messages are read span by span, details in memory)
    (tmp_path / "trace.pb").write_bytes(data)
    store = SpanStore()
    store.add(load_trace_file(tmp_path / "trace.pb"))
    in_memory = read_otlp_protobuf(data)
    assert max(map(len, store.details)) < 50  # where the span is in the file, not its bytes
    assert [unpack_details(d) for d in store.details] == [unpack_details(d) for d in in_memory.details]


@pytest.mark.parametrize("groups, place", [
    ([ResourceSpans()], "resourceSpans[0] has no scopeSpans"),
    ([ResourceSpans(scope_spans=[ScopeSpans()]), ResourceSpans()],
     "resourceSpans[0].scopeSpans[0] has no spans (and 1 more like it)"),
])
def test_a_protobuf_file_without_spans_says_where_they_are_missing(tmp_path: Path, groups, place: str):
    (tmp_path / "empty.pb").write_bytes(TracesData(resource_spans=groups).SerializeToString())
    with pytest.raises(TraceFormatError, match=rf"empty\.pb: OTLP protobuf with no spans: {re.escape(place)}; "
                                               r"expected spans in resourceSpans\[\]\.scopeSpans\[\]\.spans"):
        load_trace_file(tmp_path / "empty.pb")


def test_an_otlp_json_file_without_spans_says_where_they_are_missing(tmp_path: Path):
    (tmp_path / "empty.json").write_text(json.dumps({"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]}}]}))
    with pytest.raises(TraceFormatError, match=r"empty\.json: OTLP JSON with no spans: resourceSpans\[0\] has no "
                                               r"scopeSpans; expected spans in"):
        load_trace_file(tmp_path / "empty.json")

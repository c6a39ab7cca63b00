"""The typed readers that decode files straight from their bytes read exactly what the general
readers read (columns and every span's details), and hand unusual files to them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import FIXTURES, TRACE_FIXTURES
from vrmon.errors import TraceFormatError
from vrmon.formats import read_document
from vrmon.formats.from_bytes import read_bytes
from vrmon.model.details import span_details
from vrmon.model.file_details import SLICED
from vrmon.model.raw_details import MARK, unpack_details
from vrmon.model.span_store import SpanStore
from vrmon.recording.format import encode_spans
from vrmon.sources.files import load_trace_file

COLUMNS = ("trace", "span_id", "parent_id", "parent", "service", "operation", "start_us", "duration_us", "flags", "kind", "depth")
TYPED = [p for p in TRACE_FIXTURES if p.name.startswith(("jaeger-v1", "otlp-"))]  # the shapes read from bytes


def store_of(batch) -> SpanStore:
    store = SpanStore()
    store.add(batch)
    return store


@pytest.mark.parametrize("in_file", [True, False], ids=["details in the file", "details in memory"])
@pytest.mark.parametrize("path", TYPED, ids=lambda p: p.name)
def test_the_typed_reader_reads_what_the_general_reader_reads(path, in_file):
    typed = load_trace_file(path) if in_file else read_bytes(path.read_bytes())
    assert typed is not None, "a well-formed file is read by the typed reader"
    assert all(kept.startswith(SLICED if in_file else MARK) for kept in typed.details)
    read = read_document(json.loads(path.read_text()))
    assert typed.callee == read.callee  # what each span calls, for the findings
    fast, general = store_of(typed), store_of(read)
    for name in COLUMNS:
        assert np.array_equal(getattr(fast, name), getattr(general, name)), name
    assert fast.services.names == general.services.names and fast.operations.names == general.operations.names
    assert fast.trace_ids == general.trace_ids and fast.unknown_ref_types == general.unknown_ref_types
    for row in range(len(fast)):
        assert span_details(fast, row) == span_details(general, row)


def span(**fields) -> dict:
    return {"traceID": "1f", "spanID": "2a", "operationName": "GET /", "startTime": 1_700_000_000_000_000, "duration": 5,
            "processID": "p1", **fields}


def document(*spans: dict) -> dict:
    return {"data": [{"traceID": "1f", "spans": list(spans), "processes": {"p1": {"serviceName": "api"}}}]}


@pytest.mark.parametrize("odd", [
    span(spanID="Kg=="),  # base64: the general reader takes it
    span(startTime=2**63),  # clamped, with a warning on the span
    span(tags=[{"key": "list", "value": [1, 2]}]),
    span(operationName=7),
])
def test_an_unusual_span_sends_the_file_to_the_general_reader(tmp_path, odd):
    data = json.dumps(document(span(spanID="3b"), odd)).encode()
    assert read_bytes(data) is None
    path = tmp_path / "odd.json"
    path.write_bytes(data)
    assert len(load_trace_file(path)) == 2


def test_a_type_error_is_one_line_with_the_file_the_place_and_what_was_expected(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document(span(), span(spanID="3b", duration={"us": 5}))))
    with pytest.raises(TraceFormatError) as caught:
        load_trace_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: trace 0, span 1: ")
    assert "expected Jaeger v1 span fields traceID, spanID, operationName, startTime, duration" in message
    assert "\n" not in message


def test_details_stay_in_the_file_until_a_viewer_opens_the_span():
    path = FIXTURES / "jaeger-v1-opentracing-tutorial-3services-logs.json"
    store = store_of(load_trace_file(path))
    raw = {s["spanID"]: s for t in json.loads(path.read_text())["data"] for s in t["spans"]}
    for row in range(len(store)):
        details = span_details(store, row)
        kept = store.details[row]
        assert len(kept) < 40 and unpack_details(kept)["span"] == raw[details["span_id"]]
        assert details["logs"] == [{"timestamp_us": log["timestamp"], "fields": [[f["key"], f["value"]] for f in log["fields"]]}
                                   for log in raw[details["span_id"]]["logs"]]


def test_a_file_changed_after_loading_gives_details_that_say_so_and_recordings_keep_the_text(tmp_path):
    path = tmp_path / "traces.json"
    path.write_bytes((FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json").read_bytes())
    batch = load_trace_file(path)
    recorded = encode_spans("file", batch)["details"]  # before the change: the text goes in
    store = store_of(batch)
    before = span_details(store, 0)
    assert before["tags"] and not before["warnings"]
    path.write_text("{}")
    after = span_details(store, 0)
    assert after["span_id"] == before["span_id"] and after["tags"] == [] and after["process"] == []
    assert any("changed on disk" in warning for warning in after["warnings"])
    assert unpack_details(recorded[0]) == unpack_details(read_bytes(FIXTURES.joinpath(
        "otlp-hotrod-dispatch-40spans-serial.json").read_bytes()).details[0])

"""Every fixture parses, with counts equal to those computed independently from the raw JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import FIXTURES, TRACE_FIXTURES
from tests.fixture_counts import expected_counts
from vrmon.errors import SourceError, TraceFormatError
from vrmon.formats import read_document
from vrmon.model.span_store import SpanFlag, SpanStore
from vrmon.sources.files import load_trace_file


def store_of(path) -> SpanStore:
    store = SpanStore()
    store.add(load_trace_file(path))
    return store


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=lambda p: p.name)
def test_fixture_counts_match_the_raw_json(path):
    store = store_of(path)
    expected = expected_counts(path)
    assert len(store) == expected["spans"]
    assert store.trace_count == expected["traces"]
    assert sorted(store.services.names) == expected["services"]
    assert np.count_nonzero(store.flags & SpanFlag.ERROR) == expected["errors"]
    assert np.count_nonzero(store.flags & SpanFlag.ORPHAN) == expected["orphans"]


def test_orphans_are_flagged_at_depth_zero_not_dropped():
    store = store_of(FIXTURES / "otlp-telemetrygen-missing-parents.json")
    assert len(store) == 2
    assert (store.flags & SpanFlag.ORPHAN).all()
    assert (store.depth == 0).all()


def test_duplicate_span_ids_are_kept_and_flagged():
    store = store_of(FIXTURES / "jaeger-v1-telemetrygen-missing-parents-converted.json")
    assert len(store) == 2
    assert np.count_nonzero(store.flags & SpanFlag.DUPLICATE) == 1


def test_follows_from_reference_is_a_parent_link():
    store = store_of(FIXTURES / "jaeger-v1-follows-from-issue115.json")
    child = np.flatnonzero(store.flags & SpanFlag.FOLLOWS_FROM)
    assert len(child) == 1
    assert store.depth[child[0]] == 1
    assert store.parent[child[0]] >= 0


def test_otlp_and_jaeger_conversion_of_the_same_data_agree():
    otlp = store_of(FIXTURES / "otlp-telemetrygen-missing-parents.json")
    v1 = store_of(FIXTURES / "jaeger-v1-telemetrygen-missing-parents-converted.json")
    for column in ("span_id", "parent_id", "start_us", "duration_us", "depth", "flags"):
        assert np.array_equal(getattr(otlp, column), getattr(v1, column)), column
    assert otlp.trace_ids == v1.trace_ids


def test_api_v3_envelope_and_bare_otlp_read_the_same_way():
    doc = json.loads((FIXTURES / "apiv3-gettrace-hotrod-40spans.json").read_text())
    enveloped = SpanStore()
    enveloped.add(read_document(doc))
    bare = SpanStore()
    bare.add(read_document(doc["result"]))
    assert np.array_equal(enveloped.span_id, bare.span_id)


def test_span_without_service_name_gets_a_visible_placeholder():
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [
        {"traceId": "01" * 16, "spanId": "02" * 8, "name": "op", "startTimeUnixNano": "1000", "endTimeUnixNano": "5000"}]}]}]}
    store = SpanStore()
    store.add(read_document(doc))
    assert store.services.names == ["(unknown service)"]


def test_base64_ids_are_read_like_hex():
    doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [
        {"traceId": "AAAAAAAAAAAAAAAAAAAAAQ==", "spanId": "AAAAAAAAAAI=", "name": "op", "startTimeUnixNano": 1000, "endTimeUnixNano": 2000}]}]}]}
    store = SpanStore()
    store.add(read_document(doc))
    assert store.trace_id_hex(0) == "0000000000000001"
    assert int(store.span_id[0]) == 2


def test_parent_cycles_are_cut_and_flagged():
    spans = [{"traceID": "1", "spanID": sid, "operationName": "op", "startTime": 1, "duration": 1, "processID": "p",
              "references": [{"refType": "CHILD_OF", "traceID": "1", "spanID": parent}]}
             for sid, parent in (("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"))]
    store = SpanStore()
    store.add(read_document({"data": [{"traceID": "1", "spans": spans, "processes": {"p": {"serviceName": "s"}}}]}))
    assert len(store) == 4
    assert np.count_nonzero(store.flags & SpanFlag.CYCLE) >= 1
    parent = store.parent
    assert (parent[store.depth == 0] == -1).all()
    has = parent >= 0
    assert (store.depth[has] == store.depth[parent[has]] + 1).all()


def test_negative_duration_is_flagged_and_kept():
    spans = [{"traceID": "1", "spanID": "a", "operationName": "op", "startTime": 10, "duration": -5, "processID": "p"}]
    store = SpanStore()
    store.add(read_document({"data": [{"traceID": "1", "spans": spans, "processes": {"p": {"serviceName": "s"}}}]}))
    assert store.flags[0] & SpanFlag.BAD_DURATION


def test_late_parent_relinks_an_orphan():
    proc = {"p": {"serviceName": "s"}}
    child = {"traceID": "1", "spanID": "b", "operationName": "child", "startTime": 20, "duration": 5, "processID": "p",
             "references": [{"refType": "CHILD_OF", "traceID": "1", "spanID": "a"}]}
    root = {"traceID": "1", "spanID": "a", "operationName": "root", "startTime": 10, "duration": 50, "processID": "p"}
    store = SpanStore()
    store.add(read_document({"data": [{"traceID": "1", "spans": [child], "processes": proc}]}))
    assert store.flags[0] & SpanFlag.ORPHAN
    result = store.add(read_document({"data": [{"traceID": "1", "spans": [root, child], "processes": proc}]}))
    assert result.skipped == 1  # the child again: already stored
    assert not store.flags[0] & SpanFlag.ORPHAN
    assert store.depth.tolist() == [1, 0]


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"foo": 1}, "unrecognised trace document"),
        ({"data": [{"spans": [{"traceID": "1"}], "processes": {}}]}, "missing field 'spanID'"),
        ({"data": None, "errors": [{"code": 500, "msg": "boom"}]}, "boom"),
        ({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz!", "spanId": "1", "name": "x", "startTimeUnixNano": 1}]}]}]}, "neither hex nor base64"),
        ("just a string", "must be a JSON object or list"),
    ],
)
def test_malformed_documents_raise_a_clear_error(doc, message):
    with pytest.raises(TraceFormatError, match=message):
        read_document(doc)


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [')
    with pytest.raises(TraceFormatError, match=r"bad\.json: not valid JSON \(line 1"):
        load_trace_file(bad)
    with pytest.raises(SourceError, match="missing.json: no such file"):
        load_trace_file(tmp_path / "missing.json")

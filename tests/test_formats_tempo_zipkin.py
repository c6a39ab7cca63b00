"""Tempo and Zipkin documents, and OTLP JSON Lines: real files, checked against the raw JSON."""

from __future__ import annotations

import json
from collections import defaultdict

import msgpack
import numpy as np
import pytest

from tests.conftest import FIXTURES
from tests.fixture_counts import expected_counts, norm_id
from vrmon.errors import TraceFormatError
from vrmon.formats import describe_shape, read_document
from vrmon.layout.services import service_graph
from vrmon.model.details import span_details
from vrmon.model.flags import SpanFlag
from vrmon.model.span_batch import SPAN_KINDS
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file

SMARTTHINGS = FIXTURES / "zipkin-v2-smartthings-oauth-175spans-shared-ids.json"
YELP = FIXTURES / "zipkin-v2-yelp-16spans-remote-endpoints.json"
TEMPO_BATCHES = FIXTURES / "tempo-api-traces-batches-legacy-1span.json"
MYTHICAL = FIXTURES / "tempo-otlp-mythical-failed-requests-15spans-base64.json"
LOKI = FIXTURES / "tempo-grafana-loki-query-30spans-snake-case.json"
HOTROD = FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"
TELEMETRYGEN = FIXTURES / "otlp-telemetrygen-missing-parents.json"


def store_of(batch) -> SpanStore:
    store = SpanStore()
    store.add(batch)
    return store


def zipkin_id(store: SpanStore, row: int) -> str:
    """The span id Zipkin knows (a shared server half is stored under an id of its own)."""
    return span_details(store, row)["span_id"]


def test_shared_client_and_server_halves_are_both_kept_and_the_server_is_the_clients_child():
    raw = json.loads(SMARTTHINGS.read_text())
    clients = {s["id"] for s in raw if s.get("kind") == "CLIENT"}
    shared_pairs = {s["id"] for s in raw if s.get("shared") and s["id"] in clients}
    assert len(shared_pairs) > 20  # the real trace is full of them
    store = store_of(load_trace_file(SMARTTHINGS))
    server, client = SPAN_KINDS.index("server"), SPAN_KINDS.index("client")
    seen = set()
    for row in np.flatnonzero(store.kind == server):
        span_id = zipkin_id(store, int(row))
        if span_id.lstrip("0") in {i.lstrip("0") for i in shared_pairs}:
            parent = int(store.parent[row])
            assert parent >= 0 and store.kind[parent] == client
            assert zipkin_id(store, parent) == span_id  # the same Zipkin id: one RPC, two halves
            seen.add(span_id.lstrip("0"))
    assert seen == {i.lstrip("0") for i in shared_pairs}
    assert not (store.flags & (SpanFlag.DUPLICATE | SpanFlag.ORPHAN)).any()


def test_children_of_a_shared_id_hang_under_the_server_half():
    raw = json.loads(SMARTTHINGS.read_text())
    shared = {s["id"] for s in raw if s.get("shared")}
    store = store_of(load_trace_file(SMARTTHINGS))
    server = SPAN_KINDS.index("server")
    children = [row for row in range(len(store))
                if span_details(store, row)["parent_span_id"] in shared and store.kind[row] != server]
    assert children
    for row in children:
        assert store.kind[store.parent[row]] == server


def test_a_span_reported_several_times_is_merged_per_reporting_host():
    raw = json.loads(SMARTTHINGS.read_text())
    receives = [s for s in raw if s["id"] == "9d2d35b746db84f3" and s.get("shared")]
    hosts = {s["localEndpoint"]["ipv4"] for s in receives}
    assert (len(receives), len(hosts)) == (5, 2)  # five reports of a Kafka receive, from two pusher hosts
    store = store_of(load_trace_file(SMARTTHINGS))
    kept = [row for row in range(len(store)) if zipkin_id(store, row) == "9d2d35b746db84f3"
            and store.kind[row] == SPAN_KINDS.index("server")]
    assert len(kept) == len(hosts)
    assert len(store) == expected_counts(SMARTTHINGS)["spans"] == len(raw) - 3


def test_spans_without_timestamp_or_duration_are_kept_and_flagged():
    raw = json.loads(SMARTTHINGS.read_text())
    merged: dict[tuple, bool] = {}
    for s in raw:  # a merged span is complete when any of its reports has both values
        key = (s["id"], bool(s.get("shared")), s.get("kind"), s["localEndpoint"].get("ipv4"))
        merged[key] = merged.get(key, False) or bool(s.get("timestamp") and s.get("duration"))
    store = store_of(load_trace_file(SMARTTHINGS))
    flagged = np.array([any("no start time or no duration" in w for w in span_details(store, row)["warnings"])
                        for row in range(len(store))])
    assert np.count_nonzero(flagged) == list(merged.values()).count(False) > 0
    assert (store.duration_us[flagged] == 0).all()
    assert len(load_trace_file(SMARTTHINGS).incomplete) == np.count_nonzero(flagged)  # what recordings keep
    assert not (store.flags & 128).any()  # nothing else is said by a flag bit (128 is the critical path on the wire)


def test_services_known_only_as_remote_endpoints_are_in_the_services_graph():
    raw = json.loads(YELP.read_text())
    local = {s["localEndpoint"]["serviceName"] for s in raw}
    remote_only = {s["remoteEndpoint"]["serviceName"] for s in raw if s.get("remoteEndpoint", {}).get("serviceName")} - local
    # a cache, a database, a queue: no spans of their own (yelp-main.mobile_api is only the client's
    # name for a server that did report its half, so Zipkin, and vrmon, draw the call to that server)
    assert remote_only == {"blt", "memcache", "mysql", "yelp-main.mobile_api"}
    # the calls to them, from the raw JSON: client spans that name them and have no child span,
    # server spans that name them and have no parent span
    ids, parents = {s["id"] for s in raw}, {s.get("parentId") for s in raw}
    expected = defaultdict(int)
    for s in raw:
        peer, own = (s.get("remoteEndpoint") or {}).get("serviceName"), s["localEndpoint"]["serviceName"]
        if peer in remote_only and s.get("kind") == "CLIENT" and s["id"] not in parents:
            expected[own, peer] += 1
        if peer in remote_only and s.get("kind") == "SERVER" and s.get("parentId") not in ids:
            expected[peer, own] += 1
    store = store_of(load_trace_file(YELP))
    graph = service_graph(store)
    names = [store.services.names[code] for code in graph.services]
    edges = {(names[a], names[b]): int(c) for a, b, c in zip(graph.source, graph.target, graph.calls)}
    assert {"blt", "memcache", "mysql"} <= set(names)
    assert {k: v for k, v in edges.items() if remote_only & set(k)} == dict(expected)


def test_a_list_of_traces_reads_like_the_same_spans_as_one_list():
    spans = json.loads(SMARTTHINGS.read_text()) + json.loads(YELP.read_text())
    by_trace = defaultdict(list)
    for span in spans:
        by_trace[span["traceId"]].append(span)
    as_traces = store_of(read_document(list(by_trace.values())))
    as_spans = store_of(read_document(spans))
    assert describe_shape(list(by_trace.values())) == describe_shape(spans) == "zipkin-v2"
    assert as_traces.trace_count == 2
    for column in ("span_id", "parent_id", "start_us", "duration_us", "flags", "depth"):
        assert sorted(getattr(as_traces, column).tolist()) == sorted(getattr(as_spans, column).tolist()), column


def test_tempo_batches_with_base64_ids_and_instrumentation_library_spans():
    doc = json.loads(TEMPO_BATCHES.read_text())
    assert "instrumentationLibrarySpans" in doc["batches"][0]
    store = store_of(load_trace_file(TEMPO_BATCHES))
    # "AAAAAAAAAAABI0VniavN7w==" is the 64-bit id 0123456789abcdef in 16 bytes: leading zeros are not part of it
    assert store.trace_ids == [0x0123456789ABCDEF]
    assert store.trace_id_hex(0) == "0123456789abcdef"
    assert (store.services.names, store.operations.names) == (["shell script"], ["span from bash!"])
    assert int(store.duration_us[0]) == 100_000


def test_tempo_v2_envelope_reads_like_the_otlp_inside_and_an_empty_one_is_no_spans():
    doc = json.loads(MYTHICAL.read_text())
    enveloped = store_of(read_document({"trace": doc, "status": "COMPLETE"}))
    bare = store_of(read_document(doc))
    assert len(bare) == expected_counts(MYTHICAL)["spans"] == 15
    assert np.array_equal(enveloped.span_id, bare.span_id)
    assert len(read_document({"trace": {}})) == 0
    assert describe_shape({"batches": []}) == "tempo"


def test_otlp_json_with_protobuf_field_names_reads_every_span_with_its_times_tree_and_details():
    """Grafana's Loki trace: `resourceSpans` around `scope_spans`, `trace_id`, `start_time_unix_nano`
    (numbers, not strings), `string_value`, base64 ids, and a root whose parent id is all zeros."""
    doc = json.loads(LOKI.read_text())
    raw = doc["resourceSpans"][0]["scope_spans"][0]["spans"]
    parents = {norm_id(s["span_id"]): norm_id(s["parent_span_id"]) for s in raw}
    depth = {}
    for span in parents:
        chain, at = 0, span
        while parents.get(at) in parents:
            chain, at = chain + 1, parents[at]
        depth[span] = chain
    for variant in (doc, {"resource_spans": doc["resourceSpans"]}):  # the top-level name either way too
        assert describe_shape(variant) == "otlp-json"
        store = store_of(read_document(variant))
        assert len(store) == len(raw) == 30 and not np.any(store.flags & SpanFlag.ORPHAN)
        got = {format(int(i), "x"): (int(d), int(start), int(duration))
               for i, d, start, duration in zip(store.span_id, store.depth, store.start_us, store.duration_us)}
        assert got == {norm_id(s["span_id"]): (depth[norm_id(s["span_id"])], s["start_time_unix_nano"] // 1000,
                                               (s["end_time_unix_nano"] - s["start_time_unix_nano"]) // 1000)
                       for s in raw}
    root = span_details(store, int(np.flatnonzero(store.depth == 0)[0]))
    assert (root["operation"], root["kind"], root["service"]) == ("HTTP GET - loki_api_v1_query_range", "server", "loki-all")
    assert ["sampler.param", True] in root["tags"] and ["http.status_code", 200] in root["tags"]
    assert ["arrayAttribute", ["value1", "value2"]] in root["tags"]
    assert ["kvlistAttribute", {"key1": "value1", "key2": "value2"}] in root["tags"]
    first_query = int(np.flatnonzero(store.operation == store.operations.names.index("QUERY"))[0])
    query = span_details(store, first_query)
    assert query["kind"] == "client" and query["tags"] == [["organization", "fake"]]
    assert [dict(log["fields"])["queried"] for log in query["logs"]] == ["uploads-manager", "downloads-manager"]


def test_otlp_json_lines_read_every_line(tmp_path):
    lines = [json.dumps(json.loads(path.read_text())) for path in (HOTROD, TELEMETRYGEN, MYTHICAL)]
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store = store_of(load_trace_file(path))
    expected = [expected_counts(p) for p in (HOTROD, TELEMETRYGEN, MYTHICAL)]
    assert len(store) == sum(e["spans"] for e in expected)
    assert store.trace_count == sum(e["traces"] for e in expected)
    assert sorted(store.services.names) == sorted({s for e in expected for s in e["services"]})


def test_a_bad_json_lines_file_names_the_line(tmp_path):
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(json.loads(TELEMETRYGEN.read_text())) + "\n" + '{"resourceSpans": [}\n')
    with pytest.raises(TraceFormatError) as caught:
        load_trace_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: line 2 of a JSON Lines file is not valid JSON (column 20")


@pytest.mark.parametrize("span, expected", [
    ({"traceId": "ab", "name": "x"}, "span 1: missing field 'id'; expected Zipkin v2 span fields traceId, id"),
    ({"traceId": "zz!", "id": "01"}, "span 1: traceId 'zz!' is neither hex nor base64; expected Zipkin v2"),
    ({"traceId": "ab", "id": "01", "timestamp": "soon"}, "span 1: could not convert string to float: 'soon'; expected"),
])
def test_a_bad_zipkin_span_is_one_line_with_the_file_the_place_and_what_was_expected(tmp_path, span, expected):
    good = json.loads(YELP.read_text())[0]
    path = tmp_path / "zipkin.json"
    path.write_text(json.dumps([good, span]))
    with pytest.raises(TraceFormatError) as caught:
        load_trace_file(path)
    assert str(caught.value).startswith(f"{path}: {expected}")
    assert "\n" not in str(caught.value)


def test_zipkin_details_show_tags_annotations_endpoints_and_zipkins_own_id():
    store = store_of(load_trace_file(SMARTTHINGS))
    raw = {(s["id"], bool(s.get("shared"))): s for s in json.loads(SMARTTHINGS.read_text())}
    for row in range(len(store)):
        details = span_details(store, row)
        packed = msgpack.unpackb(store.details[row])
        span = raw[(details["span_id"], bool(packed["span"].get("shared")))]
        assert norm_id(details["span_id"]) == norm_id(span["id"])
        assert ["service.name", span["localEndpoint"]["serviceName"]] in details["process"]
        for key, value in (span.get("tags") or {}).items():
            assert [key, value] in details["tags"]

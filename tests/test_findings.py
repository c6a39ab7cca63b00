"""Findings on real traces: N+1 groups, error root causes, slow spans, flags; incremental = batch."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tests.trace_variants import (
    FIXTURES,
    OtlpTrace,
    customer_call,
    root_id,
    route_calls,
    with_customer_timeout,
    with_route_pool,
)
from vrmon.analysis.findings import FindingRules, FindingsIndex, find_all
from vrmon.analysis.percentiles import DurationRanks, rank_of_span
from vrmon.cli import main
from vrmon.formats import read_document
from vrmon.formats.call_peers import peer_of
from vrmon.model.attribute_values import any_value
from vrmon.model.span_batch import SpanBatch
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file

GET_DRIVER_PARENT = "f6e63a82f4597e0e"  # driver.DriverService/FindNearest (server) in the serial capture
LOAD_GENERATOR = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"

JSON_KEYS = {
    "n-plus-one": ["kind", "trace", "parent", "service", "operation", "spans", "calls", "wall_ms", "sum_ms", "reason"],
    "error-root-cause": ["kind", "trace", "span", "service", "operation", "chain", "reason"],
    "slow-span": ["kind", "trace", "span", "service", "operation", "percentile", "samples", "reason"],
}


def of_kind(store: SpanStore, kind: str, rules: FindingRules = FindingRules()) -> list[dict]:
    return [f.to_json(store) for f in find_all(store, rules) if f.kind == kind]


# -- n-plus-one ------------------------------------------------------------------------------------


def test_serial_hotrod_holds_its_two_genuine_n_plus_one_groups():
    trace = OtlpTrace.load()
    groups = of_kind(trace.store(), "n-plus-one")
    by_parent = {g["parent"]: g for g in groups}
    assert set(by_parent) == {GET_DRIVER_PARENT, root_id(trace)}

    redis = by_parent[GET_DRIVER_PARENT]
    get_driver = [s["spanId"].lower() for s in trace.children(GET_DRIVER_PARENT) if s["name"] == "GetDriver"]
    assert (redis["service"], redis["operation"], redis["calls"]) == ("redis-manual", "GetDriver", 13)
    assert redis["spans"] == get_driver
    assert redis["wall_ms"] == pytest.approx((trace.end(get_driver[-1]) - trace.start(get_driver[0])) / 1e6, abs=0.05)
    assert redis["sum_ms"] == pytest.approx(sum(trace.end(s) - trace.start(s) for s in get_driver) / 1e6, abs=0.05)

    # the frontend's 11 HTTP GET calls are 1 to customer (port 8081) and 10 to route (port 8083):
    # only the route calls are the same work
    route = by_parent[root_id(trace)]
    assert (route["service"], route["operation"], route["calls"]) == ("frontend", "HTTP GET", 10)
    assert route["spans"] == route_calls(trace)
    assert "0.0.0.0:8083" in route["reason"]


def test_trimmed_capture_gives_the_issue_example_numbers():
    store = SpanStore()
    store.add(load_trace_file(FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"))
    [group] = of_kind(store, "n-plus-one")
    assert (group["calls"], group["wall_ms"], group["sum_ms"]) == (13, 194.3, 192.4)


def test_a_pool_of_three_overlaps_the_route_calls_so_they_are_a_fan_out_not_an_n_plus_one():
    serial = OtlpTrace.load()
    pooled = with_route_pool(serial, workers=3)
    # same spans, same parents; only the timings moved, and the route calls now overlap
    assert pooled.spans.keys() == serial.spans.keys()
    assert all(pooled.spans[s].get("parentSpanId") == serial.spans[s].get("parentSpanId") for s in serial.spans)
    calls = route_calls(pooled)
    assert pooled.start(calls[1]) < pooled.end(calls[0])
    groups = of_kind(pooled.store(), "n-plus-one")
    assert [g["parent"] for g in groups] == [GET_DRIVER_PARENT]  # the redis loop is still one


def test_a_real_capture_with_route_calls_three_at_a_time_has_only_the_redis_n_plus_one():
    """jaeger-ui's api_v3 fixture is another real HotROD /dispatch capture, where the 10 route
    calls ran three at a time (HotROD's default pool): the rules, never tuned on it, see the
    overlap and report only the GetDriver loop."""
    store = SpanStore()
    store.add(load_trace_file(FIXTURES / "apiv3-gettrace-hotrod-40spans.json"))
    [group] = of_kind(store, "n-plus-one")
    assert (group["service"], group["operation"], group["calls"]) == ("redis-manual", "GetDriver", 13)


def test_a_pool_of_one_rebuilt_the_same_way_is_still_an_n_plus_one():
    """The variant builder with one worker lines the calls up back to back: the rule fires again,
    so the pool-of-three result comes from the overlap, not from the rebuilding."""
    groups = of_kind(with_route_pool(OtlpTrace.load(), workers=1).store(), "n-plus-one")
    assert sorted(g["calls"] for g in groups) == [10, 13]


def test_calls_spread_thinly_over_their_window_are_not_an_n_plus_one():
    trace = OtlpTrace.load()
    # the same 10 route calls, each started 200 ms after the previous one ended (polling, not a loop)
    calls = route_calls(trace)
    for i, call in enumerate(calls):
        trace.shift(call, i * 200_000_000)
    trace.set_end(root_id(trace), trace.end(calls[-1]))
    assert [g["calls"] for g in of_kind(trace.store(), "n-plus-one")] == [13]
    # …unless the setting asks for less than half the window filled
    loose = FindingRules(n_plus_one_min_fill=0.2)
    assert sorted(g["calls"] for g in of_kind(trace.store(), "n-plus-one", loose)) == [10, 13]


def test_the_minimum_group_size_is_a_setting():
    store = OtlpTrace.load().store()
    assert [g["calls"] for g in of_kind(store, "n-plus-one", FindingRules(n_plus_one_min_calls=11))] == [13]
    assert of_kind(store, "n-plus-one", FindingRules(n_plus_one_min_calls=14)) == []


@pytest.mark.parametrize(("tags", "peer"), [
    ({"peer.service": "redis", "server.address": "10.0.0.1"}, "redis"),
    ({"server.address": "0.0.0.0", "server.port": "8083"}, "0.0.0.0:8083"),
    ({"net.peer.name": "db.internal", "net.peer.port": 5432}, "db.internal:5432"),
    ({"url.full": "http://0.0.0.0:8081/customer?customer=567"}, "0.0.0.0:8081"),
    ({"http.url": "https://user:pw@api.example.com/x"}, "api.example.com"),
    ({"db.system": "mysql"}, "mysql"),
    ({"db.system.name": "redis"}, "redis"),
    ({"http.method": "GET"}, ""),
])
def test_peer_of_reads_the_semantic_conventions(tags, peer):
    assert peer_of(tags) == peer


def test_every_reader_reads_the_callee_of_each_fixture_span_as_its_details_name_it():
    from vrmon.model.raw_details import unpack_details

    from tests.conftest import TRACE_FIXTURES

    seen = set()
    for path in TRACE_FIXTURES:
        batch = load_trace_file(path)
        for at, packed in enumerate(batch.details):
            callee = batch.callee.get(at, "")
            assert callee == peer_of(span_tags(unpack_details(packed))), (path.name, at)  # msgpack, or the file's JSON
            seen.add(callee)
    assert {"redis", "mysql", "0.0.0.0:8083", "0.0.0.0:8081", "cartservice"} <= seen


def test_otlp_protobuf_spans_name_the_same_callees_as_their_json():
    import base64

    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

    from vrmon.formats.otlp_proto import read_otlp_protobuf

    doc = json.loads((FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json").read_text())
    as_json = read_document(doc)
    for rs in doc["resourceSpans"]:  # protobuf JSON writes ids in base64, OTLP JSON in hex
        for span in (s for ss in rs["scopeSpans"] for s in ss["spans"]):
            for field in ("traceId", "spanId", "parentSpanId"):
                span[field] = base64.b64encode(bytes.fromhex(span.get(field, ""))).decode()
    as_proto = read_otlp_protobuf(ParseDict(doc, TracesData()).SerializeToString())
    assert as_proto.callee == as_json.callee and len(as_json.callee) >= 30


def span_tags(raw: dict) -> dict:
    """A span's own tags (Jaeger, Zipkin) or attributes (OTLP) as a plain dict, from its kept details."""
    span = raw.get("span") or {}
    if raw["format"] == "jaeger-v1":
        return {t.get("key"): t.get("value") for t in span.get("tags") or ()}
    if raw["format"] == "zipkin":
        remote = (span.get("remoteEndpoint") or {}).get("serviceName")
        return {"peer.service": remote, **(span.get("tags") or {})} if remote else dict(span.get("tags") or {})
    return {a.get("key"): any_value(a.get("value")) for a in span.get("attributes") or ()}


# -- error-root-cause ------------------------------------------------------------------------------


def test_three_errored_getdriver_siblings_tie_and_the_first_to_fail_is_the_locus():
    trace = OtlpTrace.load()
    errored = sorted(trace.errored(), key=trace.end)
    [finding] = of_kind(trace.store(), "error-root-cause")
    assert finding["span"] == errored[0]
    assert finding["chain"] == [root_id(trace), "f7cf0c8385e66ace", GET_DRIVER_PARENT, errored[0]]
    assert "first of 3 errored siblings" in finding["reason"] and "later 2 are fallout" in finding["reason"]


def test_the_locus_follows_the_failure_time_not_the_order_in_the_file():
    trace = OtlpTrace.load()
    first, second, third = sorted(trace.errored(), key=trace.start)
    # swap the first and last failing calls in time (each keeps its duration)
    a, b = trace.start(first), trace.start(third)
    trace.shift(first, b - a + (trace.end(third) - b) - (trace.end(first) - a))
    trace.shift(third, a - b)
    [finding] = of_kind(trace.store(), "error-root-cause")
    assert finding["span"] == third


def test_the_only_errored_span_is_the_messenger_of_a_child_that_used_up_its_time_budget():
    """The frontend's customer call gives up after 200 ms (an error, 'timeout') while the customer
    service and its MySQL query are still running (311 ms, no error status): the query is the locus."""
    trace = with_customer_timeout(OtlpTrace.load())
    call = customer_call(trace)
    server = trace.children(call)[0]["spanId"].lower()
    query = trace.children(server)[0]["spanId"].lower()
    assert trace.errored() == [call]
    [finding] = of_kind(trace.store(), "error-root-cause")
    assert (finding["span"], finding["service"], finding["operation"]) == (query, "mysql", "SQL SELECT")
    assert finding["chain"] == [root_id(trace), call, server, query]
    assert "frontend HTTP GET failed after 200.0 ms while mysql SQL SELECT was still running" in finding["reason"]


def test_an_errored_span_whose_children_all_returned_in_time_is_its_own_locus():
    trace = OtlpTrace.load()
    for span_id in trace.errored():
        trace.set_error(span_id, False)
    call = customer_call(trace)
    trace.set_error(call, True, "bad response")
    [finding] = of_kind(trace.store(), "error-root-cause")
    assert finding["span"] == call and "the failure starts here" in finding["reason"]


def test_an_errored_parent_passes_the_failure_of_its_errored_child_on():
    store = SpanStore()
    store.add(load_trace_file(LOAD_GENERATOR))
    [finding] = of_kind(store, "error-root-cause")
    # frontend /checkout (error) → checkoutservice /PlaceOrder (error, no failed child)
    assert (finding["trace"], finding["service"], finding["operation"]) == ("55f80c17b6ab82ec", "checkoutservice", "/PlaceOrder")
    assert finding["chain"] == ["55f80c17b6ab82ec", "f024315f61983be1"]


# -- slow-span and percentile ranks ----------------------------------------------------------------


def brute_force_rank(durations: np.ndarray, d: int) -> float:
    return 100.0 * (np.count_nonzero(durations < d) + 0.5 * np.count_nonzero(durations == d)) / len(durations)


def test_slow_spans_are_those_above_numpys_99th_percentile_of_their_operation():
    store = SpanStore()
    store.add(load_trace_file(LOAD_GENERATOR))
    found = {f["span"]: f for f in of_kind(store, "slow-span")}
    expected = {}
    pairs = np.stack([store.service, store.operation], axis=1)
    for service, operation in np.unique(pairs, axis=0):
        rows = np.flatnonzero((store.service == service) & (store.operation == operation))
        durations = store.duration_us[rows]
        if len(rows) < 20:
            continue
        for row in rows[durations > np.percentile(durations, 99)]:
            expected[f"{int(store.span_id[row]):016x}"] = (round(brute_force_rank(durations, store.duration_us[row]), 1), len(rows))
    assert expected and {s: (f["percentile"], f["samples"]) for s, f in found.items()} == expected


def test_ranks_stay_exact_as_spans_arrive_and_after_an_eviction():
    store = SpanStore()
    batch = load_trace_file(LOAD_GENERATOR)
    ranks = DurationRanks()
    for lo in range(0, len(batch), 97):
        store.add(_slice(batch, lo, lo + 97))
        ranks.sync(store)
    store.evict(max_spans=300)
    ranks.sync(store)
    rows = np.arange(len(store))
    rank, samples = ranks.ranks(store, rows)
    for row in rows:
        same = (store.service == store.service[row]) & (store.operation == store.operation[row])
        assert samples[row] == same.sum()
        assert rank[row] == pytest.approx(brute_force_rank(store.duration_us[same], store.duration_us[row]))
        one = rank_of_span(store, int(row))
        assert (one.rank, one.samples) == (pytest.approx(rank[row]), samples[row])


def test_a_span_rank_reads_like_the_details_panel():
    store = OtlpTrace.load().store()
    getdriver = np.flatnonzero(store.operation == store.operations.code_of("GetDriver"))
    slowest = int(getdriver[np.argmax(store.duration_us[getdriver])])
    assert rank_of_span(store, slowest).describe("GetDriver") == "p96 of 13 GetDriver calls"
    root = int(np.flatnonzero(store.parent < 0)[0])
    assert rank_of_span(store, root).describe("GET /dispatch") == "the only GET /dispatch call in the window"


# -- flags -----------------------------------------------------------------------------------------


def test_store_flags_are_listed_as_findings_per_trace():
    store = SpanStore()
    store.add(load_trace_file(FIXTURES / "otlp-telemetrygen-missing-parents.json"))
    kinds = {f.kind: f.to_json(store) for f in find_all(store)}
    assert set(kinds) == {"orphan", "duplicate-span-id"}
    assert kinds["orphan"]["spans"] == ["e127af99e3b3e074", "e127af99e3b3e074"]
    assert kinds["orphan"]["reason"] == "2 spans name a parent span that is not in the trace (drawn at depth 0)"


# -- incremental -----------------------------------------------------------------------------------


def _slice(batch: SpanBatch, lo: int, hi: int) -> SpanBatch:
    return batch.take(range(lo, min(hi, len(batch))))


def _shuffled(batch: SpanBatch, seed: int) -> SpanBatch:
    order = list(range(len(batch)))
    random.Random(seed).shuffle(order)
    return _reordered(batch, order)


def _reordered(batch: SpanBatch, order: list[int]) -> SpanBatch:
    return batch.take(order)


@pytest.mark.parametrize("seed", [1, 2])
def test_live_adds_in_any_order_give_the_findings_of_one_batch(seed):
    """Spans arrive in small shuffled batches (children before parents, orphans adopted later):
    after every add the incremental index equals a from-scratch computation."""
    batch = SpanBatch()
    variants = (OtlpTrace.load(), with_route_pool(OtlpTrace.load(), 3), with_customer_timeout(OtlpTrace.load()))
    for i, variant in enumerate(variants):  # the same request three ways: give each its own trace id
        part = read_document(variant.doc)
        part.trace_id = [t + i for t in part.trace_id]
        batch.extend(part)
    batch.extend(load_trace_file(LOAD_GENERATOR))
    batch = _shuffled(batch, seed)
    store, index = SpanStore(), FindingsIndex()
    for lo in range(0, len(batch), 23):
        store.add(_slice(batch, lo, lo + 23))
        index.sync(store)
        assert [f.to_json(store) for f in index.findings] == [f.to_json(store) for f in find_all(store)]
    kinds = sorted(f.kind for f in index.findings)
    assert kinds.count("n-plus-one") == 5 and kinds.count("error-root-cause") == 4
    assert not index.sync(store)  # nothing new: nothing changed
    store.evict(max_spans=200)
    assert index.sync(store)
    assert [f.to_json(store) for f in index.findings] == [f.to_json(store) for f in find_all(store)]


def test_a_timeout_found_one_span_at_a_time_moves_its_locus_down_as_children_arrive():
    """Spans arrive in start order, one per add: the customer call fails first, then the
    still-running customer service and its query arrive and the locus follows them down."""
    batch = read_document(with_customer_timeout(OtlpTrace.load()).doc)
    order = sorted(range(len(batch)), key=lambda i: batch.start_us[i])
    store, index = SpanStore(), FindingsIndex()
    loci = []
    for i in order:
        store.add(_slice(_reordered(batch, [i]), 0, 1))
        index.sync(store)
        assert [f.to_json(store) for f in index.findings] == [f.to_json(store) for f in find_all(store)]
        loci += [f.to_json(store)["operation"] for f in index.findings if f.kind == "error-root-cause"][:1]
    assert list(dict.fromkeys(loci)) == ["HTTP GET", "GET /customer", "SQL SELECT"]


# -- the command ---------------------------------------------------------------------------------


def test_inspect_findings_json_has_exactly_the_documented_shape(capsys, tmp_path):
    pooled = with_route_pool(OtlpTrace.load(), 3).write(tmp_path / "pooled.json")
    assert main(["inspect", "--findings", str(FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"),
                 str(LOAD_GENERATOR), str(pooled), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["findings"]
    kinds = [f["kind"] for f in out["findings"]]
    assert set(kinds) == set(JSON_KEYS)
    for finding in out["findings"]:
        assert list(finding) == JSON_KEYS[finding["kind"]]
        assert finding["trace"] == finding["trace"].lower()
        for key in ("span", "parent"):
            if key in finding:
                assert len(finding[key]) == 16 and int(finding[key], 16) >= 0
    # the serial capture and the pooled one share trace and span ids, so they merge into one trace
    assert kinds.count("n-plus-one") == 2


def test_inspect_findings_text_names_each_trace_then_its_findings(capsys):
    assert main(["inspect", "--findings", str(FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trace fe65c5beefbe4e96119efbba3da07e99  frontend GET /dispatch  (40 spans)"
    assert lines[1].split() == ["error-root-cause", "redis-manual", "GetDriver", "[span", "0efad7b97a83e062]"]
    assert lines[3].split()[:3] == ["n-plus-one", "redis-manual", "GetDriver"]
    assert lines[-1] == "3 findings in 1 of 1 traces (40 spans)"


def test_inspect_findings_rejects_bad_input_in_one_line(capsys, tmp_path):
    assert main(["inspect", "--findings", str(tmp_path / "missing.json")]) == 1
    assert capsys.readouterr().err.strip().endswith("missing.json: no such file; pass a Jaeger JSON or OTLP JSON trace file")
    assert main(["inspect", "--findings", "--min-calls", "1", str(LOAD_GENERATOR)]) == 1
    assert "--min-calls 1" in capsys.readouterr().err


def test_selecting_a_span_reports_its_percentile_rank_among_its_operation(vrmon_server):
    from websockets.sync.client import connect

    from tests.test_server import recv
    from vrmon.protocol import select_frame

    url = vrmon_server([FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json"])
    store = vrmon_server.last.app.state.store
    getdriver = np.flatnonzero(store.operation == store.operations.code_of("GetDriver"))
    durations = store.duration_us[getdriver]
    with connect(url.replace("http", "ws") + "/ws") as ws:
        recv(ws)
        for row in getdriver[[0, int(np.argmax(durations))]]:
            ws.send(select_frame(int(store.uid[row])))
            span = recv(ws)["span"]
            rank = brute_force_rank(durations, store.duration_us[row])
            assert span["percentile"] == {"rank": round(rank, 1), "samples": 13, "text": f"p{int(rank)} of 13 GetDriver calls"}

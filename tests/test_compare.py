"""Trace compare on real traces: matching by call path, self-time contributions, the command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.trace_variants import FIXTURES, HOTROD_SERIAL, OtlpTrace, root_id, route_calls, with_route_pool
from vrmon.analysis.compare import TraceSide, compare_traces, group_ids, scene_comparison, summary
from vrmon.cli import main
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file

APIV3_HOTROD = FIXTURES / "apiv3-gettrace-hotrod-40spans.json"  # another capture of the same request
TRIMMED = FIXTURES / "otlp-hotrod-dispatch-trimmed-16spans-retries.json"
LOAD_GENERATOR = FIXTURES / "jaeger-v1-synthetic-load-generator-100traces.json"
SUMMARY_KEYS = ["a", "b", "total_diff_ms", "self_time_diff_ms", "overlap_ms", "matched", "top", "only_in_a", "only_in_b"]


def stored(path) -> SpanStore:
    store = SpanStore()
    store.add(load_trace_file(path))
    return store


def names(side: TraceSide, i: int) -> tuple[str, str]:
    row = side.rows[i]
    return side.store.services.names[side.store.service[row]], side.store.operations.names[side.store.operation[row]]


def test_a_trace_against_itself_matches_every_span_and_changes_nothing():
    c = compare_traces(stored(HOTROD_SERIAL), 0, stored(HOTROD_SERIAL), 0)
    assert len(c.match_a) == 40 and not len(c.only_a) and not len(c.only_b)
    assert np.array_equal(c.a.rows[c.match_a], c.b.rows[c.match_b])
    report = summary(c)
    assert (report["total_diff_ms"], report["top"]) == (0.0, [])


def test_two_captures_of_the_same_request_match_span_for_span_by_path():
    a, b = stored(HOTROD_SERIAL), stored(APIV3_HOTROD)
    c = compare_traces(a, 0, b, 0)
    assert len(c.match_a) == 40 and not len(c.only_a) and not len(c.only_b)
    # every id differs, yet each pair does the same work at the same place in the call tree
    assert not set(a.span_id.tolist()) & set(b.span_id.tolist())
    pairs = [(names(c.a, i), names(c.b, j)) for i, j in zip(c.match_a, c.match_b)]
    assert all(x == y for x, y in pairs)
    depth_a, depth_b = a.depth[c.a.rows[c.match_a]], b.depth[c.b.rows[c.match_b]]
    assert np.array_equal(depth_a, depth_b)
    report = summary(c)
    assert report["total_diff_ms"] == pytest.approx((c.b.duration - c.a.duration) / 1000)
    # self-time changes plus the change in overlap account for the whole difference
    assert report["self_time_diff_ms"] + report["overlap_ms"] == pytest.approx(report["total_diff_ms"], abs=0.002)
    top = report["top"]
    assert len(top) == 5 and top[0]["path"].endswith("mysql:SQL SELECT")
    assert abs(top[0]["self_diff_ms"]) >= max(abs(t["self_diff_ms"]) for t in top[1:])


def test_running_the_route_calls_on_a_pool_of_three_is_time_saved_by_overlap_not_by_faster_spans():
    serial = OtlpTrace.load()
    pooled = with_route_pool(serial, 3)
    report = summary(compare_traces(serial.store(), 0, pooled.store(), 0))
    saved = (pooled.end(root_id(pooled)) - serial.end(root_id(serial))) / 1e6
    assert report["total_diff_ms"] == pytest.approx(saved, abs=0.002) and saved < -250
    assert report["overlap_ms"] < 0.95 * saved  # nearly all of it comes from the overlap
    assert report["matched"] == 40


def test_a_trimmed_capture_leaves_the_rest_only_in_a():
    c = compare_traces(stored(HOTROD_SERIAL), 0, stored(TRIMMED), 0)
    report = summary(c, top=3)
    assert (report["matched"], len(report["only_in_a"]), len(report["only_in_b"])) == (16, 24, 0)
    # the trim kept the GetDriver loop and its ancestry: the customer and route calls and FindDriverIDs are gone
    assert {p["path"].rsplit(" > ", 1)[-1].split("#")[0] for p in report["only_in_a"]} == {
        "frontend:HTTP GET", "customer:GET /customer", "mysql:SQL SELECT", "route:GET /route", "redis-manual:FindDriverIDs"}
    # the 13 GetDriver calls pair up by their order among siblings
    get_driver = [(i, j) for i, j in zip(c.match_a, c.match_b) if names(c.a, i)[1] == "GetDriver"]
    assert len(get_driver) == 13
    order_a = np.argsort(c.a.start[[i for i, _ in get_driver]])
    order_b = np.argsort(c.b.start[[j for _, j in get_driver]])
    assert np.array_equal(order_a, order_b)
    assert len(report["top"]) == 3


def test_a_call_missing_from_b_is_only_in_a_with_its_subtree():
    trace = OtlpTrace.load()
    b = OtlpTrace.load()
    last = route_calls(b)[-1]
    gone = {s["spanId"].lower() for s in b.subtree(last)}
    for rs in b.doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            ss["spans"] = [s for s in ss["spans"] if s["spanId"].lower() not in gone]
    report = summary(compare_traces(trace.store(), 0, OtlpTrace(b.doc).store(), 0))
    assert {s["span"] for s in report["only_in_a"]} == gone
    assert [s["path"] for s in report["only_in_a"]] == ["frontend:GET /dispatch > frontend:HTTP GET#11",
                                                       "frontend:GET /dispatch > frontend:HTTP GET#11 > route:GET /route"]


def test_self_time_is_the_duration_less_the_union_of_the_children():
    side = TraceSide.of(with_route_pool(OtlpTrace.load(), 3).store(), 0)
    expected = []
    for i in range(len(side.rows)):
        kids = sorted((max(side.start[k], side.start[i]), min(side.end[k], side.end[i])) for k in np.flatnonzero(side.parent == i))
        covered, reach = 0, side.start[i]
        for s, e in kids:
            covered += max(0, e - max(s, reach))
            reach = max(reach, e)
        expected.append(side.end[i] - side.start[i] - covered)
    assert side.self_time().tolist() == expected


def test_ghosts_stand_under_the_b_counterpart_of_their_nearest_matched_ancestor_in_a():
    c = compare_traces(stored(HOTROD_SERIAL), 0, stored(TRIMMED), 0)
    drawn = scene_comparison(c)
    b_of_a = dict(zip(c.match_a.tolist(), c.match_b.tolist()))
    expected = []
    for i in c.only_a.tolist():  # climbed one parent at a time
        up, depth = int(c.a.parent[i]), 1
        while up not in b_of_a:
            up, depth = int(c.a.parent[up]), depth + 1
        span = c.a.end[up] - c.a.start[up]
        expected.append((int(c.b.store.uid[c.b.rows[b_of_a[up]]]), depth,
                         (c.a.start[i] - c.a.start[up]) / span, (c.a.end[i] - c.a.start[up]) / span))
    assert drawn.ghost_anchor.tolist() == [e[0] for e in expected]
    assert drawn.ghost_depth.tolist() == [e[1] for e in expected] and {1, 2, 3} <= set(drawn.ghost_depth.tolist())
    assert np.allclose(drawn.ghost_from, [e[2] for e in expected]) and np.allclose(drawn.ghost_to, [e[3] for e in expected])


def test_a_viewers_summary_lists_the_first_spans_only_in_a_and_counts_them_all():
    c = compare_traces(stored(HOTROD_SERIAL), 0, stored(TRIMMED), 0)
    whole, short = summary(c), summary(c, listed=5)
    assert short["only_in_a"] == whole["only_in_a"][:5] and short["only_in_a_total"] == len(whole["only_in_a"]) == 24
    assert (short["only_in_b"], short["only_in_b_total"]) == ([], 0) and "only_in_a_total" not in whole


def test_group_ids_number_distinct_rows_in_sorted_order_whether_packed_or_not():
    rng = np.random.default_rng(3)
    small = [rng.integers(0, n, 500) for n in (40, 3, 7, 5)]
    huge = [small[0] << 40, small[1] << 40, small[2], small[3]]  # 4 × 40+ bits: too wide to pack
    for columns in (small, huge):
        _, expected = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
        assert group_ids(columns).tolist() == expected.ravel().tolist()


# -- the command ---------------------------------------------------------------------------------


def test_inspect_compare_json_summary(capsys):
    assert main(["inspect", "--compare", str(LOAD_GENERATOR), str(LOAD_GENERATOR),
                 "--trace-a", "e4d1eeb843787a84", "--trace-b", "55f80c17b6ab82ec", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == SUMMARY_KEYS
    assert report["a"] == {"trace": "e4d1eeb843787a84", "root": "frontend /checkout", "spans": 9, "duration_ms": 1966.0}
    assert report["b"]["spans"] == 2 and report["total_diff_ms"] == -1107.0
    assert (report["matched"], len(report["only_in_a"]), report["only_in_b"]) == (2, 7, [])
    assert [t["change"] for t in report["top"]][:2] == ["matched", "only in A"]
    assert report["top"][1]["path"] == "frontend:/checkout > checkoutservice:/PlaceOrder > emailservice:/SendOrderConfirmation"


def test_inspect_compare_text(capsys, tmp_path):
    pooled = with_route_pool(OtlpTrace.load(), 3).write(tmp_path / "pooled.json")
    assert main(["inspect", "--compare", str(HOTROD_SERIAL), str(pooled)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "A  fe65c5beefbe4e96119efbba3da07e99  frontend GET /dispatch  40 spans  1117.0 ms"
    assert lines[2].startswith("B - A: -308.7 ms (-27.6%) = ") and lines[2].endswith("ms from calls overlapping more")
    assert lines[3] == "40 spans matched, 0 only in A, 0 only in B"
    assert lines[4] == "contributing most (self time, B - A):"


@pytest.mark.parametrize(("args", "message"), [
    ([str(LOAD_GENERATOR), str(HOTROD_SERIAL)], "holds 100 traces; pick one with --trace-a ID (e.g. "),
    ([str(HOTROD_SERIAL), str(HOTROD_SERIAL)], "are the same trace fe65c5beefbe4e96119efbba3da07e99; pick two"),
    ([str(HOTROD_SERIAL), str(APIV3_HOTROD), "--trace-b", "abc"], "no trace 'abc' in it"),
    ([str(HOTROD_SERIAL)], "--compare needs two files"),
])
def test_inspect_compare_refuses_in_one_line(capsys, args, message):
    assert main(["inspect", "--compare", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err

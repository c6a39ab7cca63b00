"""Hostile trace files: each one either loads (bad values clamped, the span flagged with the
reason) or ends in one line that says why; never a traceback, a hang or a blank scene."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import ROOT
from vrmon.errors import VrmonError
from vrmon.model.details import span_details
from vrmon.model.span_store import SpanStore
from vrmon.protocol import decode_server_frame, select_frame
from vrmon.sources.files import load_trace_file

START = 1_700_000_000_000_000


def v1_doc(**span_fields) -> dict:
    good = {"traceID": "abc", "spanID": "01", "operationName": "good", "startTime": START, "duration": 5, "processID": "p"}
    bad = {**good, "spanID": "02", "operationName": "bad", **span_fields}
    return {"data": [{"traceID": "abc", "spans": [good, bad], "processes": {"p": {"serviceName": "svc"}}}]}


def otlp_doc(span_fields=None, resource=None, group=None) -> dict:
    span = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "good",
            "startTimeUnixNano": str(START * 1000), "endTimeUnixNano": str(START * 1000 + 5000)}
    bad = {**span, "spanId": "b7ad6b7169203332", "name": "bad", **(span_fields or {})}
    res = {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]} if resource is None else resource
    return {"resourceSpans": [{"resource": res, "scopeSpans": [{"scope": {"name": "lib"}, "spans": [span, bad], **(group or {})}]}]}


# name → (file text, the words of the bad span's warning). Every one of these was a traceback.
LOADS_FLAGGED = {
    "v1-start-beyond-64-bits": (json.dumps(v1_doc(startTime=2**70)), "startTime"),
    "v1-start-1e400": (json.dumps(v1_doc(startTime=0)).replace('"startTime": 0', '"startTime": 1e400'), "startTime"),
    "v1-duration-Infinity": (json.dumps(v1_doc(duration=0)).replace('"duration": 0', '"duration": Infinity'), "duration"),
    "v1-duration-NaN": (json.dumps(v1_doc(duration=0)).replace('"duration": 0', '"duration": NaN'), "NaN"),
    "v1-span-id-beyond-64-bits": (json.dumps(v1_doc(spanID=2**70)), "spanID"),
    "v1-process-a-number": (json.dumps(v1_doc(processID=None, process=5)), "process"),
    "v1-tags-a-number": (json.dumps(v1_doc(tags=5)), "tags"),
    "otlp-start-1e400": (json.dumps(otlp_doc({"startTimeUnixNano": 0})).replace('"startTimeUnixNano": 0', '"startTimeUnixNano": 1e400'), "start"),
    "otlp-scope-a-number": (json.dumps(otlp_doc(group={"scope": 5})), "scope"),
    "otlp-resource-a-number": (json.dumps(otlp_doc(resource=5)), "resource"),
    "otlp-attributes-a-number": (json.dumps(otlp_doc(resource={"attributes": 5})), "attributes"),
    "otlp-status-a-number": (json.dumps(otlp_doc({"status": 5})), "status"),
}


@pytest.mark.parametrize("name", list(LOADS_FLAGGED))
def test_out_of_range_and_wrong_typed_values_are_clamped_and_flagged(tmp_path, name):
    text, words = LOADS_FLAGGED[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    store = SpanStore()
    store.add(load_trace_file(path))
    assert len(store) == 2, "the good span and the bad one both load"
    (bad,) = [r for r in range(2) if store.operation[r] == store.operations.code_of("bad")]
    warnings = span_details(store, bad)["warnings"]
    assert any(words in w for w in warnings), warnings


ONE_LINE_ERRORS = {
    "nested-100k-deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "scopeSpans-item-a-number": (json.dumps(otlp_doc()).replace('"scopeSpans": [{', '"scopeSpans": [5, {'), "must be an object"),
    "spans-a-number": (json.dumps(otlp_doc(group={"spans": 5})), "must be a list"),
}


@pytest.mark.parametrize("name", list(ONE_LINE_ERRORS))
def test_unreadable_documents_end_in_one_line_naming_the_file(tmp_path, name):
    text, words = ONE_LINE_ERRORS[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    with pytest.raises(VrmonError) as error:
        load_trace_file(path)
    assert str(error.value).startswith(f"{path}: ") and words in str(error.value) and "\n" not in str(error.value)


def test_a_fifo_and_a_device_are_refused_at_once_by_the_cli(tmp_path):
    fifo = tmp_path / "traces.json"
    os.mkfifo(fifo)  # nothing ever writes to it: opening it for reading would block for ever
    for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a character device")):
        done = subprocess.run([sys.executable, "-m", "vrmon.cli", "inspect", str(path)], capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
        assert done.returncode == 1
        assert done.stderr == f"vrmon: error: {path}: not a regular file ({kind}); pass a trace file saved on disk\n"


def test_a_lone_surrogate_reaches_viewers_as_a_replacement_character(vrmon_server, tmp_path):
    """Before: the snapshot could not be encoded, every new viewer saw nothing and nothing was logged."""
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(v1_doc(operationName="GET \ud800/x", tags=[{"key": "q", "value": "\udfff"}])))
    url = vrmon_server([path])
    with connect(url.replace("http", "ws") + "/ws") as ws:
        frames = [decode_server_frame(ws.recv(timeout=10))]
        while frames[-1]["type"] != "snapshot":
            frames.append(decode_server_frame(ws.recv(timeout=10)))
        snapshot = frames[-1]
        assert "GET \ufffd/x" in snapshot["operations"] and len(snapshot["nodes"]) == 2
        node = int(snapshot["nodes"].ids[list(snapshot["nodes"].operation).index(snapshot["operations"].index("GET \ufffd/x"))])
        ws.send(select_frame(node))
        while (frame := decode_server_frame(ws.recv(timeout=10)))["type"] != "details":
            pass
        assert frame["span"]["operation"] == "GET \ufffd/x" and ["q", "\ufffd"] in frame["span"]["tags"]
    health = httpx.get(url + "/healthz").text
    assert "surrogate.json" in health and str(tmp_path) not in health  # the file's name, not where it lives

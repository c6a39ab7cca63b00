"""Trace files read a trace at a time through a window of their bytes (vrmon/formats/json_window.py):
whatever the chunk boundaries cut (a span, a string, a number, white space), a file reads as the
general reader reads the whole document, and each span's details read back from the file."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from tests.conftest import FIXTURES, TRACE_FIXTURES
from vrmon.formats import read_document
from vrmon.formats import json_window
from vrmon.formats.from_bytes import ONE_TRACE, read_window
from vrmon.formats.json_window import Malformed, Window
from vrmon.model.details import span_details
from vrmon.model.file_details import SLICED
from vrmon.model.raw_details import InMemory
from vrmon.model.span_store import SpanStore
from vrmon.sources.files import load_trace_file

TYPED = [p for p in TRACE_FIXTURES if p.name.startswith(("jaeger-v1", "otlp-"))]
COLUMNS = ("trace", "span_id", "parent_id", "service", "operation", "start_us", "duration_us", "flags", "kind")


def store_of(batch) -> SpanStore:
    store = SpanStore()
    store.add(batch)
    return store


def assert_reads_as_the_general_reader(path, doc) -> None:
    windowed, general = store_of(load_trace_file(path)), store_of(read_document(doc))
    assert len(windowed) == len(general) > 0
    for name in COLUMNS:
        assert np.array_equal(getattr(windowed, name), getattr(general, name)), name
    assert all(kept.startswith(SLICED) for kept in windowed.details), "the typed reader read it, details left in the file"
    for row in range(len(windowed)):
        assert span_details(windowed, row) == span_details(general, row)


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of 7 bytes: every few bytes of the file is a chunk boundary."""
    monkeypatch.setattr(json_window, "CHUNK", 7)


@pytest.mark.parametrize("indent", [None, 3], ids=["as written", "pretty-printed"])
@pytest.mark.parametrize("path", TYPED, ids=lambda p: p.name)
def test_a_file_read_in_tiny_chunks_reads_as_the_whole_document(tmp_path, tiny_chunks, path, indent):
    doc = json.loads(path.read_text())
    copy = tmp_path / path.name
    copy.write_text(path.read_text() if indent is None else json.dumps(doc, indent=indent) + "\n\n")
    assert_reads_as_the_general_reader(copy, doc)


TRACE = json.loads((FIXTURES / "jaeger-v1-opentracing-tutorial-3services-logs.json").read_text())["data"][0]
OTHER = json.loads((FIXTURES / "jaeger-v1-follows-from-issue115.json").read_text())["data"][0]


@pytest.mark.parametrize("doc", [
    {"total": 123456789, "errors": None, "data": [TRACE], "limit": 0},  # numbers and null around the list
    {"processes": TRACE["processes"], "spans": TRACE["spans"], "traceID": TRACE["traceID"]},  # one trace, processes first
    {"spans": [{"spanID": "7"}], "data": [TRACE]},  # "data" is read before a lone "spans" (as read_document does)
    [TRACE, OTHER],  # a bare list of traces
], ids=["keys-around-data", "one-trace", "data-and-spans", "bare-list"])
def test_top_level_shapes_read_as_the_general_reader_reads_them(tmp_path, tiny_chunks, doc):
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(doc))
    assert_reads_as_the_general_reader(path, doc)


def test_a_long_value_and_a_number_cut_by_chunk_ends_are_read_whole(tiny_chunks):
    text = b' {"total" : 1234567890123, "data": [ {"a": "' + b"x" * 1000 + b'"} , 5 ] }  '
    window = Window(io.BytesIO(text).read)
    read = {}
    for key in window.members():
        if key == "data":
            read[key] = [bytes(window.value()) for _ in window.elements()]
        else:
            read[key] = bytes(window.value())
    assert read == {"total": b"1234567890123", "data": [b'{"a": "' + b"x" * 1000 + b'"}', b"5"]}
    assert window.at_end()


@pytest.mark.parametrize("text", [b'{"data": [{"spans": []}', b'{"data": [{"spans": []}] "x"', b'{"data" [', b"{1: 2}"])
def test_malformed_json_is_left_to_the_general_reader(text):
    with pytest.raises(Malformed):
        window = Window.of_bytes(text)
        for _ in window.members():
            for _ in window.elements():
                window.value()
    assert read_window(Window.of_bytes(text), len(text), None, InMemory()) is None


def test_one_trace_is_left_to_the_whole_document_reader():
    text = json.dumps(TRACE).encode()
    assert read_window(Window.of_bytes(text), len(text), None, InMemory()) == ONE_TRACE

"""Big trace files made of a real HotROD trace (fixtures/otlp-hotrod-dispatch-40spans-serial.json)
repeated with fresh trace ids and shifted times: the same spans, tags, events and resources in
three formats — Jaeger v1 JSON (as Jaeger's /api/traces writes it), OTLP JSON and OTLP protobuf.

    .venv/bin/python -m bench.trace_files DIR 200000 [FORMAT...]   # DIR/hotrod-200000.{jaeger.json,otlp.json,otlp.pb}
"""

from __future__ import annotations

import base64
import copy
import json
import sys
from pathlib import Path

from google.protobuf.json_format import ParseDict
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

from bench.report import ROOT

HOTROD = ROOT / "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_JAEGER_TYPES = {"stringValue": "string", "intValue": "int64", "doubleValue": "float64", "boolValue": "bool"}
COMPACT = (",", ":")


def hotrod() -> dict:
    return json.loads(HOTROD.read_text())


def _tag(attribute: dict) -> dict:
    (kind, value), = attribute["value"].items()
    return {"key": attribute["key"], "type": _JAEGER_TYPES.get(kind, "string"),
            "value": int(value) if kind == "intValue" else value}


def jaeger_trace(doc: dict, trace_id: str, shift_ns: int) -> dict:
    """The OTLP trace as Jaeger's query API returns it: tags, logs, processes, CHILD_OF references."""
    spans, processes = [], {}
    for p_index, rs in enumerate(doc["resourceSpans"]):
        attributes = rs["resource"]["attributes"]
        service = next(a["value"]["stringValue"] for a in attributes if a["key"] == "service.name")
        pid = f"p{p_index + 1}"
        processes[pid] = {"serviceName": service, "tags": [_tag(a) for a in attributes if a["key"] != "service.name"]}
        for scope_spans in rs["scopeSpans"]:
            for s in scope_spans["spans"]:
                start = int(s["startTimeUnixNano"]) + shift_ns
                tags = [{"key": "otel.scope.name", "type": "string", "value": (scope_spans.get("scope") or {}).get("name", "")},
                        {"key": "span.kind", "type": "string", "value": _KINDS.get(s.get("kind"), "internal")}]
                tags += [_tag(a) for a in s.get("attributes", [])]
                if s.get("status", {}).get("code") == 2:
                    tags.append({"key": "error", "type": "bool", "value": True})
                spans.append({
                    "traceID": trace_id, "spanID": s["spanId"], "operationName": s["name"],
                    "references": [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": s["parentSpanId"]}]
                    if s.get("parentSpanId") else [],
                    "startTime": start // 1000,
                    "duration": (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) // 1000,
                    "tags": tags,
                    "logs": [{"timestamp": (int(e["timeUnixNano"]) + shift_ns) // 1000,
                              "fields": [{"key": "event", "type": "string", "value": e["name"]}]
                              + [_tag(a) for a in e.get("attributes", [])]} for e in s.get("events", [])],
                    "processID": pid, "warnings": None, "flags": 1,
                })
    return {"traceID": trace_id, "spans": spans, "processes": processes, "warnings": None}


def otlp_copy(doc: dict, trace_id: str, shift_ns: int) -> list[dict]:
    """The trace's resourceSpans with a new trace id and times shifted by `shift_ns`."""
    out = copy.deepcopy(doc["resourceSpans"])
    for rs in out:
        for scope_spans in rs["scopeSpans"]:
            for s in scope_spans["spans"]:
                s["traceId"] = trace_id
                for key in ("startTimeUnixNano", "endTimeUnixNano"):
                    s[key] = str(int(s[key]) + shift_ns)
                for e in s.get("events", []):
                    e["timeUnixNano"] = str(int(e["timeUnixNano"]) + shift_ns)
    return out


def _copies(n_spans: int) -> list[tuple[str, int]]:
    per_trace = sum(len(ss["spans"]) for rs in hotrod()["resourceSpans"] for ss in rs["scopeSpans"])
    return [(f"{0x5EED0000_00000000 + k:032x}", k * 1_000_000_000) for k in range(max(1, n_spans // per_trace))]


FORMATS = {"jaeger": "jaeger.json", "otlp-json": "otlp.json", "otlp-protobuf": "otlp.pb"}


def write_files(folder: Path, n_spans: int, formats: tuple[str, ...] = tuple(FORMATS)) -> dict[str, Path]:
    """Write (or reuse) the files of about `n_spans` spans in `formats`; their paths by format."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {fmt: folder / f"hotrod-{n_spans}.{FORMATS[fmt]}" for fmt in formats}
    doc, copies = hotrod(), _copies(n_spans)
    for fmt, path in paths.items():
        if not path.exists():
            partial = path.with_suffix(".partial")
            _WRITERS[fmt](partial, doc, copies)
            partial.rename(path)
    return paths


def _write_jaeger(path: Path, doc: dict, copies: list[tuple[str, int]]) -> None:
    with path.open("w") as f:  # written trace by trace: a 1M-span document never sits in memory whole
        f.write('{"data":[')
        for i, (trace_id, shift) in enumerate(copies):
            f.write(("," if i else "") + json.dumps(jaeger_trace(doc, trace_id[16:], shift), separators=COMPACT))
        f.write('],"total":0,"limit":0,"offset":0,"errors":null}')


def _write_otlp_json(path: Path, doc: dict, copies: list[tuple[str, int]]) -> None:
    with path.open("w") as f:
        f.write('{"resourceSpans":[')
        for i, (trace_id, shift) in enumerate(copies):
            f.write(("," if i else "") + ",".join(json.dumps(rs, separators=COMPACT) for rs in otlp_copy(doc, trace_id, shift)))
        f.write("]}")


def _write_otlp_protobuf(path: Path, doc: dict, copies: list[tuple[str, int]]) -> None:
    message = TracesData()
    for trace_id, shift in copies:
        for rs in otlp_copy(doc, trace_id, shift):
            ParseDict(_base64_ids(rs), message.resource_spans.add())
    path.write_bytes(message.SerializeToString())


_WRITERS = {"jaeger": _write_jaeger, "otlp-json": _write_otlp_json, "otlp-protobuf": _write_otlp_protobuf}


def _base64_ids(rs: dict) -> dict:
    """protobuf's JSON mapping wants bytes fields in base64, OTLP JSON has them in hex."""
    for scope_spans in rs["scopeSpans"]:
        for s in scope_spans["spans"]:
            for key in ("traceId", "spanId", "parentSpanId"):
                if s.get(key):
                    s[key] = base64.b64encode(bytes.fromhex(s[key])).decode()
    return rs


if __name__ == "__main__":
    for fmt, path in write_files(Path(sys.argv[1]), int(sys.argv[2]), tuple(sys.argv[3:]) or tuple(FORMATS)).items():
        print(f"{fmt}: {path} ({path.stat().st_size:,} bytes)")

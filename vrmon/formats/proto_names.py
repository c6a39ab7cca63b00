"""OTLP JSON written with the protobuf field names: `resource_spans`, `scope_spans`, `trace_id`,
`start_time_unix_nano`, `string_value`.

Protobuf's JSON mapping prints lowerCamelCase names but lets a parser accept the original
field names as well, field by field, and several tools print those: Go's protojson with
`UseProtoNames`, Python's `MessageToJson(preserving_proto_field_name=True)`, Tempo and Grafana
test data (whose Loki trace mixes `resourceSpans` with `scope_spans`). The readers handle one
spelling; a document or a ResourceSpans that uses the other is renamed once, up front, so the
spans' kept details read the same either way. Every object key in OTLP's trace messages is a
field name (attribute keys are values, under "key"), so renaming every key is safe.
"""

from __future__ import annotations

from typing import Any


def spelt_with_proto_names(value: Any) -> bool:
    """Whether a parsed OTLP value uses the protobuf spelling anywhere along its first elements:
    each object's keys, and the first item of each list (a ResourceSpans, its resource's first
    attribute, its first span and that span's first attribute, event and link). A writer spells
    every level one way, so a few dozen keys tell, not every span's."""
    if isinstance(value, dict):
        return any(isinstance(key, str) and "_" in key for key in value) or \
            any(spelt_with_proto_names(inner) for inner in value.values() if isinstance(inner, (dict, list)))
    if isinstance(value, list) and value:
        return spelt_with_proto_names(value[0])
    return False


def with_json_names(value: Any) -> Any:
    """A copy of a parsed OTLP JSON value with every object key in lowerCamelCase."""
    if isinstance(value, dict):
        return {_camel(key): with_json_names(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [with_json_names(inner) for inner in value]
    return value


def _camel(key: Any) -> Any:
    if not isinstance(key, str) or "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)

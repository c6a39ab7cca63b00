"""Where an OTLP document holds no spans: a resourceSpans without scopeSpans, a scopeSpans without spans.

OTLP allows both (an SDK may export an empty batch), but a file made only of them would load as
0 spans without a word: the file loader refuses it, naming the first such place, and the OTLP
receiver takes such a request (the specification says an empty request is a valid one) and says
where in its partial_success, as the specification lets a server warn with nothing rejected.
The protobuf reader finds these places as it reads (otlp_proto.py); `json_empty_groups` finds
them in a parsed OTLP JSON document.
"""

from __future__ import annotations

from typing import Any

EXPECTED = "expected spans in resourceSpans[].scopeSpans[].spans"


def json_empty_groups(doc: Any) -> list[str]:
    """The resourceSpans without scopeSpans and the scopeSpans without spans of an OTLP JSON
    TracesData (either spelling of the field names, and the pre-1.0 instrumentationLibrarySpans)."""
    groups = doc.get("resourceSpans", doc.get("resource_spans")) if isinstance(doc, dict) else None
    notes: list[str] = []
    for r_index, group in enumerate(groups if isinstance(groups, list) else ()):
        if not isinstance(group, dict):
            continue
        scopes = group.get("scopeSpans") or group.get("scope_spans") or group.get("instrumentationLibrarySpans")
        if not scopes:
            notes.append(f"resourceSpans[{r_index}] has no scopeSpans")
            continue
        for g_index, scope in enumerate(scopes if isinstance(scopes, list) else ()):
            if isinstance(scope, dict) and not scope.get("spans"):
                notes.append(f"resourceSpans[{r_index}].scopeSpans[{g_index}] has no spans")
    return notes


def first_of(notes: list[str]) -> str:
    """The first place, and how many more there are."""
    return notes[0] + (f" (and {len(notes) - 1} more like it)" if len(notes) > 1 else "")

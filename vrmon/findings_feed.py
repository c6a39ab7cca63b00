"""The findings feed: the store's findings for viewers, as one `findings` frame kept up to date.

Viewers that ask (a `findings` request) get the latest frame at once and again after each
snapshot; while any viewer watches, the hub asks `poll` on every tick. The findings index takes
in what the store gained (cheap when nothing did); when the findings changed, a new frame is
encoded at most once per `interval`, because a live window changes some number (a slow span's
sample count) on nearly every add.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vrmon.model.span_store import SpanStore
from vrmon.protocol import findings_frame

if TYPE_CHECKING:
    from vrmon.analysis.findings import Finding, FindingsIndex

MAX_FINDINGS = 500  # per frame, the most telling kinds first
MAX_LISTED = 200  # span ids and node ids per finding


class FindingsFeed:
    def __init__(self, store: SpanStore, interval: float = 1.0) -> None:
        self.store = store
        self.interval = interval
        self._index: FindingsIndex | None = None
        self.frame: bytes | None = None  # the latest frame sent, for viewers that join
        self._dirty = True
        self._sent_at = float("-inf")

    @property
    def index(self) -> FindingsIndex:
        """The findings, made when first asked for: the rules are not needed before the server listens."""
        if self._index is None:
            from vrmon.analysis.findings import FindingsIndex

            self._index = FindingsIndex()
        return self._index

    def poll(self, now: float) -> bytes | None:
        """A new frame for the watching viewers, or None when nothing changed (or it is too soon)."""
        self._dirty |= self.index.sync(self.store)
        if not self._dirty or now - self._sent_at < self.interval:
            return None
        return self._encode(now)

    def latest(self, now: float) -> bytes:
        """The frame of the findings as they are now, for a viewer that just asked."""
        self._dirty |= self.index.sync(self.store)
        return self._encode(now) if self._dirty or self.frame is None else self.frame

    def _encode(self, now: float) -> bytes:
        self._dirty = False
        self._sent_at = now
        self.frame = findings_frame([self._wire(f) for f in _most_telling(self.index.findings)], len(self.index.findings))
        return self.frame

    def _wire(self, finding: Finding) -> dict[str, Any]:
        wire = finding.to_json(self.store)
        wire["nodes"] = list(finding.uids)
        for key in ("spans", "nodes", "chain"):
            if key in wire and len(wire[key]) > MAX_LISTED:
                wire[f"{key}_more"] = len(wire[key]) - MAX_LISTED
                wire[key] = wire[key][:MAX_LISTED]
        return wire


def _most_telling(findings: list[Finding]) -> list[Finding]:
    """At most MAX_FINDINGS, kinds in KIND_ORDER (root causes and N+1s before slow spans and flags)."""
    if len(findings) <= MAX_FINDINGS:
        return findings
    from vrmon.analysis.findings import KIND_ORDER

    return sorted(findings, key=lambda f: KIND_ORDER.index(f.kind))[:MAX_FINDINGS]

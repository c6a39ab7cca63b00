"""What can be wrong with a span, as bits of the store's `flags` column, and how to say it."""

from __future__ import annotations

import enum


class SpanFlag(enum.IntFlag):
    ERROR = 1
    ORPHAN = 2  # names a parent that is not in the trace; drawn at depth 0
    CLOCK_SKEW = 4  # starts before or ends after its CHILD_OF parent
    DUPLICATE = 8  # same span id as an earlier span of the trace
    BAD_DURATION = 16  # negative or longer than a day; drawn as zero length
    CYCLE = 32  # its parent chain loops; the link was cut here
    FOLLOWS_FROM = 64  # its parent link is FOLLOWS_FROM, not CHILD_OF


FLAG_REASONS = {
    SpanFlag.ORPHAN: "its parent span is not in the trace (shown at depth 0)",
    SpanFlag.CLOCK_SKEW: "it starts before or ends after its parent (clock skew or async work)",
    SpanFlag.DUPLICATE: "another span of this trace has the same span id",
    SpanFlag.BAD_DURATION: "its duration is negative or longer than a day (drawn as zero length)",
    SpanFlag.CYCLE: "its parent chain loops back on itself (the link was cut here)",
}

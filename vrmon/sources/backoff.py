"""Retry delays: exponential backoff with jitter, reset by a success.

Jitter spreads the retries of many vrmon instances (or of one after a Jaeger restart) so they do
not hit the query service in lockstep.
"""

from __future__ import annotations

import random


class Backoff:
    """Delay before the next attempt: `base` after a success, doubling per failure up to `cap`.

    "Equal jitter": half the doubled delay is fixed, the other half random, so a retry never
    comes sooner than half the nominal delay and never later than the nominal delay.
    """

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"backoff needs 0 < base <= cap, got base={base}, cap={cap}")
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def success(self) -> float:
        self.failures = 0
        return self.base

    def failure(self) -> float:
        self.failures += 1
        nominal = min(self.cap, self.base * 2.0 ** min(self.failures, 60))
        return nominal / 2 + self._rng.uniform(0, nominal / 2)

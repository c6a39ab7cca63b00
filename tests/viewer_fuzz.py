"""Hostile viewer → server frames for the fuzz test: random, mutated, malformed on purpose.

`hostile_frames(seed)` yields an endless, reproducible mix of: random bytes, valid requests cut
short or with bytes flipped, deep nesting, msgpack headers declaring huge lengths, wrong types in
every field, unknown types, msgpack extension types, and text frames. Valid requests are mixed in,
so a connection lives long enough to be hit by all of them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import msgpack

from vrmon.protocol import resync_frame, scene_request_frame, select_frame

HUGE_DECLARED_LENGTHS = [
    b"\xdd\xff\xff\xff\xff",  # array32 of 4 G items
    b"\xdf\xff\xff\xff\xff",  # map32 of 4 G pairs
    b"\xdb\xff\xff\xff\xff",  # str32 of 4 GiB
    b"\xc6\xff\xff\xff\xff",  # bin32 of 4 GiB
    b"\xc9\xff\xff\xff\xff\x01",  # ext32 of 4 GiB
    b"\x81\xa4type\xdb\x7f\xff\xff\xff",  # {"type": str of 2 GiB}
]

WRONG_TYPES = [
    {"type": 5}, {"type": None}, {"type": ["select"]}, {"type": {"a": 1}}, {"type": b"select"},
    {"type": "select"}, {"type": "select", "id": "12"}, {"type": "select", "id": -1}, {"type": "select", "id": 2**64 - 1},
    {"type": "select", "id": 1.5}, {"type": "select", "id": True}, {"type": "select", "id": [1]},
    {"type": "scene"}, {"type": "scene", "scene": 5}, {"type": "scene", "trace": [1]}, {"type": "scene", "scene": "x" * 200},
    {"type": "scene", "scene": "no-such-scene"}, {"type": "scene", "trace": "zz"}, {"type": "scene", "trace": "\ud800"},
    {"type": "resync", "extra": {"deep": [1, 2, 3]}}, {"type": "replay", "speed": 1e308}, {"type": "filter"},
    [1, 2, 3], "select", 42, None, 1.5, True, b"bytes",
]


def hostile_frames(seed: int, scenes: list[str], node_ids: list[int]) -> Iterator[bytes | str]:
    rng = random.Random(seed)
    valid = [resync_frame(), *(scene_request_frame(scene=s) for s in scenes),
             *(select_frame(i) for i in node_ids[:50]), select_frame(2**32 - 1)]
    while True:
        kind = rng.randrange(10)
        if kind == 0:
            yield rng.randbytes(rng.choice((0, 1, 2, 7, 100, 4000, 16 * 1024, 16 * 1024 + 1, 60_000, 70_000)))
        elif kind == 1:
            frame = rng.choice(valid)
            yield frame[: rng.randrange(len(frame))]  # cut short
        elif kind == 2:
            frame = bytearray(rng.choice(valid))
            for _ in range(rng.randint(1, 4)):
                frame[rng.randrange(len(frame))] = rng.randrange(256)
            yield bytes(frame)
        elif kind == 3:
            depth = rng.choice((100, 1000, 5000, 16_000))
            yield b"\x91" * depth + b"\xc0"  # [[[[...nil...]]]]
        elif kind == 4:
            yield rng.choice(HUGE_DECLARED_LENGTHS) + rng.randbytes(rng.randrange(32))
        elif kind == 5:
            value = rng.choice(WRONG_TYPES)
            yield msgpack.packb(value, use_bin_type=True, unicode_errors="surrogatepass") if not _has_surrogate(value) \
                else b"\x82\xa4type\xa5scene\xa5trace\xa3\xed\xa0\x80"  # a str that is not UTF-8
        elif kind == 6:
            # {"type": "select", "id": <fixext 8 of any type code, -1 being msgpack's timestamp>}
            yield b"\x82\xa4type\xa6select\xa2id\xd7" + bytes([rng.randrange(256)]) + rng.randbytes(8)
        elif kind == 7:
            yield rng.choice(("hello", "", "{\"type\": \"select\", \"id\": 1}", "\x00" * 100, "é" * 3000))
        else:
            yield rng.choice(valid)


def _has_surrogate(value: object) -> bool:
    return isinstance(value, dict) and any(isinstance(v, str) and "\ud800" in v for v in value.values())

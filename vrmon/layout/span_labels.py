"""What a waterfall says on its bars, as a Jaeger UI row does: each span's operation and
duration, on its bar when the bar is long enough to hold them (and thick enough), else right beside
it (left of it when the bar ends near the picture's right edge or its row's next bar), in the free
stretch of its row between its neighbours (`free_stretch`). A label's letters are at most its row's
pitch tall, so labels of different rows never overlap and none reaches another row's bar; a label
with no room to be read whole is shortened ("HTTP GET /cust… · 12 ms") or left out, never cut.

Pure and vectorised over the bars except for one string per label (a few dozen at most).
"""

from __future__ import annotations

import numpy as np

from vrmon.layout.nodes import Label
from vrmon.layout.waterfall import format_duration

SPAN_FONT = 0.9  # of a lane's least height: a bar label's letters (a lane name's are 0.96)
MIN_FONT = 0.84  # of a lane's least height: the smallest bar label (≥ 12 px at 1280×720, see README)
ROW_SHARE = 0.95  # of a row's pitch, the most a label's letters take (rows of labels never touch)
CHAR = 0.6  # generous average glyph width per font size (regular sans, mixed case and digits)
PAD = 0.3  # of the font: between a bar's end and its label, or a label and the bar's inside edge
LABEL_BOX = 76 / 56  # a label quad's height per font size (the client's atlas pads each line)
MOST_CHARS = 48  # a longer operation name is shortened: the atlas and the eye have their limits
LEAST_CHARS = 6  # an operation shortened to fewer letters than this says nothing: the duration alone
MOST_LABELS = 160  # the longest bars' labels at most (a packed trace of thousands of wide bars)
SEPARATOR = " · "


def least_pitch(lane_height: float) -> float:
    """The least row pitch whose labels are still readable (MIN_FONT)."""
    return MIN_FONT * lane_height / ROW_SHARE


def free_stretch(row: np.ndarray, x0: np.ndarray, x1: np.ndarray, edges: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per bar, where its row is free from on its left and up to on its right: the previous and
    next bars of the same `row` (any integer naming a row), else the picture's `edges`."""
    order = np.lexsort((x0, row))
    same = row[order][1:] == row[order][:-1]
    left, right = np.full(len(row), edges[0]), np.full(len(row), edges[1])
    left[order[1:][same]] = x1[order[:-1][same]]
    right[order[:-1][same]] = x0[order[1:][same]]
    return left, right


def span_labels(ids: np.ndarray, x0: np.ndarray, x1: np.ndarray, y: np.ndarray, height: np.ndarray, pitch: np.ndarray,
                operation: np.ndarray, names: list[str], duration_us: np.ndarray, row: np.ndarray,
                free: tuple[np.ndarray, np.ndarray], lane_height: float, z: float, wanted: np.ndarray | None = None) -> list[Label]:
    """Labels of the bars (node `ids`) from `x0` to `x1`, `height` tall at heights `y` in rows
    `pitch` apart (metres), each in `row`, free from `free[0]` to `free[1]` there (free_stretch);
    `operation` codes into `names`; `wanted`: the bars that may have one (all if None). A bar
    thinner than the letters has its label beside it where there is room; the longest bars are
    labelled first, and a label beside a bar takes that stretch of its row from its neighbours'."""
    font = np.minimum(SPAN_FONT * lane_height, ROW_SHARE * pitch)
    may = font >= MIN_FONT * lane_height * (1 - 1e-9)
    readable = np.flatnonzero(may if wanted is None else may & wanted)
    readable = readable[np.argsort(-(x1 - x0)[readable], kind="stable")[:MOST_LABELS]]
    labels = []
    taken: dict[int, list[tuple[float, float]]] = {}  # per row, the stretches labels beside bars took
    for i in readable.tolist():
        f = float(font[i])
        per_char, pad = CHAR * f, PAD * f
        duration = format_duration(int(duration_us[i]))
        whole = shortened(str(names[int(operation[i])]), MOST_CHARS)
        full = whole + SEPARATOR + duration
        beside = taken.setdefault(int(row[i]), [])
        right_free = min([free[1][i]] + [a for a, _ in beside if a >= x1[i]])
        left_free = max([free[0][i]] + [b for _, b in beside if b <= x0[i]])
        inside = (x1[i] - x0[i] - 2 * pad) / per_char
        right = (right_free - x1[i] - 2 * pad) / per_char
        left = (x0[i] - left_free - 2 * pad) / per_char
        if len(full) <= inside and (height[i] >= f or len(full) > max(right, left)):
            labels.append(Label(full, (float(x0[i]) + pad, float(y[i]), z), "span", f * LABEL_BOX, int(ids[i])))
            continue
        text = fitted(whole, duration, int(max(inside, right, left)))
        if text is None:
            continue
        width = len(text) * per_char
        if len(text) <= right:
            at, kind = float(x1[i]) + pad, "span"
            beside.append((float(x1[i]), at + width + pad))
        elif len(text) <= left:
            at, kind = float(x0[i]) - pad, "span-left"  # the client anchors it at its right end
            beside.append((at - width - pad, float(x0[i])))
        else:
            at, kind = float(x0[i]) + pad, "span"
        labels.append(Label(text, (at, float(y[i]), z), kind, f * LABEL_BOX, int(ids[i])))
    return labels


def right_end(label: Label) -> float:
    """Where a bar's label ends on the right (metres, generously: CHAR per letter)."""
    if label.kind == "span-left":
        return label.pos[0]
    return label.pos[0] + len(label.text) * CHAR * (label.size or 0.0) / LABEL_BOX


def fitted(operation: str, duration: str, chars: int) -> str | None:
    """'operation · duration' in at most `chars` characters: the operation shortened if need be,
    the duration alone if the operation would be too short to say anything, else None."""
    room = chars - len(SEPARATOR) - len(duration)
    if room >= len(operation):
        return operation + SEPARATOR + duration
    if room >= LEAST_CHARS:
        return shortened(operation, room) + SEPARATOR + duration
    return duration if len(duration) <= chars else None


def shortened(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


def shortened_in_the_middle(text: str, chars: int) -> str:
    """`text` in at most `chars` characters, its start and end kept (names that differ only at the
    end, "…-europe-west1-canary" and "…-us-east-2-canary", stay apart)."""
    if len(text) <= chars:
        return text
    head = chars // 2
    return text[:head].rstrip() + "…" + text[len(text) - (chars - 1 - head):].lstrip()

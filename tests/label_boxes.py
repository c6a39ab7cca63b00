"""Where a layout's labels put their letters, in metres of the scene (as the client's scene-labels
draws them: each kind's anchor, letters `size / LABEL_BOX` tall, about CHAR_WIDTH of that per
character), so a pure layout test can say whether two labels overlap without a browser."""

from __future__ import annotations

from vrmon.layout.nodes import Label
from vrmon.layout.waterfall_overview import CHAR_WIDTH, LABEL_BOX

# The point of its letters a label's position names ([0..1] from their left, from their bottom),
# as static/js/scene/scene-labels.js STYLES anchors the label's quad.
ANCHOR = {"lane": (1.0, 0.5), "fold": (1.0, 0.5), "tick": (0.5, 0.0), "break": (0.5, 0.0), "span": (0.0, 0.5),
          "span-left": (1.0, 0.5), "title": (0.5, 0.0)}


def letters(label: Label) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a label's letters (without the quad's padding above and below)."""
    size = label.size or 0.3
    tall = size / LABEL_BOX
    wide = len(label.text) * CHAR_WIDTH * tall
    ax, ay = ANCHOR[label.kind]
    x0 = label.pos[0] - ax * wide
    y0 = label.pos[1] - ay * size + (size - tall) / 2
    return x0, y0, x0 + wide, y0 + tall


def overlapping(labels: list[Label]) -> list[tuple[str, str]]:
    """Pairs of labels whose letters overlap."""
    boxes = [(label.text, letters(label)) for label in labels]
    return [(a, b) for i, (a, p) in enumerate(boxes) for b, q in boxes[i + 1:]
            if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]]

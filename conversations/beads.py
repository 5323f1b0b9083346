"""The bead thread as text: 20 places in 4 levels, readable on a phone without an image."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from framework import Scale

EMPTY = "○"
ONE = "●"
SEPARATOR = "│"
# Circled numbers keep a place one character wide when several people chose it.
_MANY = "②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_LOTS = "✱"


def _mark(count: int) -> str:
    if count <= 0:
        return EMPTY
    if count == 1:
        return ONE
    return _MANY[count - 2] if count - 2 < len(_MANY) else _LOTS


def thread(scale: Scale, values: Sequence[int]) -> str:
    """Every view as a bead on one thread, e.g. ○○●○○│○○②○○│○○○○○│○○○○○ (no names, no order)."""
    counts = Counter(values)
    levels = []
    for level in range(1, len(scale.levels) + 1):
        places = (scale.index(level, position) for position in range(1, scale.positions + 1))
        levels.append("".join(_mark(counts[place]) for place in places))
    return SEPARATOR.join(levels)


def level_key(scale: Scale) -> str:
    """One line naming the levels left to right, so a thread can be read without a legend card."""
    return " │ ".join(html.escape(lv.label) for lv in scale.levels)

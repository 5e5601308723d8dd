"""Server-side SVG geometry for the insights pages: a dot map of district centres and bar
charts. Plain numbers out; the templates draw them, so no JavaScript is needed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from signpost.insights.places import Place
from signpost.insights.summary import Row

# Colour-blind-safe sequential scale (dark = little choice), one per score band.
BANDS = (
    (0, 20, "#8c2d04", "Under 20%"),
    (20, 40, "#d94801", "20% to 39%"),
    (40, 60, "#fd8d3c", "40% to 59%"),
    (60, 80, "#6baed6", "60% to 79%"),
    (80, 101, "#08519c", "80% or more"),
)
NO_SCORE = "#aeb7bd"


@dataclass(frozen=True)
class Dot:
    code: str
    x: float
    y: float
    colour: str


@dataclass(frozen=True)
class MapFigure:
    width: int
    height: int
    dots: tuple[Dot, ...]
    counts: tuple[tuple[str, str, int], ...]  # colour, legend label, how many districts


def colour(percent: int | None) -> str:
    if percent is None:
        return NO_SCORE
    for low, high, hex_colour, _ in BANDS:
        if low <= percent < high:
            return hex_colour
    return NO_SCORE


def dot_map(rows: Sequence[Row], places: dict[str, Place], width: int = 420) -> MapFigure:
    """District centres on an equirectangular projection squashed by cos(54°N), which keeps
    Great Britain's shape recognisable at this size."""
    located = [(row, places[row.code]) for row in rows if row.code in places]
    if not located:
        return MapFigure(width, width, (), ())
    squash = math.cos(math.radians(54.0))
    xs = [p.longitude * squash for _, p in located]
    ys = [-p.latitude for _, p in located]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = (width - 20) / max(x1 - x0, 1e-6)
    height = int((y1 - y0) * scale) + 20
    dots = tuple(
        Dot(row.code, round(10 + (x - x0) * scale, 1), round(10 + (y - y0) * scale, 1),
            colour(row.score_percent))
        for (row, _), x, y in zip(located, xs, ys, strict=True)
    )  # fmt: skip
    counts = [
        (hex_colour, label, sum(1 for d in dots if d.colour == hex_colour))
        for _, _, hex_colour, label in BANDS
    ]
    counts.append((NO_SCORE, "No recommended treatment to count", 0))
    counts[-1] = (NO_SCORE, counts[-1][1], sum(1 for d in dots if d.colour == NO_SCORE))
    return MapFigure(width, height, dots, tuple(counts))

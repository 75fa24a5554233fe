"""Charts as inline SVG, drawn by hand: horizontal bars, monthly columns and the map.

Hand-made SVG keeps the page self-contained and identical on screen and in the PDF
(WeasyPrint draws SVG itself), keeps text as text (searchable, in the chosen language and
in the embedded fonts) and needs no plotting library for three simple kinds of chart.
The map's geometry is data/geo/cis-baltic.geojson (Natural Earth, public domain).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

GEOJSON = Path(__file__).resolve().parents[3] / "data" / "geo" / "cis-baltic.geojson"
BLUES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
EMPTY = "#e0e0e0"
BAR = "#3182bd"


def hbar(items: Sequence[tuple[str, float]], width: int = 520, fmt: str = "{:,.0f}") -> str:
    """Horizontal bars, one per (label, value), the value written at each bar's end; the
    labels get the room their longest one needs (about 6.5 px a letter at 11 px)."""
    row, top = 20, 4
    longest = max((len(_cut(label, 28)) for label, _ in items), default=0)
    label_width = int(min(220, 12 + 6.2 * longest))
    height = top + row * len(items) + 4
    peak = max((v for _, v in items), default=0) or 1
    span = width - label_width - 60
    parts = [_svg_open(width, height)]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        length = span * value / peak
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" '
                     f'font-size="11" fill="#333">{escape(_cut(label, 28))}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
                     f'fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + length + 4:.1f}" y="{y + 14}" font-size="10" fill="#555">'
                     f'{escape(fmt.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(items: Sequence[tuple[str, float]], width: int = 520, height: int = 160) -> str:
    """Vertical columns, one per (label, value): records first harvested per month."""
    bottom, left = 34, 40
    peak = max((v for _, v in items), default=0) or 1
    slot = (width - left - 8) / max(len(items), 1)
    parts = [_svg_open(width, height),
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" '
             'stroke="#999"/>',
             f'<text x="{left - 4}" y="14" text-anchor="end" font-size="10" fill="#555">{peak:,.0f}</text>']
    every = max(1, math.ceil(len(items) / 12))
    for i, (label, value) in enumerate(items):
        h = (height - bottom - 18) * value / peak
        x = left + i * slot
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{height - bottom - h:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 14}" '
                         f'text-anchor="middle" font-size="11" fill="#333">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


@cache
def _features() -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        rings = tuple(tuple((x, y) for x, y in polygon[0])
                      for polygon in feature["geometry"]["coordinates"])
        features.append((feature["properties"]["iso_a2"], rings))
    return tuple(features)


def shade(value: int, peak: int) -> str:
    """The fill of a country: grey for none, else one of five blues on a square-root scale."""
    if value <= 0 or peak <= 0:
        return EMPTY
    step = min(len(BLUES) - 1, int(math.sqrt(value / peak) * len(BLUES) - 1e-9))
    return BLUES[max(step, 0)]


@dataclass(frozen=True)
class Projection:
    """The 15 countries in an equirectangular projection true at 50°N, fitted to a width:
    each country's SVG path and label point, and `point` for any place (a source's pin).
    Shared by the survey's map and the site's coverage map (oerhub/publish/coverage_map.py)."""

    width: int
    height: int
    pad: int
    left: float
    top: float
    scale: float
    countries: tuple[tuple[str, str, tuple[float, float]], ...]  # (code, path, label x, y)

    def point(self, x: float, y: float) -> tuple[float, float]:
        """Longitude and latitude to SVG coordinates (Russia's far east, past 180°, goes on
        eastwards: a longitude below -169° is taken 360° further)."""
        if x < -169:
            x += 360
        return (self.pad + (x - self.left) * _K * self.scale,
                self.pad + (self.top - y) * self.scale)

    def longitude(self, x: float) -> float:
        """The longitude at SVG x (the inverse of `point`'s first half)."""
        return self.left + (x - self.pad) / (_K * self.scale)


_K = math.cos(math.radians(50))


@cache
def projection(width: int = 760, pad: int = 12) -> Projection:
    """The countries fitted to `width` (plus `pad` on each side, room for edge labels)."""
    features = _features()
    xs = [x for _, rings in features for ring in rings for x, _ in ring]
    ys = [y for _, rings in features for ring in rings for _, y in ring]
    scale = (width - 2 * pad) / ((max(xs) - min(xs)) * _K)
    height = int((max(ys) - min(ys)) * scale) + 2 * pad
    bare = Projection(width, height, pad, min(xs), max(ys), scale, ())
    countries = []
    for code, rings in features:
        path = " ".join("M" + " L".join("{:.1f},{:.1f}".format(*bare.point(x, y))
                                        for x, y in ring) + "Z" for ring in rings)
        ring = max(rings, key=len)  # the label at the middle of the largest ring
        label = bare.point(sum(x for x, _ in ring) / len(ring),
                           sum(y for _, y in ring) / len(ring))
        countries.append((code, path, label))
    return Projection(width, height, pad, min(xs), max(ys), scale, tuple(countries))


def choropleth(values: dict[str, int], names: dict[str, str], width: int = 760) -> str:
    """The 15 countries shaded by `values`, each labelled with its code."""
    shape = projection(width)
    height = shape.height
    peak = max(values.values(), default=0)
    parts = [_svg_open(width, height + 26)]
    for code, path, _ in shape.countries:
        title = f"{names.get(code, code)}: {values.get(code, 0):,}"
        parts.append(f'<path d="{path}" fill="{shade(values.get(code, 0), peak)}" '
                     f'stroke="#fff" stroke-width="0.7"><title>{escape(title)}</title></path>')
    for code, _, (x, y) in shape.countries:
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="10" font-weight="700" fill="#222">'
                     f'{code}</text>')
    for i, colour in enumerate((EMPTY, *BLUES)):
        parts.append(f'<rect x="{10 + i * 28}" y="{height + 8}" width="26" height="12" '
                     f'fill="{colour}"/>')
    parts.append(f'<text x="{10 + 6 * 28 + 4}" y="{height + 18}" font-size="11" fill="#333">0 … '
                 f'{peak:,}</text></svg>')
    return "".join(parts)


def _svg_open(width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img">')


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"

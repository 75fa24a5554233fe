"""The site's coverage map: the 15 CIS and Baltic countries shaded by their records, as SVG.

Drawn on the server from the bundled geometry (data/geo/cis-baltic.geojson, through the
survey's Projection in oerhub/publish/survey/charts.py), so the dashboard and the theme pages
show it with no tile server and no network at all. Every country is labelled with its name
and count, those with none too (the policy finding): inside the big ones, beside the map with
a leader line for the small ones. The words come in already translated; every text is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape

from oerhub.publish.survey.charts import BLUES, EMPTY, projection, shade

WIDTH = 960  # the whole picture; the map itself is MAP_WIDTH of it, right of the side labels
MAP_WIDTH = 760
SIDE = WIDTH - MAP_WIDTH - 10  # the column of labels left of the map
TOP = 34  # the title's line
BOTTOM_ROW = 46  # the labels of the small Central Asian countries, under the map
LEGEND = 40
WEST = 52.0  # a small country west of this longitude is labelled in the left column
LINE = 23  # px between two side labels
PIN = "#d95f02"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Pin:
    """A source with a known place, drawn as a dot."""

    name: str
    latitude: float
    longitude: float
    records: int


@dataclass(frozen=True)
class MapWords:
    """What the map says, in the interface language."""

    title: str  # e.g. "Records per country"
    description: str  # the accessible summary's start, e.g. "Live records in each country"
    legend: str  # e.g. "Records"
    pins: str = "Sources with a known place"


def _bbox(path: str) -> tuple[float, float, float, float]:
    """min x, min y, max x, max y of the largest ring of an SVG path of M/L/Z."""
    rings = [ring for ring in path.split("M") if ring.strip()]
    largest = max(rings, key=len)
    values = [float(v) for v in _NUMBER.findall(largest)]
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs), max(ys)


@cache
def _layout() -> tuple[tuple[str, str, tuple[float, float], tuple[float, float, float, float]],
                       ...]:
    shape = projection(MAP_WIDTH)
    return tuple((code, path, label, _bbox(path)) for code, path, label in shape.countries)


def _fits(label: str, count: str, box: tuple[float, float, float, float]) -> bool:
    """Whether a two-line label (name over count, 11 px) fits inside a country's box."""
    wide = 6.4 * max(len(label), len(count)) + 10
    return box[2] - box[0] >= wide and box[3] - box[1] >= 34


def legend_bins(peak: int) -> list[tuple[str, int, int]]:
    """(colour, lowest, highest) of each non-empty shade for counts 1…peak (shade's scale)."""
    bins = []
    for step, colour in enumerate(BLUES):
        low = int(peak * (step / len(BLUES)) ** 2) + 1
        high = int(peak * ((step + 1) / len(BLUES)) ** 2)
        if step == len(BLUES) - 1:
            high = peak
        if low <= high and shade(low, peak) == colour:
            bins.append((colour, low, high))
    return bins


def coverage_svg(values: Mapping[str, int], names: Mapping[str, str], words: MapWords,
                 pins: Sequence[Pin] = (), number: Callable[[int], str] = "{:,}".format,
                 ident: str = "coverage-map", heading: bool = True) -> str:
    """The map: every country of the geometry shaded by `values` (0 when absent), labelled
    with `names` (its code when absent) and its count, a legend, and the `pins`; `heading`
    writes the title on it too (not when the page gives it a heading of its own)."""
    shape = projection(MAP_WIDTH)
    left, top = SIDE + 10, (TOP if heading else 6)
    height = top + shape.height + BOTTOM_ROW + LEGEND
    layout = _layout()
    peak = max([values.get(code, 0) for code, *_ in layout] or [0])

    def at(x: float, y: float) -> str:
        return f'x="{left + x:.1f}" y="{top + y:.1f}"'

    summary = "; ".join(f"{names.get(code, code)}: {number(values.get(code, 0))}"
                        for code in sorted((c for c, *_ in layout),
                                           key=lambda c: names.get(c, c)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" class="oer-map" '
             f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif">',
             f'<title id="{ident}-title">{escape(words.title)}</title>',
             f'<desc id="{ident}-desc">{escape(words.description)}: {escape(summary)}</desc>']
    if heading:
        parts.append(f'<text x="4" y="20" font-size="16" font-weight="700" fill="#222">'
                     f'{escape(words.title)}</text>')
    for code, path, _, _ in layout:
        value = values.get(code, 0)
        parts.append(f'<path transform="translate({left},{top})" d="{path}" '
                     f'fill="{shade(value, peak)}" stroke="#fff" stroke-width="0.8">'
                     f'<title>{escape(names.get(code, code))}: {escape(number(value))}</title>'
                     '</path>')
    west: list[tuple[str, str, float, float, str]] = []
    south: list[tuple[str, str, float, float, str]] = []
    for code, _, (x, y), box in layout:
        name, count = names.get(code, code), number(values.get(code, 0))
        if _fits(name, count, box):
            halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
            parts.append(f'<text {at(x, y - 2)} text-anchor="middle" font-size="12" '
                         f'font-weight="700" fill="#111" {halo}>{escape(name)}</text>'
                         f'<text {at(x, y + 12)} text-anchor="middle" font-size="12" '
                         f'fill="#111" {halo}>{escape(count)}</text>')
        else:
            colour = shade(values.get(code, 0), peak)
            (west if shape.longitude(x) < WEST else south).append((name, count, x, y, colour))
    parts += _side_labels(west, left, top)
    parts += _bottom_labels(south, left, top, shape.height)
    for pin in pins:
        x, y = shape.point(pin.longitude, pin.latitude)
        parts.append(f'<circle cx="{left + x:.1f}" cy="{top + y:.1f}" r="4" fill="{PIN}" '
                     f'stroke="#fff" stroke-width="1.2"><title>{escape(pin.name)}: '
                     f'{escape(number(pin.records))}</title></circle>')
    parts += _legend(words, bool(pins), peak, number, top + shape.height + BOTTOM_ROW + 6)
    parts.append("</svg>")
    return "".join(parts)


Label = tuple[str, str, float, float, str]  # name, count, map x, map y, fill


def _callout(x0: float, y0: float, anchor: str, name: str, count: str, colour: str,
             tx: float, ty: float) -> str:
    """A label outside the map (a swatch of the country's shade, its name and count) with a
    line to the country."""
    swatch = x0 - 12 if anchor == "end" else x0
    text_x = x0 - 16 if anchor == "end" else x0 + 16
    line_x = x0 + 4 if anchor == "end" else x0 + 6
    return (f'<line x1="{line_x:.1f}" y1="{y0 - 4:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" '
            'stroke="#555" stroke-width="0.7"/>'
            f'<circle cx="{tx:.1f}" cy="{ty:.1f}" r="1.8" fill="#333"/>'
            f'<rect x="{swatch:.1f}" y="{y0 - 10:.1f}" width="10" height="10" fill="{colour}" '
            'stroke="#777" stroke-width="0.5"/>'
            f'<text x="{text_x:.1f}" y="{y0:.1f}" text-anchor="{anchor}" font-size="12" '
            f'fill="#111">{escape(name)} <tspan font-weight="700">{escape(count)}</tspan></text>')


def _side_labels(labels: list[Label], left: float, top: float) -> list[str]:
    """The small western countries' labels in a column left of the map, in north-south order
    (so their lines do not cross), centred on their countries' middle."""
    labels = sorted(labels, key=lambda label: label[3])
    if not labels:
        return []
    middle = top + sum(label[3] for label in labels) / len(labels)
    first = max(top + 14, middle - LINE * (len(labels) - 1) / 2)
    return [_callout(SIDE - 4, first + i * LINE, "end", name, count, colour, left + x, top + y)
            for i, (name, count, x, y, colour) in enumerate(labels)]


def _bottom_labels(labels: list[Label], left: float, top: float, map_height: float
                   ) -> list[str]:
    """The small Central Asian countries' labels in a row under the map, west to east."""
    labels = sorted(labels, key=lambda label: label[2])
    step = (WIDTH - left - 20) / max(len(labels), 1)
    step = min(step, 150.0)
    start = left + 60
    return [_callout(start + i * step, top + map_height + 30, "start", name, count, colour,
                     left + x, top + y)
            for i, (name, count, x, y, colour) in enumerate(labels)]


def _legend(words: MapWords, pins: bool, peak: int, number: Callable[[int], str],
            y: float) -> list[str]:
    """The shades and what each stands for, then the pins' dot."""
    parts = [f'<text x="4" y="{y + 12:.1f}" font-size="12" fill="#111">'
             f'{escape(words.legend)}:</text>']
    x = 4 + 7 * len(words.legend) + 14
    for colour, low, high in [(EMPTY, 0, 0), *legend_bins(peak)]:
        text = number(low) if low == high else f"{number(low)}–{number(high)}"
        parts.append(f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="14" height="14" '
                     f'fill="{colour}" stroke="#777" stroke-width="0.5"/>'
                     f'<text x="{x + 18:.1f}" y="{y + 12:.1f}" font-size="12" fill="#111">'
                     f'{escape(text)}</text>')
        x += 18 + 7 * len(text) + 16
    if pins:
        parts.append(f'<circle cx="{x + 6:.1f}" cy="{y + 8:.1f}" r="4" fill="{PIN}" '
                     f'stroke="#fff" stroke-width="1.2"/><text x="{x + 16:.1f}" '
                     f'y="{y + 12:.1f}" font-size="12" fill="#111">{escape(words.pins)}</text>')
    return parts

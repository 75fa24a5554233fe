"""Reports as text: a table for a terminal, markdown, CSV and JSON, from a `Report` (rows, the
columns a table shows, every key of a row). The reports' queries are apart, in
oerhub/publish/report.py and language_report.py."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oerhub.errors import OerhubError


@dataclass(frozen=True)
class Column:
    """A column of the table, markdown and CSV forms (JSON carries every key of a row).

    kind: text, count, share, tops (top values with shares), time (ISO 8601), flag.
    """

    key: str
    header: str
    kind: str = "text"
    max_width: int | None = None  # table only: longer text is cut with "…"
    missing: str = "-"  # what a person reads for no value

    @property
    def right(self) -> bool:
        return self.kind in ("count", "share")


@dataclass
class Report:
    """Rows ready to render, the columns a table shows, every key of a row (CSV and JSON
    carry them all, in this order), an optional totals row, and what to say without rows."""

    rows: list[dict[str, Any]]
    columns: Sequence[Column]
    keys: Sequence[str]
    totals: dict[str, Any] | None = None
    empty: str = "nothing to report"


def percent(share: float) -> str:
    """61%; a share that is not nothing (or not all) never shows as 0% (or 100%)."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _human(value: Any, column: Column) -> str:
    """A cell as a person reads it (table and markdown)."""
    if column.kind == "flag":  # None: a source no longer in the registry
        return {True: "yes", False: "no"}.get(value, "dropped")
    if value in (None, "", []):
        return column.missing
    if column.kind == "count":
        return f"{value:,}"
    if column.kind == "share":
        return percent(value)
    if column.kind == "tops":
        return ", ".join(f"{t['value']} {percent(t['share'])}" for t in value)
    if column.kind == "time":  # 2024-05-01T10:00:00Z -> 2024-05-01 10:00 (UTC)
        return value[:16].replace("T", " ")
    return str(value)


def _raw(value: Any, column: Column) -> str:
    """A cell for CSV: plain numbers, shares with 4 decimals, top values as value=share."""
    if value is None:
        return ""
    if column.kind == "share":
        return f"{value:.4f}"
    if column.kind == "tops":
        return "; ".join(f"{t['value']}={t['share']:.4f}" for t in value)
    if column.kind == "flag":
        return "true" if value else "false"
    return str(value)


def format_table(report: Report) -> str:
    """Aligned columns for a terminal, a rule and the totals row at the bottom."""
    if not report.rows:
        return report.empty
    lines = [[_cut(_human(row.get(c.key), c), c.max_width) for c in report.columns]
             for row in report.rows]
    totals = [_cut(_human(report.totals.get(c.key), c), c.max_width) if c.key in report.totals
              else "" for c in report.columns] if report.totals else None
    headers = [c.header for c in report.columns]
    widths = [max(len(cell) for cell in column)
              for column in zip(headers, *lines, *([totals] if totals else []))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(w) if c.right else cell.ljust(w)
                         for cell, w, c in zip(cells, widths, report.columns)).rstrip()

    out = [line(headers), *(line(cells) for cells in lines)]
    if totals:
        out += ["-" * len(max(out, key=len)), line(totals)]
    return "\n".join(out)


def _cut(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[:width - 1] + "…"


def format_markdown(report: Report) -> str:
    """A GitHub table (header, separator with numbers right-aligned), totals row in bold."""
    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    out = ["| " + " | ".join(c.header for c in report.columns) + " |",
           "|" + "|".join("---:" if c.right else "---" for c in report.columns) + "|"]
    for row in report.rows:
        out.append("| " + " | ".join(cell(_human(row.get(c.key), c))
                                     for c in report.columns) + " |")
    if report.totals and report.rows:
        out.append("| " + " | ".join(
            f"**{cell(_human(report.totals[c.key], c))}**" if c.key in report.totals else ""
            for c in report.columns) + " |")
    return "\n".join(out)


def format_csv(report: Report) -> str:
    """Plain CSV: a header row of keys, every key of the rows, raw figures; no totals row."""
    buffer = io.StringIO()
    columns = _all_columns(report)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in report.rows:
        writer.writerow([_raw(row.get(c.key), c) for c in columns])
    return buffer.getvalue().rstrip("\n")


def _all_columns(report: Report) -> list[Column]:
    """Every key of a row, typed by the table's columns (or by its name)."""
    shown = {c.key: c for c in report.columns}
    return [shown.get(key) or Column(key, key, _kind_of(key)) for key in report.keys]


def _kind_of(key: str) -> str:
    if key.endswith(("_share", "_filled")):
        return "share"
    if key in ("cis_baltic", "in_registry", "enabled"):
        return "flag"
    return "text"


def format_json(report: Report) -> str:
    """The rows with every key, shares as floats 0..1 (null without records); no totals."""
    return json.dumps(report.rows, ensure_ascii=False, indent=2)


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json,
              "markdown": format_markdown}


def render(report: Report, fmt: str = "table") -> str:
    """The report in one of FORMATS."""
    if fmt not in FORMATTERS:
        raise OerhubError(f"unknown format {fmt!r} (known: {', '.join(FORMATTERS)})")
    return FORMATTERS[fmt](report)

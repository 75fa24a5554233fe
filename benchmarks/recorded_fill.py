"""Fill rates of the normaliser over every real recorded OAI-PMH answer.

Reads each ListRecords/GetRecord answer in ../shared/fixtures/oai-recorded/ the way the
harvester does (`harvesters.oai_client.read_page`), normalises its live records with
`oerhub.normalize.normalize`, and prints, per origin repository and in total, the share of
records with each field filled. The origin server and metadata prefix of each file come from
the fixtures' README table (a token page takes the prefix of its server's first page).

    python benchmarks/recorded_fill.py            # a table
    python benchmarks/recorded_fill.py --json     # the same figures as JSON

To measure another field, add a (name, test) pair to FIELDS.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(PROJECT))

from harvesters.oai_client import read_page  # noqa: E402
from oerhub.errors import OerhubError  # noqa: E402
from oerhub.models import Record  # noqa: E402
from oerhub.normalize import normalize  # noqa: E402

RECORDED = PROJECT.parent / "shared" / "fixtures" / "oai-recorded"
if not RECORDED.is_dir():  # a worktree beside /work/shared
    RECORDED = Path("/work/shared/fixtures/oai-recorded")

# (column, is the field filled in this record?) — extend here.
FIELDS: list[tuple[str, Callable[[Record], bool]]] = [
    ("license", lambda r: r.license is not None),
    ("resource_type", lambda r: r.resource_type is not None),
    ("access", lambda r: r.access is not None),
    ("date", lambda r: r.date is not None),
    ("subjects", lambda r: bool(r.subjects)),
    ("subjects_2plus", lambda r: len(r.subjects) >= 2),  # a joined list split shows here
]


@dataclass
class Fill:
    """Records counted and, per field, how many had it filled."""

    records: int = 0
    filled: dict[str, int] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        self.records += 1
        for name, test in FIELDS:
            self.filled[name] = self.filled.get(name, 0) + bool(test(record))

    def shares(self) -> dict[str, float]:
        return {name: round(self.filled.get(name, 0) / self.records, 3) if self.records else 0.0
                for name, _ in FIELDS}


def readme_rows(readme: Path) -> list[tuple[str, str, str]]:
    """(file, origin server, metadata prefix) of every record-bearing file in the README."""
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[0].startswith("`") or cells[2] not in (
                "ListRecords", "GetRecord"):
            continue
        rows.append((cells[0].strip("`"), cells[1], cells[4]))
    prefixes = {origin: prefix for _, origin, prefix in rows
                if prefix not in ("(token)", "-", "XXX")}
    return [(name, origin, prefixes.get(origin, "oai_dc") if prefix in ("(token)", "-")
             else prefix) for name, origin, prefix in rows]


def measure(recorded: Path = RECORDED) -> dict[str, Fill]:
    """Fill per origin server, over the live records of every recorded answer."""
    fills: dict[str, Fill] = {}
    for name, origin, prefix in readme_rows(recorded / "README.md"):
        try:
            page = read_page((recorded / name).read_bytes(), name, prefix, origin)
        except OerhubError:
            continue  # not OAI-PMH at all: nothing to normalise
        for raws, elements in page.batches:
            for raw, element in zip(raws, elements, strict=True):
                if raw.deleted or element is None:
                    continue
                fills.setdefault(f"{origin} ({prefix})", Fill()).add(
                    normalize(raw, None, element))
    return fills


def report(fills: dict[str, Fill]) -> dict[str, object]:
    total = Fill()
    for fill in fills.values():
        total.records += fill.records
        for name, count in fill.filled.items():
            total.filled[name] = total.filled.get(name, 0) + count
    return {"fields": [name for name, _ in FIELDS],
            "repositories": {origin: {"records": f.records, **f.shares()}
                             for origin, f in sorted(fills.items())},
            "total": {"records": total.records, **total.shares()}}


def table(result: dict[str, object]) -> str:
    fields: list[str] = result["fields"]  # type: ignore[assignment]
    rows: dict[str, dict[str, float]] = {**result["repositories"],  # type: ignore[dict-item]
                                         "TOTAL": result["total"]}
    width = max(len(k) for k in rows)
    lines = [f"{'repository':<{width}} {'records':>7} " + " ".join(f"{f:>13}" for f in fields)]
    for origin, row in rows.items():
        lines.append(f"{origin:<{width}} {row['records']:>7} "
                     + " ".join(f"{row[f]:>13.1%}" for f in fields))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--recorded", type=Path, default=RECORDED)
    args = parser.parse_args(argv)
    result = report(measure(args.recorded))
    print(json.dumps(result, indent=1, ensure_ascii=False) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The analytical survey at scale: `oerhub report survey` on a large catalogue.

Builds (once, cached in --dir, shared with publishing.py) a catalogue of --records records
through the real store, then times the whole command as an analyst runs it — start-up, the
queries, the HTML page with its fonts, the A4 PDF and the CSVs — for the region and for one
country, and the page and CSVs alone (--no-pdf) to show what the PDF costs.
Run: .venv/bin/python benchmarks/survey.py [--records 1000000] [--dir /tmp/oerhub-bench]
Goal at a million records: the survey of the region written in under 60 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, Result  # noqa: E402
from publishing import catalogue_of  # noqa: E402

from oerhub.catalogue import Catalogue

PROJECT = Path(__file__).resolve().parents[1]


def survey_seconds(db: Path, *extra: str) -> tuple[float, int]:
    """Seconds of one `oerhub report survey` run, and the pages of its PDF (0 without one)."""
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "oerhub.cli", "report", "survey", "--db", str(db),
                        "--config", str(PROJECT / "config" / "sources.toml"), "--out", out,
                        *extra], check=True, capture_output=True)
        took = time.monotonic() - started
        pdf = Path(out) / "survey.pdf"
        pages = 0
        if pdf.exists():
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
            pages = next((int(line.split()[-1]) for line in info.stdout.splitlines()
                          if line.startswith("Pages:")), 0)
    return took, pages


def run(records: int = 1_000_000, directory: str = "/tmp/oerhub-bench") -> Result:
    result = Result("survey", f"The analytical survey at scale: {records:,} records")
    db = catalogue_of(records, directory)
    with Catalogue(db) as catalogue:
        live = catalogue.count("records", "deleted = 0")
    result.say(f"catalogue: {live:,} live records, {db.stat().st_size / 1e6:,.0f} MB")
    result.say("| survey | time | PDF pages |")
    result.say("|---|---:|---:|")
    region, pages = survey_seconds(db)
    result.say(f"| region, English (HTML, PDF, CSVs) | {region:.1f} s | {pages} |")
    quick, _ = survey_seconds(db, "--no-pdf")
    result.say(f"| region, English, without the PDF | {quick:.1f} s | - |")
    russian, pages_ru = survey_seconds(db, "--lang", "ru")
    result.say(f"| region, Russian | {russian:.1f} s | {pages_ru} |")
    country, pages_ua = survey_seconds(db, "--country", "UA", "--lang", "uk")
    result.say(f"| Ukraine, Ukrainian | {country:.1f} s | {pages_ua} |")
    result.goals.append(Goal("survey of the region written", max(region, russian), 60, " s",
                             at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/oerhub-bench")
    args = parser.parse_args()
    result = run(args.records, args.dir)
    for goal in result.goals:
        print(goal.describe())


if __name__ == "__main__":
    main()

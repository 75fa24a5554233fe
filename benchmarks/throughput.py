"""Harvest throughput: oerhub against the baseline a competent user would write and the floor.

A server on 127.0.0.1 answers from memory with pre-rendered oai_dc pages (500 records each),
so the clients are what is timed. Contenders, run in alternation, each into a fresh file:
  oerhub    `oerhub harvest` with everything on (normalisation, raw XML kept, FTS index);
  baseline  Sickle iterating ListRecords + sqlite-utils insert_all in one transaction;
  floor     requests + lxml + executemany of the raw Dublin Core fields, no normalisation.
Run: .venv/bin/python benchmarks/throughput.py [--records 100000] [--repeat 3]
(or through benchmarks/run_all.py, with the others).
Goal: oerhub >= 0.6 x the floor's records per second and >= 1.3 x the baseline's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PAGE,
    Goal,
    PageServer,
    Result,
    median_time,
    render_pages,
    run_child,
    run_harvest,  # noqa: E402
)

BASELINE = textwrap.dedent("""
    import json, sys, sqlite_utils
    from sickle import Sickle
    db = sqlite_utils.Database(sys.argv[2])
    def rows():
        for r in Sickle(sys.argv[1]).ListRecords(metadataPrefix="oai_dc"):
            m = r.metadata
            yield {"identifier": r.header.identifier, "datestamp": r.header.datestamp,
                   "title": (m.get("title") or [None])[0], "language": (m.get("language") or [None])[0],
                   "rights": json.dumps(m.get("rights", [])), "creators": json.dumps(m.get("creator", [])),
                   "subjects": json.dumps(m.get("subject", [])), "raw": r.raw}
    with db.conn:
        db["records"].insert_all(rows(), pk="identifier", batch_size=500)
""")

FLOOR = textwrap.dedent("""
    import sqlite3, sys, requests
    from lxml import etree
    OAI, DC = "{http://www.openarchives.org/OAI/2.0/}", "{http://purl.org/dc/elements/1.1/}"
    conn = sqlite3.connect(sys.argv[2])
    conn.execute("CREATE TABLE records (identifier TEXT PRIMARY KEY, datestamp TEXT, title TEXT, language TEXT, rights TEXT)")
    params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    session = requests.Session()
    while True:
        root = etree.fromstring(session.get(sys.argv[1], params=params).content)
        rows = [(r.findtext(f"{OAI}header/{OAI}identifier"), r.findtext(f"{OAI}header/{OAI}datestamp"),
                 r.findtext(f".//{DC}title"), r.findtext(f".//{DC}language"), r.findtext(f".//{DC}rights"))
                for r in root.iter(f"{OAI}record")]
        conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?)", rows)
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            break
        params = {"verb": "ListRecords", "resumptionToken": token}
    conn.commit()
""")



def run(records: int = 100_000, repeat: int = 3) -> Result:
    result = Result("throughput", f"Harvest throughput: {records:,} oai_dc records, {PAGE} a page")
    pages = render_pages(records)
    with PageServer(pages) as server:
        run_seconds: list[float] = []

        def oerhub() -> float:
            with tempfile.TemporaryDirectory() as tmp:
                run = run_harvest(Path(tmp), server.url)
            run_seconds.append(run.run_seconds)
            return run.seconds

        def script(code: str) -> float:
            with tempfile.TemporaryDirectory() as tmp:
                return run_child([sys.executable, "-c", code, server.url,
                                  str(Path(tmp) / "out.db")]).seconds

        contenders = {
            "oerhub (normalisation, raw XML kept, FTS index)": oerhub,
            "baseline: Sickle + sqlite-utils insert_all": lambda: script(BASELINE),
            "floor: requests + lxml + executemany of raw DC fields": lambda: script(FLOOR),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeat):  # in alternation, so a busy moment hurts all alike
            for name, action in contenders.items():
                times[name].append(median_time(action, 1)[0])
    size = sum(len(p) for p in pages) / 1e6
    result.say(f"{len(pages)} pages ({size:.0f} MB), median of {repeat} runs in alternation, "
               "process start-up included")
    result.say("| contender | time | records/s |")
    result.say("|---|---:|---:|")
    rate = {}
    for name, values in times.items():
        median = sorted(values)[len(values) // 2]
        rate[name] = records / median
        result.say(f"| {name} | {median:.2f} s | {rate[name]:,.0f} |")
    oer, base, floor = rate.values()
    inside = sorted(run_seconds)[len(run_seconds) // 2]
    result.say(f"of which oerhub's harvest run itself (harvest_runs.seconds: no start-up, no "
               f"enrichment steps after it): {inside:.2f} s = {records / inside:,.0f} records/s, "
               f"{records / inside / floor:.2f} x the floor, {records / inside / base:.2f} x the "
               "baseline")
    result.goals.append(Goal("oerhub / floor (records/s)", oer / floor, 0.6))
    result.goals.append(Goal("oerhub / baseline (records/s)", oer / base, 1.3))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = run(args.records, args.repeat)
    for goal in result.goals:
        print(goal.describe())


if __name__ == "__main__":
    main()

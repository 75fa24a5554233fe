"""Harvest throughput: oerhub against the baseline a competent user would write and the floor.

A server on 127.0.0.1 answers from memory with pre-rendered oai_dc pages (500 records each),
so the clients are what is timed. Contenders, run in alternation, each into a fresh file:
  oerhub    `oerhub harvest` with everything on (normalisation, raw XML kept, FTS index);
  baseline  Sickle iterating ListRecords + sqlite-utils insert_all in one transaction;
  floor     requests + lxml + executemany of the raw Dublin Core fields, no normalisation.
Run: .venv/bin/python benchmarks/throughput.py [--records 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from oerhub.samples import LANGUAGE_SPELLINGS, make_records

PAGE = 500
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate><request>http://127.0.0.1/oai</request>")
IDENTIFY = (HEAD + "<Identify><repositoryName>bench</repositoryName><baseURL>http://127.0.0.1/oai"
            "</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>b@example.org"
            "</adminEmail><earliestDatestamp>2024-01-01T00:00:00Z</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ"
            "</granularity></Identify></OAI-PMH>").encode()


def render_pages(total: int) -> list[bytes]:
    samples = make_records("bench", 1000, list(LANGUAGE_SPELLINGS))
    pages = []
    for start in range(0, total, PAGE):
        parts = [HEAD, "<ListRecords>"]
        for n in range(start, min(start + PAGE, total)):
            fields = samples[n % len(samples)].fields
            dc = "".join(f"<dc:{k}>{escape(v)}</dc:{k}>" for k, values in fields.items()
                         if k != "lom_language" for v in values)
            parts.append(f"<record><header><identifier>oai:bench:{n}</identifier><datestamp>"
                         f"2024-03-01T00:00:00Z</datestamp></header><metadata><oai_dc:dc "
                         f'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                         f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc>'
                         "</metadata></record>")
        if start + PAGE < total:
            parts.append(f'<resumptionToken cursor="{start}">{start + PAGE}</resumptionToken>')
        parts.append("</ListRecords></OAI-PMH>")
        pages.append("".join(parts).encode())
    return pages


def serve(pages: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if params.get("verb") == "Identify":
                body = IDENTIFY
            else:
                body = pages[int(params.get("resumptionToken", "0")) // PAGE]
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


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


def run_oerhub(url: str, directory: Path) -> None:
    (directory / "sources.toml").write_text(
        '[harvest]\ncontact = "mailto:bench@example.org"\nretries = 0\n[[sources]]\n'
        f'id = "ua-bench"\nname = "bench"\ncountry = "UA"\nprotocol = "oai-pmh"\nurl = "{url}"\n'
        'window = "none"\n')
    env = {**os.environ, "OERHUB_CONFIG": str(directory / "sources.toml"),
           "OERHUB_DB": str(directory / "oerhub.db")}
    subprocess.run([sys.executable, "-m", "oerhub.cli", "harvest", "--quiet"], env=env,
                   check=True)


def run_script(script: str, url: str, directory: Path) -> None:
    subprocess.run([sys.executable, "-c", script, url, str(directory / "out.db")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = render_pages(args.records)
    httpd = serve(pages)
    url = f"http://127.0.0.1:{httpd.server_port}/oai"
    contenders = {
        "oerhub": lambda d: run_oerhub(url, d),
        "baseline (Sickle + sqlite-utils)": lambda d: run_script(BASELINE, url, d),
        "floor (requests + lxml + executemany)": lambda d: run_script(FLOOR, url, d),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeat):
        for name, run in contenders.items():
            with tempfile.TemporaryDirectory() as tmp:
                started = time.monotonic()
                run(Path(tmp))
                times[name].append(time.monotonic() - started)
    httpd.shutdown()
    size = sum(len(p) for p in pages) / 1e6
    print(f"{args.records:,} oai_dc records, {len(pages)} pages of {PAGE} ({size:.0f} MB), "
          f"median of {args.repeat} runs, process start-up included")
    rate = {name: args.records / statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"  {name:<40} {statistics.median(t):7.2f} s  {rate[name]:>9,.0f} records/s")
    oer, base, floor = rate["oerhub"], rate["baseline (Sickle + sqlite-utils)"], \
        rate["floor (requests + lxml + executemany)"]
    print(f"  oerhub / floor    = {oer / floor:.2f}  (goal >= 0.6)")
    print(f"  oerhub / baseline = {oer / base:.2f}  (goal >= 1.3)")


if __name__ == "__main__":
    main()

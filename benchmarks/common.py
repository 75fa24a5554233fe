"""What the benchmarks share: pre-rendered OAI-PMH pages served from memory, running
`oerhub harvest` in a child process (wall time and peak RSS), and goals with pass/fail.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(PROJECT))

from oerhub.demo.samples import LANGUAGE_SPELLINGS, make_records  # noqa: E402

PAGE = 500
DATESTAMP = "2024-03-01T00:00:00Z"  # every record's; the server's clock is later (RESPONSE_DATE)
RESPONSE_DATE = "2026-01-01T00:00:00Z"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f"<responseDate>{RESPONSE_DATE}</responseDate><request>http://127.0.0.1/oai</request>")
IDENTIFY = (HEAD + "<Identify><repositoryName>bench</repositoryName><baseURL>http://127.0.0.1/oai"
            "</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>b@example.org"
            "</adminEmail><earliestDatestamp>2024-01-01T00:00:00Z</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ"
            "</granularity></Identify></OAI-PMH>").encode()
NO_RECORDS = (HEAD + '<request verb="ListRecords">http://127.0.0.1/oai</request>'
              '<error code="noRecordsMatch">nothing changed since then</error></OAI-PMH>'
              ).encode()


def render_pages(total: int, page: int = PAGE) -> list[bytes]:
    """`total` oai_dc records (the sample spellings of every country), `page` per answer."""
    samples = make_records("bench", 1000, list(LANGUAGE_SPELLINGS))
    pages = []
    for start in range(0, total, page):
        parts = [HEAD, "<ListRecords>"]
        for n in range(start, min(start + page, total)):
            fields = samples[n % len(samples)].fields
            dc = "".join(f"<dc:{k}>{escape(v)}</dc:{k}>" for k, values in fields.items()
                         if k != "lom_language" for v in values)
            parts.append(f"<record><header><identifier>oai:bench:{n}</identifier><datestamp>"
                         f"{DATESTAMP}</datestamp></header><metadata><oai_dc:dc "
                         f'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                         f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc>'
                         "</metadata></record>")
        if start + page < total:
            parts.append(f'<resumptionToken cursor="{start}">{start + page}</resumptionToken>')
        parts.append("</ListRecords></OAI-PMH>")
        pages.append("".join(parts).encode())
    return pages


class PageServer:
    """An OAI-PMH server on 127.0.0.1 answering from pre-rendered pages.

    `delay` seconds per answer (a slow repository); a `from` later than every record's
    datestamp gets noRecordsMatch, as an unchanged repository answers an incremental harvest.
    `requests` counts the verbs asked.
    """

    def __init__(self, pages: list[bytes], page: int = PAGE, delay: float = 0.0) -> None:
        self.pages, self.page, self.delay = pages, page, delay
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers

            def do_GET(self) -> None:  # noqa: N802
                params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                verb = params.get("verb", "")
                server.requests[verb] += 1
                if server.delay:
                    time.sleep(server.delay)
                if verb == "Identify":
                    body = IDENTIFY
                elif params.get("from", "") > DATESTAMP:
                    body = NO_RECORDS
                else:
                    body = server.pages[int(params.get("resumptionToken", "0")) // server.page]
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/oai"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Set by run_all.py --without-enrichment: time `oerhub harvest` without the enrichment steps
# it runs after harvesting (oerhub/enrich/), to see the harvest path on its own.
WITHOUT_ENRICHMENT = False


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes, the child's own ru_maxrss
    # bytes: the largest sum of PSS over the command and every process under it (its worker
    # processes), sampled every 50 ms; 0 unless asked for
    peak_tree: int = 0
    # What the catalogue says the harvest runs themselves took (harvest_runs.seconds of the
    # latest run of each source): the command less start-up and the enrichment steps after it.
    run_seconds: float = 0.0


def run_harvest(directory: Path, url: str, *extra: str, source_id: str = "ua-bench",
                tree: bool = False) -> Run:
    """`oerhub harvest` of one source into directory/oerhub.db, in a child process."""
    config = directory / "sources.toml"
    if not config.exists():
        config.write_text(
            '[harvest]\ncontact = "mailto:bench@example.org"\nretries = 0\n[[sources]]\n'
            f'id = "{source_id}"\nname = "bench"\ncountry = "UA"\nprotocol = "oai-pmh"\n'
            f'url = "{url}"\nwindow = "none"\n')
    db = directory / "oerhub.db"
    env = {**os.environ, "OERHUB_CONFIG": str(config), "OERHUB_DB": str(db)}
    command = [sys.executable, "-m", "oerhub.cli"]
    if WITHOUT_ENRICHMENT:  # the harvest path alone: the steps after it replaced by nothing
        command = [sys.executable, "-c", "import oerhub.harvest.run as h; h.enrich = lambda *a, **k: "
                   "[]; from oerhub.cli import main; main()"]
    run = run_child([*command, "harvest", "--quiet", *extra], env, tree=tree)
    conn = sqlite3.connect(db)
    try:
        run.run_seconds = conn.execute(
            "SELECT COALESCE(SUM(seconds), 0) FROM harvest_runs WHERE id IN "
            "(SELECT MAX(id) FROM harvest_runs GROUP BY source_id)").fetchone()[0]
    finally:
        conn.close()
    return run


# Runs the command in a grandchild and reports its peak RSS. Measured this way because a child
# started straight from the benchmark inherits the benchmark's own peak: subprocess starts it
# with vfork, and exec() folds the old address space's high-water mark into ru_maxrss, so a
# harvest started after 100 MB of pages were rendered was charged those 100 MB. The launcher
# is a small fresh process; what it forks starts from its size, not the benchmark's.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_child(command: list[str], env: dict[str, str] | None = None,
              tree: bool = False) -> Run:
    """Run a command; its wall time and its peak resident memory (ru_maxrss from wait4, not
    polling: the largest of the command and the processes it waited for). With `tree`, also
    the peak of the whole process tree's proportional set size (shared pages counted once),
    sampled: what the command and its worker processes hold together."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", LAUNCHER, *command], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    sampler = None
    if tree:
        sampler = threading.Thread(target=_sample_tree, args=(process, peak), daemon=True)
        sampler.start()
    out, err = process.communicate()
    seconds = time.monotonic() - started
    if sampler is not None:
        sampler.join()
    try:
        code, maxrss = (int(n) for n in out.split())
    except ValueError:
        code, maxrss = process.returncode or 1, 0
    if code != 0:
        raise RuntimeError(f"{' '.join(command[-3:])} failed ({code}): "
                           f"{err.decode(errors='replace')[-2000:]}")
    return Run(seconds, maxrss * 1024, peak_tree=peak[0])


def _sample_tree(process: subprocess.Popen[bytes], peak: list[int]) -> None:
    """Every 50 ms, the PSS of every process under `process` (Linux /proc), summed."""
    while process.poll() is None:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        under = {process.pid}
        grew = True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in under} - under
            grew = bool(more)
            under |= more
        under.discard(process.pid)  # the launcher itself is not the command
        total = 0
        for pid in under:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            except OSError:
                continue
        peak[0] = max(peak[0], total)
        time.sleep(0.05)


@dataclass
class Goal:
    name: str
    measured: float
    target: float
    unit: str = ""
    at_least: bool = True  # measured >= target passes; else measured <= target

    @property
    def passed(self) -> bool:
        return self.measured >= self.target if self.at_least else self.measured <= self.target

    def describe(self) -> str:
        sign = ">=" if self.at_least else "<="
        margin = self.measured / self.target if self.target else float("inf")
        verdict = "PASS" if self.passed else "FAIL"
        return (f"{verdict}  {self.name}: {_fmt(self.measured)}{self.unit} (goal {sign} "
                f"{_fmt(self.target)}{self.unit}; {margin:.2f} x the goal)")


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


@dataclass
class Result:
    """What one benchmark measured: lines of figures (Markdown table rows welcome) and goals."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def say(self, line: str) -> None:
        print(f"  {line}", flush=True)
        self.lines.append(line)


def median_time(action: Callable[[], float], repeat: int) -> tuple[float, list[float]]:
    times = [action() for _ in range(repeat)]
    return statistics.median(times), times

"""Peak memory of `oerhub harvest` under a 1 MB gzip bomb, against a normal page as baseline.

A loopback OAI-PMH server answers Identify normally and ListRecords either with a normal page
of 20 records or with a gzip bomb: about 1 MB on the wire (Content-Encoding: gzip) that
inflates to 1 GiB of zeros. `oerhub harvest` runs in a child process with the registry's
defaults (max_body_mb = 128); its own peak RSS is read from wait4 (ru_maxrss), so nothing is
missed between two polls. Issue 12 measured 2.1 GB for the same bomb before answers were
inflated in a stream with a cap.

Run: .venv/bin/python benchmarks/gzip_bomb.py [--inflated-mb 1024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROJECT = Path(__file__).resolve().parents[1]
NS = "http://www.openarchives.org/OAI/2.0/"
HEAD = (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{NS}">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate><request>http://127.0.0.1/oai</request>")
IDENTIFY = (HEAD + "<Identify><repositoryName>bomb</repositoryName><baseURL>http://127.0.0.1/oai"
            "</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>b@example.org"
            "</adminEmail><earliestDatestamp>2024-01-01</earliestDatestamp><deletedRecord>no"
            "</deletedRecord><granularity>YYYY-MM-DD</granularity></Identify></OAI-PMH>").encode()


def normal_page(records: int = 20) -> bytes:
    items = "".join(
        f"<record><header><identifier>oai:bench:{n}</identifier><datestamp>2024-03-01"
        "</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/"
        "OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Посібник "
        f"{n}</dc:title><dc:language>uk</dc:language></oai_dc:dc></metadata></record>"
        for n in range(records))
    return (HEAD + f"<ListRecords>{items}</ListRecords></OAI-PMH>").encode()


def gzip_bomb(inflated_mb: int) -> bytes:
    """gzip of `inflated_mb` MiB of zeros, made a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    parts = [packer.compress(zeros) for _ in range(inflated_mb)]
    return b"".join(parts) + packer.flush()


class Server:
    """Identify, and ListRecords answered with `body` (gzip-encoded when `gzipped`)."""

    def __init__(self, body: bytes, gzipped: bool) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                verb = parse_qs(urlsplit(self.path).query).get("verb", [""])[0]
                answer = IDENTIFY if verb == "Identify" else body
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                if verb != "Identify" and gzipped:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/oai"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def harvest(url: str) -> tuple[int, int, float, str]:
    """(exit code, peak RSS in bytes, seconds, last line of stderr) of `oerhub harvest`."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sources.toml").write_text(
            '[harvest]\ncontact = "mailto:bench@example.org"\nretries = 0\n\n'
            f'[[sources]]\nid = "ua-bench"\nname = "bench"\ncountry = "UA"\n'
            f'protocol = "oai-pmh"\nurl = "{url}"\nwindow = "none"\n', encoding="utf-8")
        env = {**os.environ, "OERHUB_CONFIG": str(Path(tmp) / "sources.toml"),
               "OERHUB_DB": str(Path(tmp) / "oerhub.db"),
               "PYTHONPATH": str(PROJECT)}
        started = time.monotonic()
        with open(Path(tmp) / "stderr", "w+") as err:
            proc = subprocess.Popen([sys.executable, "-m", "oerhub.cli", "harvest", "--quiet"],
                                    cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            err.seek(0)
            lines = [line for line in err.read().splitlines() if line.strip()]
        return (os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024,
                time.monotonic() - started, lines[-1] if lines else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated-mb", type=int, default=1024,
                        help="what the bomb inflates to, in MiB (default 1024: a 1 MB bomb)")
    args = parser.parse_args()
    bomb = gzip_bomb(args.inflated_mb)
    print("| answer | on the wire | inflated | exit | peak RSS, harvest process | time |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, body, gzipped, inflated in (
            ("normal page (baseline)", normal_page(), False, len(normal_page())),
            ("gzip bomb", bomb, True, args.inflated_mb << 20)):
        server = Server(body, gzipped)
        try:
            code, peak, seconds, said = harvest(server.url)
        finally:
            server.stop()
        print(f"| {name} | {len(body) / 2**20:.2f} MiB | {inflated / 2**20:.0f} MiB | {code} "
              f"| {peak / 2**20:.0f} MiB | {seconds:.1f} s |")
        if code:
            print(f"|  | {said[:150]} | | | | |", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Hostile visitors: does `oerhub serve` keep answering its home page while 10 requests try to
exhaust it?

Serves a catalogue built through the real store (--records, kept in --dir) with `oerhub serve`
in a child process (uvicorn on 127.0.0.1, the site in config/), then, in the same run:
  1. baseline: --pages home-page requests one after another, nothing else running;
  2. under attack: the same while 10 clients loop on hostile requests:
     4 x `select hex(zeroblob(499999999))` (1 GB in one function call),
     3 x 1,000 rows of hex(zeroblob(500000)) (1 GB over the row limit's 1,000 rows),
     3 x POST /oai with a 100 MB body (sent in 1 MB chunks until the server answers).
Prints the home page's latency (median and max) in both, what the hostile requests got, and
the server's peak resident memory (VmHWM) after each phase.
Goals: the home page under 500 ms (max) while attacked; the server's peak under 500 MB.
Run: .venv/bin/python benchmarks/hostile_visitors.py [--records 20000] [--pages 40] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, Result  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
ZEROBLOB = "select hex(zeroblob(499999999)) as big"
HUGE_RESULT = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
               "select i, hex(zeroblob(500000)) as blob from n")
POST_BYTES = 100_000_000
CHUNK = 1 << 20


def catalogue(directory: Path, records: int) -> Path:
    """A catalogue of `records` records, built once (by benchmarks/publishing.py's builder)."""
    db = directory / f"hostile-{records}.db"
    if not db.exists():
        partial = directory / f".hostile-{records}.partial.db"
        for leftover in directory.glob(partial.name + "*"):
            leftover.unlink()
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                        f"sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                        "from publishing import build; "
                        f"build(Path({str(partial)!r}), {records})"], check=True, cwd=PROJECT)
        partial.rename(db)
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "oerhub.cli", "serve", "--db", str(db),
                                "--port", str(port)], cwd=PROJECT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(port, "/")
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("oerhub serve did not answer within 60 s")


def get(port: int, path: str, timeout: float = 60) -> tuple[int, int]:
    """GET the path, read the whole answer as a browser would: (status, bytes)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, len(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read())


def post_100_mb(port: int) -> tuple[int, int]:
    """POST /oai declaring 100 MB and sending it until the server answers or hangs up."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"POST /oai HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/x-www-form-urlencoded\r\n"
                     + f"Content-Length: {POST_BYTES}\r\n\r\n".encode() + b"verb=Identify&x=")
        chunk, sent, answer = memoryview(b"y" * CHUNK), 0, b""
        try:
            while not answer:
                readable, writable, _ = select.select([sock], [sock] if sent < POST_BYTES
                                                      else [], [], 60)
                if readable:
                    answer = sock.recv(4096)
                    if not answer:
                        break  # closed without a word
                elif writable:
                    sent += sock.send(chunk[: POST_BYTES - sent])
                else:
                    break  # 60 s without anything
        except OSError:
            pass  # the server hung up on the body
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def home_page_latencies(port: int, pages: int) -> list[float]:
    times = []
    for _ in range(pages):
        started = time.perf_counter()
        status, _ = get(port, "/")
        times.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"the home page answered {status}")
        time.sleep(0.05)
    return times


KINDS = ["zeroblob"] * 4 + ["huge-result"] * 3 + ["post"] * 3


def attack(port: int, stop: threading.Event, kind: str, seen: Counter[str],
           lock: threading.Lock, every: float) -> None:
    """One hostile client: its request again and again until `stop`, one every `every`
    seconds (0: back to back)."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            if kind == "post":
                status, size = post_100_mb(port)
            else:
                sql = ZEROBLOB if kind == "zeroblob" else HUGE_RESULT
                status, size = get(port, "/oerhub.json?" + urllib.parse.urlencode({"sql": sql}))
            outcome = f"HTTP {status}"
        except OSError as exc:
            outcome, size = type(exc).__name__, 0
        with lock:
            seen[f"{kind}: {outcome}"] += 1
            seen[f"{kind} bytes"] = max(seen[f"{kind} bytes"], size)
            seen[f"{kind} ms"] = max(seen[f"{kind} ms"],
                                     int((time.perf_counter() - started) * 1000))
        stop.wait(max(0.0, every - (time.perf_counter() - started)))


def attackers(port: int, every: float, kinds: list[str]) -> None:
    """The 10 hostile clients, in this process (started by `run` as a child, so that their
    threads do not share the measuring client's interpreter): until stdin closes, then their
    figures as JSON on stdout."""
    stop, lock, seen = threading.Event(), threading.Lock(), Counter[str]()
    threads = [threading.Thread(target=attack, args=(port, stop, kind, seen, lock, every),
                                daemon=True) for kind in KINDS if kind in kinds]
    for thread in threads:
        thread.start()
    sys.stdin.read()
    stop.set()
    for thread in threads:
        thread.join(120)
    print(json.dumps(seen))


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def describe(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1000:,.0f} ms, "
            f"max {max(times) * 1000:,.0f} ms over {len(times)} requests")


def run(records: int = 20_000, directory: str = "/tmp/oerhub-bench-hostile",
        pages: int = 40, kinds: tuple[str, ...] = ("zeroblob", "huge-result", "post")) -> Result:
    result = Result("hostile_visitors", "Hostile visitors: the home page while 10 requests "
                    "try to exhaust the server")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    db = catalogue(folder, records)
    port = free_port()
    server = start_server(db, port)
    try:
        get(port, "/")  # warm: templates compiled, schema read
        idle = home_page_latencies(port, pages)
        idle_peak = peak_rss(server.pid)
        result.say(f"| home page, idle | {describe(idle)} | server peak {idle_peak >> 20} MB |")

        clients = sum(kind in kinds for kind in KINDS)
        for every, label in ((1.0, f"{clients} hostile requests at once, every second"),
                             (0.0, f"{clients} hostile requests back to back (a flood)")):
            cpu = cpu_seconds(server.pid)
            started = time.monotonic()
            hostile = subprocess.Popen([sys.executable, __file__, "--attack", str(port),
                                        "--every", str(every), "--kinds", ",".join(kinds)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            time.sleep(1.0)  # every attacker under way
            loaded = home_page_latencies(port, pages)
            out, _ = hostile.communicate("", timeout=180)
            busy = (cpu_seconds(server.pid) - cpu) / (time.monotonic() - started)
            seen = Counter[str](json.loads(out))
            peak = peak_rss(server.pid)
            result.say(f"| home page, {label} | {describe(loaded)} | server peak {peak >> 20} "
                       f"MB, server CPU {busy:.0%} of a core |")
            for kind in kinds:
                answers = ", ".join(f"{n} x {key.split(': ', 1)[1]}"
                                    for key, n in sorted(seen.items())
                                    if key.startswith(f"{kind}: "))
                unit = "sent" if kind == "post" else "received"
                result.say(f"|   {kind} | {answers}; at most {seen[f'{kind} bytes']:,} bytes "
                           f"{unit}, slowest {seen[f'{kind} ms']:,} ms |")
            result.goals.append(Goal(f"home page max, {label}", max(loaded) * 1000, 500,
                                     " ms", at_least=False))
            loaded_peak = peak
        if server.poll() is not None:
            raise SystemExit(f"oerhub serve died (exit {server.returncode})")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    result.goals.append(Goal("server peak memory", loaded_peak / (1 << 20), 500, " MB",
                             at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--dir", default="/tmp/oerhub-bench-hostile")
    parser.add_argument("--pages", type=int, default=40, help="home-page requests per phase")
    parser.add_argument("--kinds", default="zeroblob,huge-result,post",
                        help="the hostile clients to run, of zeroblob (4), huge-result (3) and "
                             "post (3); e.g. post alone, safe against a server without limits")
    parser.add_argument("--attack", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--every", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"--kinds: unknown {', '.join(sorted(unknown))}")
    if args.attack:
        attackers(args.attack, args.every, list(kinds))
        return
    print(f"PID {os.getpid()}: {args.records:,} records in {args.dir}", flush=True)
    for goal in run(args.records, args.dir, args.pages, kinds).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()

"""The site as a browser meets it: `oerhub serve`, or a published snapshot under plain
`datasette serve`, started on a free port of 127.0.0.1 and stopped after the test.

    with oerhub_serving(db) as base:
        status, text = fetch(base + "/")
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# A snapshot served where oerhub is not installed: the import fails as it would there.
WITHOUT_OERHUB = """
import sys
sys.modules["oerhub"] = None  # as on a machine where oerhub is not installed
from datasette.cli import cli
cli()
"""
WITH_DATASETTE = "from datasette.cli import cli; cli()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, headers: Mapping[str, str] | None = None, timeout: float = 30
          ) -> tuple[int, str]:
    """(status, body) of a GET, error pages included."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")


@contextmanager
def serving(command: Sequence[str], cwd: Path, ready: str = "/", seconds: float = 60
            ) -> Iterator[str]:
    """Run `command --port N`, yield its base URL once `ready` answers (any HTTP status),
    stop it after; a server that exits or never answers fails the test with its last words."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*command, "--port", str(port)], cwd=cwd,
                                  stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + seconds
            while True:
                try:
                    fetch(base + ready, timeout=5)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"{' '.join(command[:4])}… did not answer "
                                           f"{ready}: {log.read().decode()[-2000:]}") from None
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def oerhub_serving(db: Path, *options: str, ready: str = "/"
                   ) -> AbstractContextManager[str]:
    """`oerhub serve --db DB [options]` from the project's directory (its config/)."""
    return serving([sys.executable, "-m", "oerhub.cli", "serve", "--db", str(db), *options],
                   PROJECT, ready)


def snapshot_serving(out: Path, with_oerhub: bool = True, ready: str = "/"
                     ) -> AbstractContextManager[str]:
    """`datasette serve` of what `oerhub publish` wrote to `out`, as its README says; without
    oerhub importable when `with_oerhub` is false."""
    launcher = WITH_DATASETTE if with_oerhub else WITHOUT_OERHUB
    static = ["--static", "static:static"] if (out / "static").is_dir() else []
    return serving([sys.executable, "-c", launcher, "serve", "oerhub.db", "-m",
                    "metadata.yaml", "--template-dir", "templates", "--plugins-dir", "plugins",
                    *static], out, ready)

"""Shared test support: loopback servers, registries written to tmp_path, the CLI as a user runs it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, send
from website import Website, website  # noqa: F401 (the `website` fixture)

from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRepository

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
RECORDED = SHARED / "fixtures" / "oai-recorded"


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not RECORDED.is_dir(),
                              reason=f"needs ../shared beside the project: {RECORDED} not found")


def source_toml(source_id: str, url: str, country: str = "UA", protocol: str = "oai-pmh",
                **extra: Any) -> str:
    lines = ["[[sources]]", f'id = "{source_id}"', f'name = "Test source {source_id}"',
             f'country = "{country}"', f'protocol = "{protocol}"', f'url = "{url}"']
    for key, value in extra.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key} = {value}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


HARVEST_SETTINGS = ('[harvest]\ncontact = "mailto:tests@example.org"\ntimeout = 10\n'
                    "retries = 0\nbackoff = 0\n")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(*sources: str, settings: str = HARVEST_SETTINGS) -> Path:
        path = tmp_path / "sources.toml"
        path.write_text(settings + "\n" + "\n".join(sources), encoding="utf-8")
        return path
    return write


def oerhub_in_process(directory: Path, *args: str, config: Path | None = None,
                      db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `oerhub` command in this process, as a librarian types it in `directory`: the
    registry and catalogue there (or `config`, `db`) in OERHUB_CONFIG and OERHUB_DB; its exit
    code and what it printed come back as a subprocess would give them. (A real process, for
    what needs one — signals, kills, a server — is started by the tests that need it.)"""
    from oerhub.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OERHUB_CONFIG", str(config or directory / "sources.toml"))
        patch.setenv("OERHUB_DB", str(db or directory / "oerhub.db"))
        patch.delenv("OERHUB_DEBUG", raising=False)
        patch.chdir(directory)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["oerhub", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def run_oerhub(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`oerhub` in the test's folder, in-process (oerhub_in_process)."""
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return oerhub_in_process(tmp_path, *args)
    return run


@pytest.fixture
def run_oerhub_process(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed CLI in a subprocess, as cron would."""
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"),
               "OERHUB_DB": str(tmp_path / "oerhub.db")}
        env.pop("OERHUB_DEBUG", None)
        return subprocess.run([sys.executable, "-m", "oerhub.cli", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=timeout)
    return run


def stopping(make: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """The body of a fixture handing a test servers: `make(...)` starts one, and every one it
    started is stopped after the test (`yield from stopping(Server)`)."""
    started: list[Any] = []

    def start(*args: Any, **kwargs: Any) -> Any:
        started.append(make(*args, **kwargs))
        return started[-1]
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def oai_server() -> Iterator[Callable[..., OaiTestServer]]:
    """Start OaiTestServers for sample repositories; all are stopped after the test."""
    def make(*repositories: SampleRepository, batch_size: int = 100) -> OaiTestServer:
        return OaiTestServer(repositories, batch_size=batch_size).start()
    yield from stopping(make)


class StaticServer:
    """A loopback HTTP server answering from a function (path+query → status, headers, body)."""

    def __init__(self, respond: Callable[[str], tuple[int, dict[str, str], bytes]]) -> None:
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []

        def handle(request: BaseHTTPRequestHandler) -> None:
            self.paths.append(request.path)
            self.headers.append(dict(request.headers))
            send(request, *respond(request.path))

        self.server = LoopbackServer(handle)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def static_server() -> Iterator[Callable[..., StaticServer]]:
    yield from stopping(StaticServer)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def rows_by_id(db: Path) -> dict[str, dict[str, Any]]:
    """Every record of the catalogue, by its identifier."""
    return {r["identifier"]: dict(r) for r in query(db, "SELECT * FROM records")}


def latest_run(db: Path) -> dict[str, Any]:
    """The catalogue's latest harvest run."""
    return dict(query(db, "SELECT * FROM harvest_runs ORDER BY id DESC")[0])


class SiteClient:
    """Datasette's in-process client on one event loop, for plain (sync) tests; `serving(db)`
    gives the site `oerhub serve` runs on that catalogue, with the registry beside it (if
    any) as `--config`: it names /oai's administrator."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.loop = asyncio.new_event_loop()

    @classmethod
    def serving(cls, db: Path) -> Any:
        from oerhub.publish.serve import load_site, make_datasette
        from oerhub.registry import load_config

        beside = Path(db).parent / "sources.toml"
        registry = load_config(beside) if beside.is_file() else None
        return cls(make_datasette(db, load_site(PROJECT / "config" / "metadata.yaml"), registry))

    def get(self, path: str, **kwargs: Any) -> Any:
        """kwargs go to httpx: headers=, cookies=."""
        return self.loop.run_until_complete(self.ds.client.get(path, **kwargs))

    def close(self) -> None:
        for database in self.ds.databases.values():
            database.close()
        if self.ds.executor:
            self.ds.executor.shutdown(wait=True)
        self.loop.close()

"""Exceptions named for the condition, each carrying what a person needs to fix it.

Everything the CLI turns into a clear message derives from `OerhubError`; anything else
is a bug and is reported as one.
"""

from __future__ import annotations

from typing import Any


class OerhubError(Exception):
    """Base of every error oerhub reports to a person."""


class ConfigError(OerhubError):
    """The sources registry (or an option) is wrong: names the file, the source and the field."""

    def __init__(self, message: str, *, path: str | None = None, source: str | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.source = source
        self.field = field
        where = []
        if path:
            where.append(str(path))
        if source:
            where.append(f"source {source!r}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{': '.join(where)}: {message}" if where else message)


class HarvestError(OerhubError):
    """A source could not be harvested (the run is recorded as failed)."""


class HarvestIncomplete(HarvestError):
    """The listing broke off (expired token, token loop, empty pages): what came is kept, and
    the next run lists the broken part again."""


class HarvestStopped(HarvestIncomplete):
    """The harvest was asked to stop (Ctrl-C, SIGTERM): what was stored stays, the next run
    resumes."""


class LimitReached(HarvestStopped):
    """A run limit stopped the source (its page budget, its time budget): what was stored
    stays, the run is `incomplete`, and the next run resumes."""


class HarvestInterrupted(OerhubError):
    """A harvest stopped by a signal, its runs closed: the command exits 128 + `signum`."""

    def __init__(self, message: str, signum: int, results: list[Any]) -> None:
        super().__init__(message)
        self.signum = signum
        self.results = results


class HarvestLocked(OerhubError):
    """Another harvest holds the catalogue."""


class SourceUnreachable(HarvestError):
    """No usable HTTP answer: connection refused, timeout, DNS failure, HTTP error status."""


class NotOaiResponse(HarvestError):
    """The server answered, but not with OAI-PMH XML (an HTML page, JSON, garbage)."""


class OaiProtocolError(HarvestError):
    """The repository answered with an OAI-PMH <error> we cannot treat as normal."""

    def __init__(self, code: str, message: str, url: str) -> None:
        self.code = code
        self.url = url
        super().__init__(f"OAI-PMH error {code!r} from {url}: {message or '(no message)'}")


class BadResumptionToken(OaiProtocolError):
    """The repository rejected our resumption token (usually expired)."""


class CatalogueError(OerhubError):
    """The catalogue file cannot be opened or is not an oerhub catalogue."""


class BatchNotStored(CatalogueError):
    """A batch could not be written (disk full, I/O error…), or came after one that could not:
    nothing of it is kept and the run's resume point stays before it."""


class ExtractionFailed(HarvestError):
    """A web page gave nothing where the source's rules expect something (markup changed?).

    The run fails rather than store empty records; the message names the selector and page.
    """

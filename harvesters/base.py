"""The seam between harvesters and the rest of oerhub.

A harvester gets a source, an HTTP client and what the catalogue remembers of earlier runs
(`HarvestState`), and yields `Batch`es of raw records. Each batch carries the checkpoint to
resume from after it, so the store can commit records and checkpoint together: a run killed
between two batches resumes after the last one it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from oerhub.http import HttpClient
from oerhub.models import Batch, HarvestState, RawRecord

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

# What the harvest pipeline makes of a sub-batch while its parsed metadata is at hand (it
# normalises): (records, their metadata elements) -> one value per record.
Prepare = Callable[[list[RawRecord], list[Any]], list[Any]]


@dataclass(frozen=True)
class Workers:
    """Worker processes a harvester may read its answers in (oerhub/workers.py): the pool,
    the pipeline's `prepare` applied there to each sub-batch (its results come back in
    Batch.normalised), and the sizes outside which an answer is read where it arrived."""

    pool: Executor
    prepare: Prepare
    min_bytes: int = 0
    max_bytes: int = 2**62


@dataclass
class CheckResult:
    """What `oerhub sources check` learns about a source without harvesting it."""

    source_id: str
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Harvester(Protocol):
    """What every protocol module provides, and all the pipeline (oerhub/harvest/run.py) uses.

    `workers`: worker processes to read pages in, set by the pipeline when it has a pool; a
    harvester that cannot use them leaves it unread (the web ones: their pages are small and
    few). `warnings`: what the run records besides its status.
    """

    workers: Workers | None

    def __init__(self, source: Source, client: HttpClient) -> None: ...

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        """Yield batches; after the last one, `next_since` says where the next run starts."""
        ...

    @property
    def next_since(self) -> str | None: ...

    @property
    def warnings(self) -> list[str]: ...

    def check(self) -> CheckResult: ...

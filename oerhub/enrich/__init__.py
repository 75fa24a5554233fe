"""What is computed across stored records after a harvest, never while harvesting.

Each step reads the catalogue, computes in Python and writes through the store (the only SQL
writer), for the records that changed since it last ran; `oerhub harvest` runs every step once
all sources are done, so harvesting stays as fast as storing. A step's failure is reported and
does not undo the harvest.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from oerhub.catalogue import Catalogue
from oerhub.enrich import duplicates, languages, search_step, themes

# The steps in the order they run: name -> step(catalogue, processes) -> one line saying what
# it did. `processes` is the harvest's pool of worker processes (oerhub/workers.py) or
# None, for a step that can spread its per-record work there. Duplicates first: grouping reads
# the records alone; search, themes (config/themes.toml) and languages read only the
# records.
STEPS: dict[str, Callable[[Catalogue, Executor | None], str]] = {
    duplicates.STEP: duplicates.step,
    "search": search_step.step,
    themes.STEP: themes.step,
    "languages": languages.detection_step,
}
# Steps `oerhub harvest` leaves to their own command, scheduled after it: language detection
# loads about 400 MB of models, four times what a harvest needs, so it runs as
# `oerhub languages detect` (oerhub schedule chains it after the harvest).
OWN_COMMAND = ("languages",)


def enrich(catalogue: Catalogue, only: tuple[str, ...] = (), skip: tuple[str, ...] = (),
           processes: Executor | None = None) -> list[str]:
    """Run every step (or the named ones, less `skip`) in order; one line each, failures too."""
    lines = []
    for name, step in STEPS.items():
        if (only and name not in only) or name in skip:
            continue
        try:
            lines.append(f"{name}: {step(catalogue, processes)}")
        except Exception as exc:  # a step is an extra: the harvest itself is stored and done
            lines.append(f"{name}: failed: {type(exc).__name__}: {exc}")
    return lines

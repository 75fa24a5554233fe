"""The language of a record, detected from its title and description, beside the declared one.

Two detectors, both with their models inside their wheels (nothing is downloaded):

- **lingua** (lingua-language-detector) in its high-accuracy mode, restricted to the region's
  languages it knows and the other languages seen in the region's repositories: LINGUA_LANGUAGES.
  Restricting it makes it faster and more accurate; a text in another language gets the
  nearest of these, with a lower confidence.
- **CLD2** (pycld2) for the four languages of the region lingua does not know: Kyrgyz,
  Uzbek, Tajik and Turkmen (CLD2_LANGUAGES). When CLD2 reliably finds one of them, that is the
  answer; otherwise lingua decides. CLD2 alone is not enough: it leaves about one Russian title
  in six undetermined and takes some for Serbian or English.

The detection goes into `language_detected` with `language_confidence` (0..1: lingua's
relative confidence, or for a CLD2 language the share of the text CLD2 gave it); `language`,
the declared one, is never changed. Below MIN_CONFIDENCE, or with fewer than MIN_LETTERS
letters, nothing is detected (NULL): a guess is never stored. How detection and declaration
relate is `language_check` (the `resources` view computes it the same way, in SQL).

Measured accuracy on real titles: tests/test_detect_titles.py.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.catalogue.rules import (
    CLD2_LANGUAGES,
    DETECTED_LANGUAGES,
    LINGUA_LANGUAGES,
    language_check,
    language_check_sql,
)

# lingua for the region's languages it knows (and others seen in the region's repositories),
# CLD2 for the rest: oerhub/catalogue/rules.py lists them, as the language check needs them.
LANGUAGES = DETECTED_LANGUAGES
MIN_CONFIDENCE = 0.5  # below: no detection
MIN_LETTERS = 4  # fewer letters than this (codes, numbers, file names): no detection
TEXT_LIMIT = 300  # characters read: the title, then the description up to this
BATCH = 5000  # records read, detected and written at a time

# language_check in SQL, over the columns of `records` (oerhub/catalogue/rules.py).
LANGUAGE_CHECK_SQL = language_check_sql()

_URL = re.compile(r"\b(?:https?://|www\.|doi:)\S+", re.I)
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Detection:
    language: str | None = None
    confidence: float | None = None


NOTHING = Detection()


def record_text(title: str | None, description: str | None) -> str:
    """What is read: the title, then the description, without links, up to TEXT_LIMIT."""
    parts = [_SPACE.sub(" ", _URL.sub(" ", part or "")).strip() for part in (title, description)]
    return ". ".join(part for part in parts if part)[:TEXT_LIMIT]


class Detector:
    """lingua for LINGUA_LANGUAGES, CLD2 for CLD2_LANGUAGES; the models load on first use."""

    def detect(self, text: str) -> Detection:
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[Detection]:
        """One detection per text; lingua reads the texts CLD2 did not settle in parallel."""
        found: list[Detection] = [NOTHING] * len(texts)
        pending: list[int] = []
        for i, text in enumerate(texts):
            if len(_LETTER.findall(text)) < MIN_LETTERS:
                continue
            gap = _cld2_language(text)
            if gap is not None:
                found[i] = gap
            else:
                pending.append(i)
        if pending:
            values = _lingua().compute_language_confidence_values_in_parallel(
                [texts[i] for i in pending])
            for i, ranked in zip(pending, values, strict=True):
                if ranked and ranked[0].value >= MIN_CONFIDENCE:
                    found[i] = Detection(ranked[0].language.iso_code_639_1.name.lower(),
                                         round(ranked[0].value, 4))
        return found


def _cld2_language(text: str) -> Detection | None:
    """CLD2's answer when it is reliable and one of CLD2_LANGUAGES, else None."""
    import pycld2

    try:
        reliable, _, details = pycld2.detect(text, bestEffort=True)
    except (pycld2.error, ValueError):  # text CLD2 cannot take (e.g. stray surrogates)
        return None
    _, code, percent, _ = details[0]
    if reliable and code in CLD2_LANGUAGES:
        return Detection(code, percent / 100)
    return None


@lru_cache(maxsize=1)
def _lingua() -> Any:
    """The lingua detector, built once per process (its models load as texts need them)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                 for code in LINGUA_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).build()


@dataclass
class DetectionRun:
    """What one pass did."""

    checked: int = 0
    detected: Counter[str] = field(default_factory=Counter)
    undeclared: int = 0  # records without a declared language that now have a detected one
    disagree: int = 0  # records whose declared language the detection contradicts
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.checked:
            return "no record changed since the last detection"
        rate = f", {self.checked / self.seconds:,.0f} records/s" if self.seconds else ""
        top = ", ".join(f"{code} {n:,}" for code, n in self.detected.most_common(5))
        nothing = self.checked - sum(self.detected.values())
        return (f"{self.checked:,} records checked in {self.seconds:.1f} s{rate}: "
                f"{sum(self.detected.values()):,} detected ({top or 'none'}), {nothing:,} "
                f"undetermined; {self.undeclared:,} without a declared language now have a "
                f"detected one, {self.disagree:,} contradict the declared one")


def detect_languages(catalogue: Catalogue, *, everything: bool = False,
                     source_id: str | None = None, detector: Detector | None = None,
                     batch_size: int = BATCH) -> DetectionRun:
    """Detect the language of the live records changed since their last detection (all of
    them with `everything`; one source's with `source_id`), a batch at a time."""
    detector = detector or Detector()
    run = DetectionRun()
    started = time.perf_counter()
    for batch in records_for_language_detection(catalogue, 
            everything=everything, source_id=source_id, batch_size=batch_size):
        detections = detector.detect_many([record_text(title, description)
                                           for _, title, description, _, _ in batch])
        rows = []
        for (record_id, _, _, declared, version), found in zip(batch, detections, strict=True):
            rows.append((found.language, found.confidence, version, record_id))
            if found.language:
                run.detected[found.language] += 1
            check = language_check(declared, found.language, found.confidence)
            run.undeclared += check == "undeclared"
            run.disagree += check == "disagrees"
        store_language_detections(catalogue, rows)
        run.checked += len(batch)
    run.seconds = time.perf_counter() - started
    return run


def detection_step(catalogue: Catalogue, processes: Executor | None = None) -> str:
    """The `languages` enrichment step (run by `oerhub languages detect`, which the schedule
    runs after each harvest): the records changed since the last detection. In this process
    only: each worker would load the 400 MB of models again."""
    return detect_languages(catalogue).describe()


# --- the detected-language columns of records -------------------------------------------------

def records_for_language_detection(catalogue: Catalogue, *, everything: bool = False,
                                   source_id: str | None = None, batch_size: int = 5000
                                   ) -> Iterator[list[tuple[Any, ...]]]:
    """Live records whose language is to be detected, in batches by id: (id, title,
    description, declared language, last_changed).

    Those never checked, or changed since: language_checked keeps the last_changed of the
    version read, and the catalogue empties it when it stores a new version (stamps have
    one-second resolution). Unless `everything`. Each batch is its own query: write between them.
    """
    sql = ("SELECT id, title, description, language, last_changed FROM records "
           "WHERE deleted = 0 AND id > ?"
           + (" AND source_id = ?" if source_id else "")
           + ("" if everything else
              " AND (language_checked IS NULL OR language_checked != last_changed)")
           + " ORDER BY id LIMIT ?")
    last_id = 0
    while True:
        rows = catalogue.conn.execute(
            sql, [last_id, *([source_id] if source_id else []), batch_size]).fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def store_language_detections(catalogue: Catalogue, rows: Sequence[tuple[str | None, float | None, str,
                                                         int]]) -> None:
    """(language, confidence, last_changed read, record id) per record, in one transaction;
    the declared language is never touched."""
    with catalogue.transaction():
        catalogue.conn.executemany(
            "UPDATE records SET language_detected = ?, language_confidence = ?, "
            "language_checked = ? WHERE id = ?", rows)

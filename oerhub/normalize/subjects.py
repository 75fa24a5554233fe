"""Subjects joined in one string → one subject each.

Repositories put a record's keywords into one dc:subject ("химия, химическая кинетика",
"bedrijfskunde;bedrijfseconomie;"), which makes the subjects facet count whole lists. Semicolons
always separate; commas separate too, except:

- where a value has both tight commas and commas followed by a space (CyberLeninka's MeSH
  lists: "ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ,CARDIAC OUTPUT, LOW,HUMAN"), only the tight ones do: the
  spaced ones belong to inverted headings;
- a value with one comma, then a space and a single word or initials, is an inverted heading
  or a name ("Education, Higher", "Smith, John", "Иванов, И. И."), kept whole; so is
  "Finance, Banking", which the text cannot tell apart;
- a comma between digits is a decimal comma ("5,2 %").

Each subject this gives is given back whole when split again, so a record published through
/oai and harvested back keeps its subjects.
"""

from __future__ import annotations

import re

_SEMICOLON_RE = re.compile(r"\s*;\s*")
_SEPARATOR = r"(?:(?<!\d),|,(?!\d))"  # a comma, unless it has a digit on both sides
_COMMA_RE = re.compile(rf"\s*{_SEPARATOR}\s*")
_TIGHT_COMMA_RE = re.compile(rf"(?<!\s){_SEPARATOR}(?!\s)")
_SPACED_COMMA_RE = re.compile(r",\s")
_INVERTED_RE = re.compile(r"[^,]+,\s+(?:[^\s,]+|(?:\w\.\s?)+)")


def split_subjects(value: str) -> list[str]:
    """The subjects one value holds, stripped, without empties, in order."""
    return [subject for part in _SEMICOLON_RE.split(value) for subject in _split_commas(part)]


def _split_commas(part: str) -> list[str]:
    part = part.strip(" ,")
    if "," not in part or _INVERTED_RE.fullmatch(part):
        parts = [part]
    elif _TIGHT_COMMA_RE.search(part) and _SPACED_COMMA_RE.search(part):
        parts = _TIGHT_COMMA_RE.split(part)
    else:
        parts = _COMMA_RE.split(part)
    return [p.strip() for p in parts if p.strip(" ,")]

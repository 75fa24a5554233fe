"""Subjects joined in one string → one subject each.

Repositories put a record's keywords into one dc:subject ("химия, химическая кинетика",
"bedrijfskunde;bedrijfseconomie;"), which makes the subjects facet count whole lists. The
separator is read from the value itself:

- a semicolon separates subjects, and commas are then part of a subject ("Smith, John; Maths");
- without one, commas separate subjects, except that where a value has both tight commas and
  commas followed by a space (CyberLeninka's MeSH lists: "ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ,CARDIAC
  OUTPUT, LOW,HUMAN"), the tight ones separate and the spaced ones belong to an inverted
  heading;
- a comma between digits is a decimal comma, never a separator ("5,2 %").

A single inverted heading written alone ("Education, Higher") is split too: the value gives
nothing to tell it from two keywords.
"""

from __future__ import annotations

import re

_SEMICOLON_RE = re.compile(r"\s*;\s*")
_SEPARATOR = r"(?:(?<!\d),|,(?!\d))"  # a comma, unless it has a digit on both sides
_COMMA_RE = re.compile(rf"\s*{_SEPARATOR}\s*")
_TIGHT_COMMA_RE = re.compile(rf"(?<!\s){_SEPARATOR}(?!\s)")
_SPACED_COMMA_RE = re.compile(r",\s")


def split_subjects(value: str) -> list[str]:
    """The subjects one value holds, stripped, without empties, in order."""
    if ";" in value:
        parts = _SEMICOLON_RE.split(value)
    elif "," not in value:
        parts = [value]
    elif _TIGHT_COMMA_RE.search(value) and _SPACED_COMMA_RE.search(value):
        parts = _TIGHT_COMMA_RE.split(value)
    else:
        parts = _COMMA_RE.split(value)
    return [part.strip() for part in parts if part.strip(" ,;")]

"""Definitions the catalogue's views, the enrichment steps and the reports share, written once.

- **Openness** of a record: `open` when a licence is stated (every id the normaliser emits is an
  open licence, a version-less family such as `LicenseRef-CC-BY-NC` included), `restricted` when none is and access is restricted, closed or embargoed,
  `unknown` otherwise.
- **Language check**: how a detected language relates to the declared one: None without a
  detection, `undeclared`, `agrees`, `disagrees` (another language with DISAGREE_CONFIDENCE or
  more, where the declared one is a language the detector knows) or `uncertain`.
"""

from __future__ import annotations

RESTRICTED_ACCESS = ("restricted", "closed", "embargoed")

# The languages the detector knows (oerhub/enrich/languages.py): lingua, for the region's
# languages it knows and others seen in the region's repositories; CLD2 for the rest.
LINGUA_LANGUAGES = ("ru", "uk", "be", "kk", "az", "hy", "ka", "et", "lv", "lt", "ro", "en", "de",
                    "fr", "tr", "pl")
CLD2_LANGUAGES = ("ky", "uz", "tg", "tk")
DETECTED_LANGUAGES = LINGUA_LANGUAGES + CLD2_LANGUAGES
DISAGREE_CONFIDENCE = 0.9  # a declared language is called wrong only at or above this


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def restricted_sql(table: str = "") -> str:
    """SQL: access says the record is not open to everyone (`table`: "r." or "")."""
    return f"{table}access IN ({_quoted(RESTRICTED_ACCESS)})"


def openness_sql(table: str = "", indent: str = " ") -> str:
    """SQL: the record's openness, 'open', 'restricted' or 'unknown'."""
    return (f"CASE WHEN {table}license IS NOT NULL THEN 'open'{indent}"
            f"WHEN {restricted_sql(table)} THEN 'restricted'{indent}ELSE 'unknown' END")


def openness(license: str | None, access: str | None) -> str:
    """The same in Python."""
    if license is not None:
        return "open"
    return "restricted" if access in RESTRICTED_ACCESS else "unknown"


def language_check_sql(table: str = "") -> str:
    """SQL: the language check over the columns of `records`."""
    return (f"CASE WHEN {table}language_detected IS NULL THEN NULL "
            f"WHEN {table}language IS NULL THEN 'undeclared' "
            f"WHEN {table}language = {table}language_detected THEN 'agrees' "
            f"WHEN {table}language_confidence >= {DISAGREE_CONFIDENCE} AND {table}language IN "
            f"({_quoted(DETECTED_LANGUAGES)}) THEN 'disagrees' ELSE 'uncertain' END")


def language_check(declared: str | None, detected: str | None,
                   confidence: float | None) -> str | None:
    """The same in Python."""
    if detected is None:
        return None
    if declared is None:
        return "undeclared"
    if declared == detected:
        return "agrees"
    if (confidence is not None and confidence >= DISAGREE_CONFIDENCE
            and declared in DETECTED_LANGUAGES):
        return "disagrees"
    return "uncertain"

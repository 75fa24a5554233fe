"""The controlled vocabularies, read once from data/vocab/*.toml.

The spellings live in TOML so that librarians can extend them without touching code;
the normalisers hold only the rules. A vocabulary that is missing or malformed is a
configuration problem, reported with the file (and the field) to fix.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from oerhub.errors import ConfigError

VOCAB_DIR = Path(__file__).resolve().parents[2] / "data" / "vocab"


class VocabError(ConfigError):
    """A vocabulary file is missing, is not valid TOML, or has a wrongly shaped field."""


def vocab_path(name: str) -> Path:
    """Where the vocabulary `name` ("languages", "licenses", ...) lives."""
    return VOCAB_DIR / f"{name}.toml"


@cache
def load_file(path: Path) -> dict[str, Any]:
    """Parse one vocabulary file (cached: each file is read once per process)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise VocabError("vocabulary file is missing", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise VocabError(f"vocabulary file is not valid TOML: {exc}", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabError(f"vocabulary file cannot be read: {exc}", path=str(path)) from None


def load_vocab(name: str) -> dict[str, Any]:
    """The parsed vocabulary `name`; callers must not mutate it (it is shared)."""
    return load_file(vocab_path(name))


def section(name: str, *keys: str) -> dict[str, Any]:
    """A (nested) table of vocabulary `name`, e.g. section("licenses", "cc", "elements")."""
    node: Any = load_vocab(name)
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            raise VocabError("table is missing", path=str(vocab_path(name)),
                             field=".".join(keys[: depth + 1]))
        node = node[key]
    if not isinstance(node, dict):
        raise VocabError("expected a table", path=str(vocab_path(name)), field=".".join(keys))
    return node


def string_list(name: str, where: str, value: Any) -> list[str]:
    """Check that a vocabulary field is a list of strings (names the field when it is not)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise VocabError("expected a list of strings", path=str(vocab_path(name)), field=where)
    return value


def string_value(name: str, where: str, value: Any) -> str:
    """Check that a vocabulary field is a string (names the field when it is not)."""
    if not isinstance(value, str):
        raise VocabError("expected a string", path=str(vocab_path(name)), field=where)
    return value


def fail(name: str, where: str, message: str) -> VocabError:
    """An error about one field of vocabulary `name`, for the rule checks in the normalisers."""
    return VocabError(message, path=str(vocab_path(name)), field=where)

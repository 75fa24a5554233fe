"""JSON as the harvesters read it from a hostile web: valid JSON can still hold what no catalogue
can store, or nest deeper than Python can parse.

A lone UTF-16 surrogate ("\\ud800" is valid JSON) cannot be written as UTF-8, so SQLite refuses the
whole batch it is in; it is dropped from every string, as the text cleaner drops it from
harvested text. JSON nested too deep for the parser is a ValueError like any other bad JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 32  # levels of arrays and objects; real JSON-LD and API items need far fewer


def loads(text: str, *, strict: bool = True) -> Any:
    """`json.loads`, with lone surrogates removed from every string and key; ValueError for
    JSON nested too deep."""
    try:
        value = json.loads(text, strict=strict)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be read") from None
    if too_deep(value):
        # what reads it next (JSON-LD compaction, the adapters) walks it recursively
        raise ValueError(f"the JSON is nested more than {MAX_DEPTH} levels deep")
    # a surrogate can only come from a \\uD8xx–\\uDFxx escape: text without one needs no walk
    if "\\ud" not in text and "\\uD" not in text:
        return value
    return without_surrogates(value)


def without_surrogates(value: Any) -> Any:
    """The value with lone surrogates removed from its strings; walked without recursion, so
    any depth the parser accepted is fine."""
    root = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            if _SURROGATE_RE.search(item):
                container[key] = _SURROGATE_RE.sub("", item)
        elif isinstance(item, list):
            stack.extend((item, index) for index in range(len(item)))
        elif isinstance(item, dict):
            if any(_SURROGATE_RE.search(name) for name in item):
                cleaned = {_SURROGATE_RE.sub("", name): entry for name, entry in item.items()}
                item.clear()
                item.update(cleaned)
            stack.extend((item, name) for name in item)
    return root[0]


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Does the value nest more than `limit` arrays and objects? Walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, (list, dict)))
    return False

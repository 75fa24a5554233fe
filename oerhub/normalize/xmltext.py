"""Small helpers to read values out of metadata XML without caring about prefixes."""

from __future__ import annotations

from typing import Any

from lxml import etree


def local_name(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def text_of(element: Any) -> str:
    """All text inside an element (mixed content included), whitespace as written."""
    return "".join(element.itertext())

"""Selectors of the `html` protocol: where a portal's pages show a field.

A registry entry names its fields with the selectors people already know from the browser's
developer tools. A selector is CSS (translated to XPath by cssselect), or XPath when it starts
with '/' or '(' . CSS may end in ' @attr' to take an attribute instead of the text, because
much of what a page says about itself sits in attributes (`meta[name=description] @content`,
`a[rel=license] @href`).

Selectors are compiled when the registry is read, so a typo is a ConfigError before any
request; applying one gives plain strings (text with its whitespace normalised, attribute
values) or, for links, the elements' href.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cssselect
from lxml import etree, html

# EXSLT regular expressions, for the XPath selectors that need them (re:test(@class, '…')).
NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_TRAILING_ATTR = re.compile(r"^(?P<css>.*?\S)\s+@(?P<attr>[A-Za-z_:][-\w:.]*)$", re.S)
_LONE_ATTR = re.compile(r"^@[A-Za-z_:][-\w:.]*$")
# Text inside these elements is not what a reader sees as the element's text.
_HIDDEN = frozenset({"script", "style", "template", "noscript", "head"})
# Elements that break a line on screen: their text is kept apart from the neighbours'.
_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_TRANSLATOR = cssselect.HTMLTranslator()
_PROBE = html.document_fromstring("<html><body><p>probe</p></body></html>")


class SelectorError(ValueError):
    """A selector in the registry is neither valid CSS nor valid XPath."""


@dataclass(frozen=True)
class Selector:
    """A compiled selector: `text` as written, the XPath it runs, and the attribute it takes."""

    text: str
    kind: str  # "css" or "xpath"
    xpath: etree.XPath
    attribute: str | None = None  # CSS ' @attr': take this attribute of each element

    def evaluate(self, document: Any) -> list[Any]:
        """The raw matches in document order: elements, or strings for attributes/XPath text.

        An XPath that compiles can still fail on a page (an unknown function is found only when
        reached): that is a SelectorError too.
        """
        try:
            result = self.xpath(document)
        except etree.XPathError as exc:
            raise SelectorError(f"{self.text!r} cannot be evaluated: {exc}") from None
        if isinstance(result, bool):  # boolean() and friends: not something a page shows
            return ["true" if result else "false"]
        if isinstance(result, float):
            return [str(int(result)) if result.is_integer() else str(result)]
        if isinstance(result, str):
            return [result]
        if self.attribute is None:
            return list(result)
        return [value for element in result
                if _is_element(element) and (value := element.get(self.attribute)) is not None]

    def texts(self, document: Any) -> list[str]:
        """What the matches say: non-empty strings, whitespace normalised."""
        return [text for item in self.evaluate(document) if (text := _as_text(item))]

    def first(self, document: Any) -> str | None:
        """The first non-empty match, or None."""
        found = self.texts(document)
        return found[0] if found else None

    def links(self, document: Any) -> list[str]:
        """Link targets: strings as they are; for an element its href (or its first link's)."""
        out = []
        for item in self.evaluate(document):
            if _is_element(item):
                href = _href(item)
            elif isinstance(item, etree._Element):  # a comment or processing instruction
                continue
            else:
                href = " ".join(str(item).split())
            if href:
                out.append(href)
        return out


def compile_selector(text: str) -> Selector:
    """Compile a registry selector; SelectorError says what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise SelectorError("a selector must be a non-empty string")
    text = text.strip()
    if text.startswith(("/", "(")):
        selector = Selector(text, "xpath", _xpath(text, text))
    else:
        attribute = None
        css = text
        if _LONE_ATTR.match(text):
            raise SelectorError(f"{text!r} names an attribute but no element: write the element "
                                f"first, e.g. 'a {text}' (CSS) or '//a/{text}' (XPath)")
        m = _TRAILING_ATTR.match(text)
        if m:
            css, attribute = m["css"], m["attr"].lower()  # the HTML parser lower-cases names
        try:
            expression = _TRANSLATOR.css_to_xpath(css)
        except cssselect.SelectorError as exc:
            if "@" in css or "pseudo-element" in str(exc).lower():
                hint = " (take an attribute with ' @name' at the very end, as in 'a.next @href')"
            else:
                hint = " (an XPath selector starts with '/' or '(')"
            raise SelectorError(f"{text!r} is not a valid CSS selector: {exc}{hint}") from None
        selector = Selector(text, "css", _xpath(expression, text), attribute)
    selector.evaluate(_PROBE)  # undefined namespace prefixes show only when evaluated
    return selector


def select(selector: Selector | str, document: Any) -> list[str]:
    """Apply a selector (compiled or as written) to a parsed page: the non-empty strings found."""
    if isinstance(selector, str):
        selector = compile_selector(selector)
    return selector.texts(document)


def element_text(element: Any) -> str:
    """An element's visible text with whitespace normalised.

    Scripts and styles inside it are left out; an element chosen itself (a <script> holding
    JSON, a <title> in the head) gives its own text.
    """
    parts: list[str] = []
    _collect(element, parts, top=True)
    return " ".join("".join(parts).split())


def _xpath(expression: str, text: str) -> etree.XPath:
    try:
        return etree.XPath(expression, namespaces=NAMESPACES, smart_strings=False)
    except etree.XPathSyntaxError as exc:
        raise SelectorError(f"{text!r} is not a valid XPath expression: {exc}") from None


def _as_text(item: Any) -> str:
    if _is_element(item):
        return element_text(item)
    if isinstance(item, etree._Element):  # a comment or processing instruction
        return ""
    return " ".join(str(item).split())


def _is_element(item: Any) -> bool:
    return isinstance(item, etree._Element) and isinstance(item.tag, str)


def _href(element: Any) -> str | None:
    """The link of an element: its own href, else that of the first link inside it."""
    href = element.get("href")
    if href is None:
        inner = next((e for e in element.iter("a", "area", "link") if e.get("href")), None)
        href = inner.get("href") if inner is not None else None
    href = (href or "").strip()
    return href or None


def _collect(element: Any, parts: list[str], top: bool = False) -> None:
    if not _is_element(element):
        return
    tag = element.tag.lower()
    if tag in _HIDDEN and not top:
        return
    breaks = tag in _BREAKS
    if breaks:
        parts.append(" ")
    if element.text:
        parts.append(element.text)
    for child in element:
        _collect(child, parts)
        if child.tail:
            parts.append(child.tail)
    if breaks:
        parts.append(" ")

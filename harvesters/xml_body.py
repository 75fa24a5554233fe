"""Turn an answer's bytes into clean UTF-8 XML, whatever the server did to them.

Repositories in the region send windows-1251 or KOI8-R with the charset only in the HTTP
header, declarations that lie, stray invalid UTF-8 bytes and control characters that XML 1.0
forbids. Each is repaired here, before parsing, so one bad byte costs at most one character.
"""

from __future__ import annotations

import codecs
import re

_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)(['\"])([A-Za-z0-9._-]+)\2", re.S)
_CHARSET = re.compile(r"charset\s*=\s*['\"]?([A-Za-z0-9._-]+)", re.I)
_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ILLEGAL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)
# An entity reference XML does not predefine: with the DOCTYPE gone it is only text (HTML's
# &nbsp; in DSpace output, or an attack), so its ampersand is escaped and the page still parses.
_UNKNOWN_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_UTF8 = frozenset({"utf-8", "utf8"})
# Share of non-ASCII bytes that may be broken before we stop calling a body "UTF-8 with flaws".
_FLAW_SHARE = 0.05


def declared_encoding(body: bytes) -> str | None:
    match = _DECL.match(body[:512])
    return match.group(3).decode("ascii").lower() if match else None


def header_charset(content_type: str) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def clean_xml_bytes(body: bytes, content_type: str = "") -> tuple[bytes, str]:
    """UTF-8 bytes with illegal characters and any DOCTYPE removed, and the encoding read."""
    cleaned, encoding = _to_utf8(body, content_type)
    head = cleaned[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head:
        # OAI-PMH needs no DTD; dropping it means no entity can be expanded or fetched.
        cleaned = _DOCTYPE.sub(b"", cleaned, count=1)
    if b"&" in cleaned:
        cleaned = _UNKNOWN_ENTITY.sub(b"&amp;", cleaned)
    return cleaned, encoding


def _to_utf8(body: bytes, content_type: str) -> tuple[bytes, str]:
    if body.startswith(codecs.BOM_UTF8):
        body = body[3:]
    elif body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = body.decode("utf-16", "replace")
        return _finish(text), "utf-16"
    declared = declared_encoding(body)
    header = header_charset(content_type)
    if not _NON_ASCII.search(body):  # plain ASCII reads the same in every candidate
        return _set_declaration(_ILLEGAL_BYTES.sub(b"", body)), "ascii"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        encoding = _legacy_encoding(body, declared, header)
    else:
        # Valid UTF-8 with non-ASCII bytes is UTF-8, whatever a declaration says: Cyrillic in
        # windows-1251 or KOI8-R practically never forms valid UTF-8 sequences.
        if declared in (None, *_UTF8):
            return _ILLEGAL_BYTES.sub(b"", body), "utf-8"
        encoding = "utf-8"
    return _finish(body.decode(encoding, "replace")), encoding


def _legacy_encoding(body: bytes, declared: str | None, header: str | None) -> str:
    """Choose how to read a body that is not valid UTF-8."""
    for candidate in (declared, header):
        if candidate and candidate not in _UTF8 and _known(candidate):
            return candidate
    # Said UTF-8 (or nothing): a few broken bytes in real UTF-8, or a legacy body that lies.
    broken = body.decode("utf-8", "replace").count("\ufffd")
    if broken <= max(3, _count(body, 0x80, 0x100) * _FLAW_SHARE):
        return "utf-8"
    return guess_cyrillic(body)


def guess_cyrillic(body: bytes) -> str:
    """windows-1251 or KOI8-R: lower-case letters dominate text and sit in different ranges."""
    return "windows-1251" if _count(body, 0xE0, 0x100) >= _count(body, 0xC0, 0xE0) else "koi8-r"


def _count(body: bytes, low: int, high: int) -> int:
    return sum(body.count(bytes((b,))) for b in range(low, high))


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def _finish(text: str) -> bytes:
    return _set_declaration(_ILLEGAL_TEXT.sub("", text).encode("utf-8"))


def _set_declaration(body: bytes) -> bytes:
    """Make the XML declaration (if any) say UTF-8, so lxml reads the bytes we give it."""
    return _DECL.sub(rb"\1\2UTF-8\2", body, count=1)


_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def html_title(body: bytes) -> str:
    """The <title> of an HTML page served where data was expected, for the error message:
    whitespace collapsed, at most 120 characters; empty when it has none."""
    title = _HTML_TITLE.search(body[:65536])
    return " ".join(title.group(1).decode("utf-8", "replace").split())[:120] if title else ""

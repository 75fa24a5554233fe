"""An answer's body, decompressed as it arrives and never past a size limit.

A gzip "bomb" of 1 MB inflates to 1 GB: decompressing the whole body at once (as
`gzip.decompress` does) holds all of it in memory before anyone can look at its size. Here
the body is inflated chunk by chunk, each step asked for no more than the room left under the
limit, so an answer too big is refused when the limit is reached and memory never holds more
than the limit. Compression is recognised by its magic bytes, whatever the headers say
(servers gzip without saying so, and say gzip over plain bodies); a body that does not inflate
is kept as it came, as before.
"""

from __future__ import annotations

import zlib

from oerhub.errors import SourceUnreachable

DEFAULT_MAX_BODY = 128 << 20  # bytes of one answer, after decompression
_STEP = 1 << 20  # bytes inflated at a time: zlib's output buffer never grows past this


class AnswerTooLarge(SourceUnreachable):
    """An answer larger than the limit, as sent or once decompressed (a decompression bomb)."""


def _kind(head: bytes, encoding: str) -> str | None:
    """gzip, zlib, deflate (raw) or plain, from the first bytes; None: not enough bytes yet."""
    if len(head) < 2:
        return None
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:1] == b"\x78" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return "zlib"
    if "deflate" in encoding.lower():
        first = head.lstrip()[:1]
        if not first:
            return None  # only whitespace so far
        return "plain" if first == b"<" else "deflate"
    return "plain"


_WBITS = {"gzip": 31, "zlib": 15, "deflate": -15}


class BodyReader:
    """Collects one answer's chunks; `finish()` gives the (decompressed) body.

    Raises AnswerTooLarge as soon as the bytes received, or the bytes they inflate to, pass
    `limit`: the caller stops reading there.
    """

    def __init__(self, url: str, limit: int = DEFAULT_MAX_BODY, encoding: str = "") -> None:
        self.url = url
        self.limit = limit
        self.encoding = encoding or ""
        self.received = 0  # bytes as sent
        self._raw: list[bytes] = []  # as sent: the body if it is plain or does not inflate
        self._out: list[bytes] = []  # inflated so far
        self._size = 0  # bytes in _out
        self._kind: str | None = None
        self._inflater: zlib._Decompress | None = None
        self._broken = False  # did not inflate: the raw body is the answer

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.received += len(chunk)
        if self.received > self.limit:
            raise AnswerTooLarge(f"{self.url} sent more than {self.limit >> 20} MiB in one "
                                 "answer; stopped reading")
        self._raw.append(chunk)
        if self._kind is None:
            self._kind = _kind(b"".join(self._raw)[:64], self.encoding)
            if self._kind is None:
                return
            chunk = b"".join(self._raw)  # the bytes held back while looking
            if self._kind != "plain":
                self._inflater = zlib.decompressobj(_WBITS[self._kind])
        if self._kind != "plain" and not self._broken:
            self._inflate(chunk)

    def finish(self) -> bytes:
        """The body: inflated when it was compressed and inflated whole, else as sent."""
        raw = b"".join(self._raw)
        if self._kind in (None, "plain") or self._broken:
            return raw
        assert self._inflater is not None
        if not self._inflater.eof:
            return raw  # cut short: as gzip.decompress, keep what came
        return b"".join(self._out)

    def _inflate(self, data: bytes) -> None:
        while data and not self._broken:
            assert self._inflater is not None
            try:
                out = self._inflater.decompress(data, min(self.limit - self._size + 1, _STEP))
            except zlib.error:
                self._broken = True
                self._out = []
                return
            self._size += len(out)
            if self._size > self.limit:
                self._out = []
                raise AnswerTooLarge(
                    f"{self.url} sent {self.received:,} compressed bytes that decompress to "
                    f"more than {self.limit >> 20} MiB (a decompression bomb?); stopped reading")
            if out:
                self._out.append(out)
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if self._kind == "gzip" and rest.strip(b"\0"):
                    self._inflater = zlib.decompressobj(31)  # another gzip member follows
                    data = rest
                else:
                    return  # trailing padding, or the end
            else:
                data = self._inflater.unconsumed_tail


def decompress(body: bytes, encoding: str = "", limit: int = DEFAULT_MAX_BODY,
               url: str = "the answer") -> bytes:
    """A whole body decompressed (gzip or zlib by magic bytes), at most `limit` bytes of it."""
    reader = BodyReader(url, max(limit, len(body)), encoding)
    reader.feed(body)
    return reader.finish()

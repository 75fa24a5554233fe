"""Fonts inside the page: Noto Sans (Latin, Cyrillic), Noto Sans Georgian and Armenian,
subset to the characters the page uses and embedded as WOFF in @font-face rules.

The page then reads the same on any machine and prints the same to PDF, with nothing
fetched. The fonts are Debian's fonts-noto-core (SIL Open Font License); without them the
page falls back to the reader's sans-serif fonts. fontTools (a WeasyPrint dependency) does
the subsetting.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
# (family, file stem): the family names the page's CSS asks for, in its order
FAMILIES = (("Survey Sans", "NotoSans"), ("Survey Georgian", "NotoSansGeorgian"),
            ("Survey Armenian", "NotoSansArmenian"))
WEIGHTS = (("400", "Regular"), ("700", "Bold"))


def font_file(stem: str, style: str) -> Path | None:
    for directory in NOTO_DIRS:
        path = directory / f"{stem}-{style}.ttf"
        if path.is_file():
            return path
    return None


@cache
def _subset(path: Path, text: str) -> str:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    font = subset.load_font(io.BytesIO(path.read_bytes()), options)  # no file left open
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    font.close()
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def font_faces(page: str) -> str:
    """@font-face rules with the fonts found, subset to the characters of `page`."""
    text = "".join(sorted(set(page) | set("0123456789%–…·")))
    rules = []
    for family, stem in FAMILIES:
        for weight, style in WEIGHTS:
            path = font_file(stem, style)
            if path is None:
                continue
            data = _subset(path, text)
            rules.append(f"@font-face {{ font-family: '{family}'; font-weight: {weight}; "
                         f"src: url(data:font/woff;base64,{data}) format('woff'); }}")
    return "\n".join(rules)

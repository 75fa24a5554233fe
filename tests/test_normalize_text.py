"""Free-text cleaning: HTML, entities, XML-illegal characters, whitespace."""

from __future__ import annotations

import pytest
from lxml import etree

from oerhub.normalize.text import clean_text, fold_words, split_values

CLEAN_TABLE = [
    # HTML
    ("<p>Учебник <b>по</b> химии</p>", "Учебник по химии"),
    ("<p>one</p><p>two</p>", "one two"),
    ("хим<b>ия</b>", "химия"),
    ("line<br/>two<br />three<BR>four", "line two three four"),
    ('<p class=MsoNormal style="margin:0cm">Word</p>', "Word"),
    ("<o:p></o:p>Текст<o:p>&nbsp;</o:p>", "Текст"),
    ('<a href="https://example.org/x?a=1&amp;b=2">ссылка</a>', "ссылка"),
    ("<script>alert(1)</script>ok", "ok"),
    ("<style>p {color: red}</style>ok", "ok"),
    ("<!-- comment -->text", "text"),
    ("<ul><li>a</li><li>b</li></ul>", "a b"),
    # Entities
    ("a &amp; b", "a & b"),
    ("a&nbsp;b", "a b"),
    ("&#1092;изика", "физика"),
    ("&laquo;Химия&raquo;", "«Химия»"),
    ("&lt;p&gt; задаёт абзац", "<p> задаёт абзац"),  # escaped markup is text, kept
    # Maths is not markup
    ("a < b and c > d", "a < b and c > d"),
    ("a<b and c>d", "a<b and c>d"),
    ("x <= y, y >= z", "x <= y, y >= z"),
    ("if a<b then", "if a<b then"),
    # XML-illegal characters and invisible junk
    ("x\x00y\x01z", "xyz"),
    ("a\ufffeb\uffffc", "abc"),
    ("\ufeffBOM", "BOM"),
    ("zero\u200bwidth", "zerowidth"),
    ("учеб\u00adник", "учебник"),
    ("page1\x0cpage2", "page1 page2"),
    # Whitespace
    ("  many   spaces  ", "many spaces"),
    ("line1\r\nline2\n\tline3", "line1 line2 line3"),
    ("a\u00a0b\u2009c\u3000d", "a b c d"),
    # Unicode normalisation (decomposed й from macOS file names)
    ("и\u0306од", "йод"),
    # Nothing left
    ("", None),
    ("   ", None),
    ("<p> </p>", None),
    ("&nbsp;", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_TABLE)
def test_clean_text(raw: str | None, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw", [raw for raw, _ in CLEAN_TABLE if raw])
def test_clean_text_output_is_legal_xml(raw: str) -> None:
    cleaned = clean_text(raw)
    if cleaned is not None:
        element = etree.Element("x")
        element.text = cleaned  # lxml refuses XML-illegal characters
        assert etree.fromstring(etree.tostring(element)).text == cleaned


SPLIT_TABLE = [
    ("rus; eng", ";,", ["rus", "eng"]),
    ("ru, en", ";,", ["ru", "en"]),
    ("ru,en;uk", ";,", ["ru", "en", "uk"]),
    ("ru/en", "/", ["ru", "en"]),
    (" ; , ", ";,", []),
    ("single", ";,", ["single"]),
    ("a;b", "", ["a;b"]),
    ("", ";,", []),
    (None, ";,", []),
]


@pytest.mark.parametrize(("raw", "seps", "expected"), SPLIT_TABLE)
def test_split_values(raw: str | None, seps: str, expected: list[str]) -> None:
    assert split_values(raw, seps) == expected


def test_split_values_default_separators() -> None:
    assert split_values("rus; eng, ukr") == ["rus", "eng", "ukr"]


FOLD_TABLE = [
    ("Учебно-методическое  пособие.", "учебно методическое пособие"),
    ("Отчёт", "отчет"),
    ("Oʻquv qoʻllanma", "o'quv qo'llanma"),
    ("«Атрибуция»", "атрибуция"),
]


@pytest.mark.parametrize(("raw", "expected"), FOLD_TABLE)
def test_fold_words(raw: str, expected: str) -> None:
    assert fold_words(raw) == expected

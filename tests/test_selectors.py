"""Selectors of the html protocol: CSS, CSS with ' @attr', XPath — as a registry writes them."""

from __future__ import annotations

import pytest
from lxml import html

from harvesters.selectors import SelectorError, compile_selector, element_text, select

PAGE = html.document_fromstring("""<!doctype html>
<html lang="uk-UA"><head>
  <title>Алгебра 7 клас</title>
  <meta name="description" content="  Підручник   для 7 класу  ">
  <meta property="og:type" content="book">
  <script type="application/ld+json">{"@type": "Book"}</script>
</head><body>
  <h1 class="book-title">Алгебра <small>7&nbsp;клас</small></h1>
  <p class="author">Істер О. С.</p><p class="author">  </p><p class="author">Мерзляк А.</p>
  <ul class="tags"><li>математика</li><li>алгебра</li><li><a href="/tag/школа">школа</a></li></ul>
  <div class="licence"><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">
     CC BY 4.0</a></div>
  <p class="body">Перший рядок<br>другий рядок<script>track()</script><!-- note --></p>
  <a class="download" HREF="/files/algebra-7.pdf">PDF</a>
  <nav><a class="next" href="?page=2">Далі →</a></nav>
</body></html>""")

# selector as written in sources.toml -> what it gives (texts), what it gives as links
CASES = [
    ("h1.book-title", ["Алгебра 7 клас"], []),
    ("h1", ["Алгебра 7 клас"], []),
    ("title", ["Алгебра 7 клас"], []),
    (".author", ["Істер О. С.", "Мерзляк А."], []),  # the empty one is dropped
    ("ul.tags li", ["математика", "алгебра", "школа"], ["/tag/школа"]),
    ("ul.tags li:nth-child(2)", ["алгебра"], []),
    ("meta[name=description] @content", ["Підручник для 7 класу"], ["Підручник для 7 класу"]),
    ("meta[property='og:type'] @content", ["book"], ["book"]),
    ("a[rel=license] @href", ["https://creativecommons.org/licenses/by/4.0/"],
     ["https://creativecommons.org/licenses/by/4.0/"]),
    ("a[rel=license]", ["CC BY 4.0"], ["https://creativecommons.org/licenses/by/4.0/"]),
    ("div.licence", ["CC BY 4.0"], ["https://creativecommons.org/licenses/by/4.0/"]),
    ("a.download @HREF", ["/files/algebra-7.pdf"], ["/files/algebra-7.pdf"]),
    ("a.next  @href", ["?page=2"], ["?page=2"]),
    ("p.body", ["Перший рядок другий рядок"], []),  # <br> separates, <script> left out
    ("script[type='application/ld+json']", ['{"@type": "Book"}'], []),
    ("h2.missing", [], []),
    ("h1 @data-missing", [], []),
    # XPath: text(), attributes, elements, functions
    ("//html/@lang", ["uk-UA"], ["uk-UA"]),
    ("//h1/text()", ["Алгебра"], ["Алгебра"]),
    ("//ul[@class='tags']/li/text()", ["математика", "алгебра"], ["математика", "алгебра"]),
    ("//ul[@class='tags']/li", ["математика", "алгебра", "школа"], ["/tag/школа"]),
    ("(//p[@class='author'])[1]", ["Істер О. С."], []),
    ("//meta[@name='description']/@content", ["Підручник для 7 класу"],
     ["Підручник для 7 класу"]),
    ("//a[@rel='license']/@href", ["https://creativecommons.org/licenses/by/4.0/"],
     ["https://creativecommons.org/licenses/by/4.0/"]),
    ("/html/body/p[@class='body']/comment()", [], []),
    ("(string(//h1))", ["Алгебра 7 клас"], ["Алгебра 7 клас"]),
    ("(count(//ul/li))", ["3"], ["3"]),
    ("//li[re:test(., '^алг')]", ["алгебра"], []),
]


@pytest.mark.parametrize(("text", "texts", "links"), CASES, ids=[c[0] for c in CASES])
def test_selector_table(text: str, texts: list[str], links: list[str]) -> None:
    selector = compile_selector(text)
    assert selector.texts(PAGE) == texts
    assert selector.links(PAGE) == links
    assert selector.first(PAGE) == (texts[0] if texts else None)
    assert select(text, PAGE) == texts


@pytest.mark.parametrize(("text", "kind", "attribute"), [
    ("a.next @href", "css", "href"),
    ("meta[name=description] @Content", "css", "content"),
    ("h1", "css", None),
    ("//h1", "xpath", None),
    ("(//a)[1]/@href", "xpath", None),
    ("  //html/@lang ", "xpath", None),
])
def test_kind_and_attribute(text: str, kind: str, attribute: str | None) -> None:
    selector = compile_selector(text)
    assert (selector.kind, selector.attribute, selector.text) == (kind, attribute, text.strip())


# invalid selector -> words the error must contain (it ends up in a ConfigError)
INVALID = [
    ("", "non-empty"),
    ("   ", "non-empty"),
    ("h1[", "'h1[' is not a valid CSS selector"),
    ("div > > p", "not a valid CSS selector"),
    ("a:frobnicate", "not a valid CSS selector"),
    ("a::text", "' @name' at the very end"),
    ("a @", "' @name' at the very end"),
    ("a @href @title", "' @name' at the very end"),
    ("@href", "names an attribute but no element"),
    ("count(//li)", "an XPath selector starts with '/' or '('"),
    ("//h1[", "'//h1[' is not a valid XPath expression"),
    ("(//a", "not a valid XPath expression"),
    ("//dc:title", "Undefined namespace prefix"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[c[0] or "empty" for c in INVALID])
def test_invalid_selectors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        compile_selector(text)
    assert message in str(caught.value)


def test_unknown_xpath_function_fails_when_reached() -> None:
    """libxml2 checks functions only when it meets them: applying the selector says so."""
    selector = compile_selector("//li[frobnicate(.)]")
    with pytest.raises(SelectorError, match="cannot be evaluated"):
        selector.texts(PAGE)


def test_bad_selector_in_registry_is_a_config_error(tmp_path) -> None:
    from oerhub.errors import ConfigError
    from oerhub.registry import load_config

    path = tmp_path / "sources.toml"
    path.write_text('[[sources]]\nid = "ua-x"\nname = "X"\ncountry = "UA"\nprotocol = "html"\n'
                    'url = "https://example.org/list"\n[sources.html]\nitems = "a.item"\n'
                    '[sources.html.fields]\ntitle = "h1.book-title["\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "html.fields.title" in str(caught.value)
    assert "'h1.book-title[' is not a valid CSS selector" in str(caught.value)


def test_element_text_keeps_words_apart_across_blocks() -> None:
    element = html.fragment_fromstring("<div><p>один</p><p>два</p> <span>три</span>чотири</div>")
    assert element_text(element) == "один два тричотири"

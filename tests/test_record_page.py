"""The record page made for reuse (/oerhub/records/<id>, config/templates/row-oerhub-records.html
with oerhub/publish/record_page.py), through the Datasette `oerhub serve` runs: every section
with names in English and Russian, citations and BibTeX to the character, hostile titles, links
and descriptions inert, JSON-LD that parses and says what the record says, a withdrawn record,
duplicates and translations as the duplicates step makes them.

The catalogue is written through the store (store_batch, finish_run) and the real
`duplicates` step, as a harvest would leave it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import HARVEST_SETTINGS, SiteClient, source_toml

from oerhub.catalogue import Catalogue
from oerhub.enrich.duplicates import regroup
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.publish.record_page import bibtex_name, latex, script_json, web_url
from oerhub.registry import load_config

A, B = "kz-a", "kz-b"
PROVIDER_A, PROVIDER_B = f"Test source {A}", f"Test source {B}"
HOSTILE_TITLE = '</script><script>alert(1)</script>"}@misc{x, <img src=x onerror=alert(2)>'
MANY = [f"Автор{n} А." for n in range(1, 9)]
SECOND = ("Второй абзац: лабораторные работы по механике, оптике и электричеству с "
          "простыми приборами, которые есть в каждой школе, вопросы для самопроверки, "
          "задачи разной сложности с решениями и указания для учителя, как провести урок "
          "в классе, где учеников много, а приборов мало; в приложении таблицы величин, "
          "образцы отчётов и список литературы для тех, кто хочет узнать больше.")
DESCRIPTION = f"Пособие для учителей физики.\n\n{SECOND}"


def rec(source: str, identifier: str, **fields: Any) -> Record:
    return Record(source, identifier, "2024-01-01", country="KZ", **fields)


def records_of_a() -> list[Record]:
    return [
        rec(A, "physics", title="Методика преподавания физики: учебное пособие",
            description=DESCRIPTION,
            url="https://example.kz/physics", language="ru", license="CC-BY-SA-4.0",
            license_url="https://creativecommons.org/licenses/by-sa/4.0/",
            license_raw="CC BY-SA 4.0", resource_type="textbook", education_level=["ISCED 2"],
            subjects=["Физика", "Методика"], creators=["Иваненко, Олена", "Петров, Петро"],
            publisher="Мектеп", date="2021-05-03", language_raw="rus",
            identifiers=["https://doi.org/10.1234/PHYS.2021", "https://example.kz/physics"]),
        rec(A, "chem-8", title="Химия. 8 класс", language="ru", url="https://a.example.kz/7",
            creators=["Темірбеков Н. А.", "Оспанова Г."], resource_type="textbook",
            identifiers=["ISBN 978-601-07-0123-6", "https://a.example.kz/7"]),
        rec(A, "maths", title="Open maths", language="en", url="http://example.org/maths",
            resource_type="course"),
        rec(A, "many", title="Сборник задач", language="ru", url="https://example.kz/many",
            creators=MANY, date="2020", publisher="Атамұра", resource_type="article"),
        rec(A, "hostile", title=HOSTILE_TITLE, url="javascript:alert(1)", language="en",
            description='<img src=x onerror=alert(3)> & "quoted"',
            creators=['"}, title={pwned', "Smith and Sons"], subjects=["<b>bold</b>"],
            publisher="100% & $5 #1 _a_ ~ ^ \\ {x}"),
        rec(A, "data-url", title="Data URL", url="data:text/html,<script>alert(4)</script>"),
        rec(A, "gone", title="Учебник, который отозвали", url="https://example.kz/gone",
            language="ru"),
    ]


def records_of_b() -> list[Record]:
    return [
        rec(B, "physics", title="Методика преподавания физики", language="ru",
            url="https://b.example.kz/items/1", creators=["Ivanenko, Olena"],
            identifiers=["doi:10.1234/phys.2021"]),
        rec(B, "chem-8", title="Химия. 8-сынып", language="kk", url="https://b.example.kz/7",
            creators=["Temirbekov, N.", "Ospanova, G."], resource_type="textbook",
            identifiers=["978-601-07-0124-3", "https://b.example.kz/items/7"]),
    ]


def store(catalogue: Catalogue, source: str, records: list[Record]) -> None:
    run = catalogue.start_run(source, "full", None)
    raws = [RawRecord(source, r.identifier, r.datestamp, r.deleted, "oai_dc", "<x/>")
            for r in records]
    catalogue.store_batch(RunProgress(run, source, 0, 0), Batch(raws, None, normalised=records))
    assert catalogue.finish_run(run, source, "ok") == "ok"


def build(directory: Path) -> tuple[Path, dict[str, int]]:
    """The catalogue of these tests (shared with tests/test_record_browser.py) and its record
    ids by "source:identifier"."""
    config = directory / "sources.toml"
    config.write_text(HARVEST_SETTINGS + "\n" + source_toml(
        A, "http://127.0.0.1:9/oai", country="KZ", homepage="https://a.example.kz/")
        + source_toml(B, "http://127.0.0.1:9/oai", country="KZ"), encoding="utf-8")
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
        store(catalogue, A, records_of_a())
        store(catalogue, B, records_of_b())
        # the provider withdraws one: a tombstone dated 2024-06-01
        store(catalogue, A, [Record(A, "gone", "2024-06-01", deleted=True)])
        result = regroup(catalogue, full=True)
        assert (result.groups, result.translation_links) == (1, 1)
        ids = {f"{row[0]}:{row[1]}": row[2] for row in catalogue.conn.execute(
            "SELECT source_id, identifier, id FROM records")}
    return db, ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteClient, dict[str, int]]]:
    db, ids = build(tmp_path_factory.mktemp("record-page"))
    served = SiteClient.serving(db)
    yield served, ids
    served.close()


def page(site: tuple[SiteClient, dict[str, int]], key: str, lang: str = "en") -> str:
    client, ids = site
    response = client.get(f"/oerhub/records/{ids[key]}", headers={"Accept-Language": lang})
    assert response.status_code == 200, response.text[:500]
    return response.text


def text_of(element_id: str, text: str) -> str:
    """The text of the element with this id (citation, BibTeX), unescaped."""
    found = re.search(rf'id="{element_id}">(.*?)</(?:p|pre)>', text, re.S)
    assert found, element_id
    return html.unescape(found.group(1))


def json_ld(text: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert len(found) == 1
    return json.loads(found[0])  # type: ignore[no-any-return]


def main(text: str) -> str:
    return text[text.index("<main"):text.index("</main>")]


# --- the sections, in order, with names --------------------------------------------------------


def test_a_record_page_leads_with_what_a_teacher_needs(site) -> None:
    text = page(site, "kz-a:physics")
    assert "<title>Методика преподавания физики: учебное пособие</title>" in text
    body = main(text)
    order = ['<h1 lang="ru">Методика преподавания физики: учебное пособие</h1>',
             "<p>Пособие для учителей физики. Второй абзац: лабораторные работы по механике,",
             "Read the whole description", "<p>Пособие для учителей физики.</p>",
             f"<p>{SECOND}</p>",
             'class="oer-open" href="https://example.kz/physics" rel="noopener nofollow">'
             "Open the resource</a>",
             "CC BY-SA 4.0</span>", "share adaptations under the same licence. <a href="
             '"https://creativecommons.org/licenses/by-sa/4.0/"',
             "About this resource", "<dd>Russian</dd>", "<dd>Textbook</dd>",
             "<dd>Lower secondary (ISCED 2, grades 5–9)</dd>",
             "subjects__arraycontains=%D0%A4%D0%B8%D0%B7%D0%B8%D0%BA%D0%B0", "Authors",
             "<dd>Иваненко, Олена; Петров, Петро</dd>", "<dd>Мектеп</dd>", "<dd>May 3, 2021</dd>",
             "<dd>Kazakhstan</dd>", "How to cite", "Provided by",
             f'<a class="oer-source-link" href="/oerhub/sources/{A}">{PROVIDER_A}</a> '
             "(Kazakhstan).",
             'href="https://a.example.kz/" rel="noopener nofollow">The provider&#39;s website',
             "Also provided by", '<details class="oer-technical">',
             "<td>rus</td>", "<td>CC BY-SA 4.0</td>", "Link to share"]
    positions = [body.find(part) for part in order]
    assert -1 not in positions, [p for p, at in zip(order, positions) if at == -1]
    assert positions == sorted(positions)
    assert '<link rel="canonical" href="http://localhost/oerhub/records/' in text


def test_the_page_speaks_russian(site) -> None:
    body = main(page(site, "kz-a:physics", "ru"))
    for words in ("Открыть ресурс", ">CC BY-SA 4.0</span>", "Об этом ресурсе", "<dd>Русский</dd>",
                  "<dd>Учебник, пособие</dd>", "<dd>Основное общее (МСКО 2, 5–9 классы)</dd>",
                  "<dd>Казахстан</dd>", "<dd>3 мая 2021\u202fг.</dd>", "Как цитировать",
                  "Также есть в других источниках", "Технические сведения",
                  "Ссылка, чтобы поделиться", "Авторы"):
        assert words in body, words
    assert "Open the resource" not in body
    # the licence badge speaks the reader's language too
    assert ">Лицензия не указана</span>" in main(page(site, "kz-a:maths", "ru"))


# --- how to cite --------------------------------------------------------------------------------


def test_citation_and_bibtex_of_a_textbook_with_two_authors(site) -> None:
    _, ids = site
    text = page(site, "kz-a:physics")
    assert text_of("oer-citation", text) == (
        "Иваненко, Олена; Петров, Петро (2021). Методика преподавания физики: учебное пособие. "
        "Мектеп. https://example.kz/physics")
    assert text_of("oer-bibtex", text) == (
        f"@book{{oerhub{ids['kz-a:physics']},\n"
        "  author = {Иваненко, Олена and Петров, Петро},\n"
        "  title = {{Методика преподавания физики: учебное пособие}},\n"
        "  year = {2021},\n"
        "  publisher = {Мектеп},\n"
        "  doi = {10.1234/PHYS.2021},\n"
        "  url = {https://example.kz/physics},\n"
        "  language = {russian}\n"
        "}")


def test_citation_without_creators_or_date(site) -> None:
    _, ids = site
    text = page(site, "kz-a:maths")
    assert text_of("oer-citation", text) == (
        f"Open maths. (n.d.). {PROVIDER_A}. http://example.org/maths")
    assert text_of("oer-citation", page(site, "kz-a:maths", "ru")) == (
        f"Open maths. (б. г.). {PROVIDER_A}. http://example.org/maths")
    assert text_of("oer-bibtex", text) == (
        f"@misc{{oerhub{ids['kz-a:maths']},\n  title = {{{{Open maths}}}},\n"
        f"  publisher = {{{PROVIDER_A}}},\n  url = {{http://example.org/maths}},\n"
        "  language = {english}\n}")


def test_citation_with_many_creators(site) -> None:
    _, ids = site
    text = page(site, "kz-a:many", "ru")
    assert text_of("oer-citation", text) == (
        ", ".join(MANY[:6]) + " и др. (2020). Сборник задач. Атамұра. https://example.kz/many")
    assert text_of("oer-citation", page(site, "kz-a:many")).startswith(
        ", ".join(MANY[:6]) + " et al. (2020).")
    bibtex = text_of("oer-bibtex", text)
    assert bibtex.startswith(f"@article{{oerhub{ids['kz-a:many']},\n")
    assert "  author = {" + " and ".join("{" + n + "}" for n in MANY) + "},\n" in bibtex


# --- hostile records ---------------------------------------------------------------------------


def fields_balanced(entry: str) -> list[str]:
    """A BibTeX entry's field names, checking that no value closes its field early."""
    head, _, rest = entry.partition(",\n")
    assert re.fullmatch(r"@\w+\{oerhub\d+", head), head
    names, depth = [], 1
    for line in rest.splitlines():
        if depth == 1:
            if line == "}":
                depth = 0
                continue
            found = re.match(r"  (\w+) = \{", line)
            assert found, line
            names.append(found.group(1))
            value = line[found.end() - 1:]
        else:
            raise AssertionError(f"text after the entry: {line}")
        for char in value.rstrip(","):
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 1, line
        assert depth == 1, line  # each field closes on its own line
    assert depth == 0
    return names


def test_hostile_titles_links_and_descriptions_are_inert(site) -> None:
    text = page(site, "kz-a:hostile")
    body = main(text)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(3)&gt; &amp; &#34;quoted&#34;" in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
    # javascript: is shown as text, never linked; no Open button
    assert 'href="javascript:' not in text and "oer-open" not in body
    assert "<code>javascript:alert(1)</code>" in body
    data = main(page(site, "kz-a:data-url"))
    assert 'href="data:' not in data and "oer-open" not in data
    # the JSON-LD stays one script element, and parses to the title as harvested
    described = json_ld(text)
    assert described["name"] == HOSTILE_TITLE and "url" not in described
    assert "\\u003c/script\\u003e" in text
    # BibTeX: every field closes where it should
    bibtex = text_of("oer-bibtex", text)
    assert fields_balanced(bibtex) == ["author", "title", "publisher", "url", "language"]
    assert (r"title = {{\textbraceleft{}/script\textbraceright{}" not in bibtex
            and r'"\textbraceright{}@misc\textbraceleft{}x, ' in bibtex)
    assert (r"publisher = {100\% \& \$5 \#1 \_a\_ \textasciitilde{} \textasciicircum{} "
            r"\textbackslash{} \textbraceleft{}x\textbraceright{}}") in bibtex
    assert r'author = {"\textbraceright{}, title=\textbraceleft{}pwned and {Smith and Sons}},' \
        in bibtex
    # the citation points to the record page when the link is not a web address
    assert text_of("oer-citation", text).endswith(
        f"http://localhost/oerhub/records/{site[1]['kz-a:hostile']}")


@pytest.mark.parametrize(("value", "expected"), [
    ("https://example.org/a?b=1#c", "https://example.org/a?b=1#c"),
    ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
    ("javascript:alert(1)", None), (" javascript:alert(1)", None),
    ("data:text/html,x", None), ("//example.org/a", None), ("https://", None),
    ("https://exa mple.org", None), ("https://example.org/\nx", None), (None, None),
    ("vbscript:x", None), ("ftp://example.org/a", None),
])
def test_only_web_urls_become_links(value, expected) -> None:
    assert web_url(value) == expected


def test_the_encoders_escape_what_could_break_out() -> None:
    assert str(script_json({"t": "</script><!--\u2028&"})) == (
        '{\n "t": "\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"\n}')
    assert latex("a{b}c\\d\n e") == r"a\textbraceleft{}b\textbraceright{}c\textbackslash{}d e"
    assert bibtex_name("Ivanenko, Olena") == "Ivanenko, Olena"
    assert bibtex_name("Иваненко О. П.") == "{Иваненко О. П.}"


# --- JSON-LD --------------------------------------------------------------------------------------


def test_json_ld_says_what_the_record_says(site) -> None:
    _, ids = site
    described = json_ld(page(site, "kz-a:physics"))
    canonical = f"http://localhost/oerhub/records/{ids['kz-a:physics']}"
    assert described == {
        "@context": "https://schema.org", "@type": ["LearningResource", "CreativeWork"],
        "@id": canonical, "name": "Методика преподавания физики: учебное пособие",
        "description": DESCRIPTION,
        "url": "https://example.kz/physics", "mainEntityOfPage": canonical,
        "inLanguage": "ru", "license": "https://creativecommons.org/licenses/by-sa/4.0/",
        "educationalLevel": ["ISCED 2"], "learningResourceType": "Textbook",
        "keywords": ["Физика", "Методика"],
        "author": [{"@type": "Person", "name": "Иваненко, Олена"},
                   {"@type": "Person", "name": "Петров, Петро"}],
        "publisher": {"@type": "Organization", "name": "Мектеп"},
        "provider": {"@type": "Organization", "name": PROVIDER_A,
                     "url": "https://a.example.kz/"},
        "datePublished": "2021-05-03", "identifier": "https://doi.org/10.1234/PHYS.2021"}


# --- withdrawn, duplicates, translations, unknown ---------------------------------------------


def test_a_withdrawn_record_says_so_first_and_has_no_open_button(site) -> None:
    text = page(site, "kz-a:gone")
    body = main(text)
    notice = body.index("withdrawn by its provider on June 1, 2024")
    assert notice < body.index("<h1")
    assert "oer-open" not in body and 'name="robots" content="noindex"' in text
    assert "application/ld+json" not in text
    assert "отозвал этот ресурс 1 июня 2024\u202fг." in page(site, "kz-a:gone", "ru")


def test_also_provided_by_links_the_other_records_of_the_group(site) -> None:
    _, ids = site
    body = main(page(site, "kz-b:physics"))
    also = body[body.index("Also provided by"):]
    assert f'<a href="/oerhub/records/{ids["kz-a:physics"]}">{PROVIDER_A}</a>' in also
    assert "Also in other languages" not in body
    assert "Also provided by" not in main(page(site, "kz-a:maths"))


def test_also_in_other_languages_links_the_translation(site) -> None:
    _, ids = site
    for lang, language, reason in (("en", "Kazakh", "ISBNs of one publisher, a shared author"),
                                   ("ru", "Казахский", "ISBN одного издательства, общий автор")):
        body = main(page(site, "kz-a:chem-8", lang))
        heading = "Also in other languages" if lang == "en" else "Также на других языках"
        versions = body[body.index(heading):]
        assert (f'{language}:\n    <a href="/oerhub/records/{ids["kz-b:chem-8"]}" lang="kk" '
                f'hreflang="kk">Химия. 8-сынып</a>') in versions
        assert PROVIDER_B in versions and reason in versions
    back = main(page(site, "kz-b:chem-8"))
    assert f'href="/oerhub/records/{ids["kz-a:chem-8"]}" lang="ru"' in back


def test_an_unknown_record_is_404(site) -> None:
    client, _ = site
    assert client.get("/oerhub/records/999999").status_code == 404
    assert client.get("/oerhub/records/abc").status_code == 404


def test_the_source_page_link_works(site) -> None:
    client, _ = site
    assert client.get(f"/oerhub/sources/{A}").status_code == 200



def test_without_oerhub_installed_the_page_keeps_what_needs_no_plugin(site) -> None:
    """A snapshot served by plain Datasette without oerhub has no oerhub_record: the page
    still shows the record, links only web addresses, and leaves the citations out."""
    from datasette.plugins import pm

    from oerhub.publish import record_page

    pm.unregister(record_page)
    try:
        body = main(page(site, "kz-a:physics"))
        assert "Методика преподавания физики: учебное пособие</h1>" in body
        assert 'class="oer-open" href="https://example.kz/physics"' in body
        assert "How to cite" not in body and "Technical details" in body
        hostile = page(site, "kz-a:hostile")
        assert 'href="javascript:' not in hostile and "<script>alert" not in hostile
    finally:
        record_page.register()
    assert "How to cite" in page(site, "kz-a:physics")

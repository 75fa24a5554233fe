"""The site in the reader's language (oerhub/publish/site_i18n.py, names.py): how the language
is chosen, that it sticks, that every page says it, that names replace codes, and that the
catalogues are complete — through the Datasette `oerhub serve` runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import PROJECT, SiteClient, source_toml
from served import fetch, snapshot_serving

from oerhub.catalogue import Catalogue
from oerhub.publish import site_i18n
from oerhub.publish.names import Names
from oerhub.publish.site_i18n import available, choose, interface, lang_url, negotiate
from oerhub.registry import load_config

LOCALES = PROJECT / "oerhub" / "publish" / "locales"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteClient]:
    directory = tmp_path_factory.mktemp("language")
    config = directory / "sources.toml"
    config.write_text(source_toml("kz-a", "http://127.0.0.1:9/oai", country="KZ"),
                      encoding="utf-8")
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
    served = SiteClient.serving(db)
    yield served
    served.close()


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]*)"', page)
    assert found, page[:300]
    return found.group(1)


# --- choosing the language -----------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
    ("uk", "uk"),
    ("kk-KZ,kk;q=0.9,ru;q=0.8", "ru"),          # no Kazakh catalogue yet: the next wanted
    ("en;q=0.5,uk;q=0.9", "uk"),                # by q, not by position
    ("de-DE,fr;q=0.9", None),
    ("ru;q=0", None),                           # q=0: "not this one"
    ("*", None),
    ("", None),
    (None, None),
    ("ru;q=abc,uk", "uk"),                      # a broken q skips that entry only
    ("x" * 5000, None),
])
def test_accept_language(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    ("lang=uk", "oerhub_lang=ru", "ru", "uk"),   # the URL first
    ("", "oerhub_lang=uk", "ru", "uk"),          # then the cookie
    ("", None, "ru", "ru"),                      # then the browser
    ("", None, None, "en"),
    ("lang=../../etc/passwd", None, None, "en"),  # nonsense is no choice
    ("lang=xx", "oerhub_lang=<script>", "ru", "ru"),
    ("lang=RU-ru", None, None, "ru"),
    ("", "garbage;;==", "uk", "uk"),
])
def test_choice(query, cookie, accept, expected):
    assert choose(query, cookie, accept) == expected


def test_lang_url_keeps_the_query():
    assert lang_url("/oerhub/resources", "_search=%D1%84%D0%B8%D0%B7&lang=ru&country=KZ",
                    "uk") == "/oerhub/resources?_search=%D1%84%D0%B8%D0%B7&country=KZ&lang=uk"


# --- through the site ------------------------------------------------------------------------

def test_every_page_says_its_language(site):
    for path in ("/", "/oerhub/resources", "/-/dashboards/coverage"):
        english = site.get(path)
        russian = site.get(path, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        assert english.status_code == russian.status_code == 200, path
        assert html_lang(english.text) == "en" and html_lang(russian.text) == "ru", path
        assert russian.headers["content-language"] == "ru"
        assert "Accept-Language" in russian.headers["vary"]
    assert "Перейти к содержанию" in site.get("/", headers={"Accept-Language": "ru"}).text


def test_the_switcher_and_the_cookie(site):
    page = site.get("/oerhub/resources?country=KZ", headers={"Accept-Language": "ru"})
    for code, own_name in (("en", "English"), ("ru", "Русский"), ("uk", "Українська")):
        assert f'hreflang="{code}"' in page.text and own_name in page.text
    assert 'href="/oerhub/resources?country=KZ&amp;lang=uk"' in page.text

    chosen = site.get("/?lang=uk", headers={"Accept-Language": "ru"})
    assert html_lang(chosen.text) == "uk"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("oerhub_lang=uk;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    # the next page, without ?lang=, stays Ukrainian for this reader
    after = site.get("/oerhub/resources", headers={"Accept-Language": "ru",
                                                   "Cookie": "oerhub_lang=uk"})
    assert html_lang(after.text) == "uk" and "set-cookie" not in after.headers

    hostile = site.get("/?lang=%22%3E%3Cscript%3E", headers={"Cookie": "oerhub_lang=\"><b>"})
    assert hostile.status_code == 200 and html_lang(hostile.text) == "en"
    assert "set-cookie" not in hostile.headers and "\"><script>" not in hostile.text


def test_json_answers_are_left_alone(site):
    answer = site.get("/oerhub/resources.json?lang=ru")
    assert answer.status_code == 200 and "set-cookie" not in answer.headers


# --- names, not codes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "method", "code", "expected"), [
    ("en", "language", "kk", "Kazakh"),
    ("ru", "language", "kk", "Казахский"),
    ("uk", "language", "ky", "Киргизька"),
    ("ru", "language", "xx", "xx"),
    ("en", "country", "KG", "Kyrgyzstan"),
    ("uk", "country", "KG", "Киргизстан"),
    ("ru", "country", "kz", "Казахстан"),
    ("en", "country", None, ""),
    ("en", "type", "textbook", "Textbook"),
    ("ru", "type", "textbook", "Учебник, пособие"),
    ("uk", "type", "conference_paper", "Доповідь на конференції"),
    ("en", "type", "unknown_term", "unknown_term"),
    ("en", "level", "ISCED 1", "Primary (ISCED 1, grades 1–4)"),
    ("ru", "level", "ISCED 2", "Основное общее (МСКО 2, 5–9 классы)"),
    ("uk", "level", "ISCED 0", "Дошкільна освіта (МСКО 0)"),
    ("en", "licence", "CC-BY-NC-SA-4.0", "CC BY-NC-SA 4.0"),
    ("en", "licence", "CC-BY-3.0-DE", "CC BY 3.0 DE"),
    ("en", "licence", "LicenseRef-CC-BY-ND", "CC BY-ND (version not stated)"),
    ("ru", "licence", "LicenseRef-CC-BY", "CC BY (версия не указана)"),
    ("ru", "licence", None, "Лицензия не указана"),
    ("uk", "licence", "LicenseRef-PublicDomain", "Суспільне надбання"),
    ("en", "licence", "CC0-1.0", "CC0 1.0"),
    ("en", "licence", "GPL-3.0-only", "GPL-3.0-only"),
])
def test_names(locale, method, code, expected):
    assert getattr(interface(locale).names, method)(code) == expected


@pytest.mark.parametrize(("spdx", "elements", "words"), [
    ("CC-BY-4.0", ["by"], "also commercially, if you credit"),
    ("CC-BY-NC-ND-3.0-IGO", ["by", "nc", "nd"], "unchanged for non-commercial"),
    ("LicenseRef-CC-BY-SA", ["by", "sa"], "under the same licence"),
    ("CC0-1.0", ["zero"], "public domain"),
    ("CC-PDM-1.0", ["pd"], "public domain"),
    ("MIT", [], "free software"),
    (None, [], "No licence is stated"),
])
def test_licence_explained(spdx, elements, words):
    names = Names("en")
    assert names.licence_elements(spdx) == elements
    assert words in names.licence_sentence(spdx)


# --- the catalogues ---------------------------------------------------------------------------

def extracted() -> set[str]:
    """The message ids in the sources today, as `make messages` extracts them."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for directory, method in ((PROJECT / "oerhub" / "publish", "python"),
                              (PROJECT / "config" / "templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _, _, message, _, _ in extract_from_dir(
                directory, [(pattern, method)], keywords=keywords,
                options_map={pattern: {"encoding": "utf-8"}}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0]: m
                for m in read_po(handle) if m.id}


def test_the_template_is_up_to_date():
    template = catalogue(LOCALES / "site.pot")
    assert extracted() == set(template), "run `make messages` and translate what it adds"


@pytest.mark.parametrize("code", ["ru", "uk"])
def test_every_message_is_translated(code):
    assert code in available()
    template = catalogue(LOCALES / "site.pot")
    translated = catalogue(LOCALES / code / "LC_MESSAGES" / "site.po")
    missing = [m for m in template if not getattr(translated.get(m), "string", None)]
    assert missing == []
    for message_id, message in translated.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:  # the same %(name)s placeholders, so formatting cannot fail
            assert set(re.findall(r"%\((\w+)\)s", text)) == set(
                re.findall(r"%\((\w+)\)s", message_id)), (code, message_id)
            assert "fuzzy" not in message.flags


def test_a_catalogue_is_enough_to_add_a_language(tmp_path, monkeypatch):
    """A translator adds Kazakh with a .po file and no code: the site offers it."""
    fake = tmp_path / "locales"
    for code in ("ru", "uk"):
        (fake / code / "LC_MESSAGES").mkdir(parents=True)
        (fake / code / "LC_MESSAGES" / "site.po").write_bytes(
            (LOCALES / code / "LC_MESSAGES" / "site.po").read_bytes())
    (fake / "kk" / "LC_MESSAGES").mkdir(parents=True)
    (fake / "kk" / "LC_MESSAGES" / "site.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Skip to content"\nmsgstr "Мазмұнға өту"\n', encoding="utf-8")
    monkeypatch.setattr(site_i18n, "LOCALES_DIR", fake)
    for cached in (site_i18n.available, site_i18n.translations, site_i18n.interface):
        cached.cache_clear()
    try:
        assert available() == ("en", "kk", "ru", "uk")
        kazakh = interface("kk")
        assert kazakh.gettext("Skip to content") == "Мазмұнға өту"
        assert kazakh.names.country("KZ") == "Қазақстан"  # CLDR, with no translator's work
        assert kazakh.gettext("Textbook") == "Textbook"   # untranslated: English, not empty
        assert choose("", None, "kk-KZ,ru;q=0.5") == "kk"
    finally:
        for cached in (site_i18n.available, site_i18n.translations, site_i18n.interface):
            cached.cache_clear()


def test_numbers_in_the_reader_s_way():
    assert interface("en").format_number(1234567) == "1,234,567"
    assert interface("ru").format_number(1234567) == "1\xa0234\xa0567"


# --- a published snapshot served by plain Datasette -------------------------------------------

@pytest.mark.parametrize("with_oerhub", [True, False])
def test_a_published_snapshot_renders_under_plain_datasette(site, tmp_path, with_oerhub):
    """`oerhub publish` output served by `datasette serve`: with oerhub installed the pages
    are localised as under `oerhub serve`; without it they still render, in English."""
    from oerhub.publish.serve import load_site, publish

    db = Path(site.ds.get_database("oerhub").path)
    out = tmp_path / "snapshot"
    publish(db, out, load_site(PROJECT / "config" / "metadata.yaml"))
    with snapshot_serving(out, with_oerhub) as base:
        pages = {path: fetch(base + path, headers={"Accept-Language": "ru"})
                 for path in ("/", "/oerhub/resources", "/themes/tvet", "/no-such-page")}
    # theme pages come with oerhub (config/plugins/oerhub_gateways.py); without it that URL
    # is an error page like any unknown one, which must render too (a 404, not a 500)
    expected = {"/": 200, "/oerhub/resources": 200, "/no-such-page": 404,
                "/themes/tvet": 200 if with_oerhub else 404}
    assert {path: status for path, (status, _) in pages.items()} == expected
    for path in ("/", "/oerhub/resources"):
        assert html_lang(pages[path][1]) == ("ru" if with_oerhub else "en"), path

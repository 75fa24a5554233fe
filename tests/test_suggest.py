"""As-you-type suggestions (`/-/suggest`, issue 14): `oerhub harvest` of real-like titles and
subjects from a loopback OAI-PMH repository, then the route of the site `oerhub serve` runs:
prefixes in Russian, Kazakh, Ukrainian and Latvian, Latin for Cyrillic, deleted records
absent, the limit, hostile input, the JSON shape and its content type."""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, SiteClient, oerhub_in_process, source_toml

from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRecord, SampleRepository
from oerhub.enrich.search_step import update_search

# key → (language, title, subjects)
RECORDS: dict[str, tuple[str, str, list[str]]] = {
    "ru1": ("ru", "Задачи по физике для 9 класса", ["Физика"]),
    "ru2": ("ru", "Физика: учебник для 10 класса", ["Физика", "Механика"]),
    "ru3": ("ru", "Физиология растений", ["Биология"]),
    "ru4": ("ru", "Химия. Органическая химия", ["Химия"]),
    "ru5": ("ru", "Задачи по физике для 9 класса", ["Физика"]),  # the same title twice
    "ru6": ("ru", "История России XX века", ["История"]),
    "kk1": ("kk", "Қазақстан тарихы", ["Тарих"]),
    "kk2": ("kk", "Қазақ әдебиеті", ["Әдебиет"]),
    "uk1": ("uk", "Задачі з фізики для 8 класу", ["Фізика"]),
    "uk2": ("uk", "Історія України", ["Історія"]),
    "lv1": ("lv", "Fizikas uzdevumi 9. klasei", ["Fizika"]),
    "lv2": ("lv", "Latvijas vēsture", ["Vēsture"]),
    "uz1": ("uz", "Fizika darsligi", []),
    "en1": ("en", "Introduction to Physics", ["Physics"]),
    "gone": ("ru", "Физкультура в школе", ["Физкультура"]),  # deleted after the harvest
}


def sample(key: str, minute: int) -> SampleRecord:
    language, title, subjects = RECORDS[key]
    return SampleRecord(f"oai:suggest:{key}", datetime(2022, 5, 1) + timedelta(minutes=minute),
                        {"title": [title], "language": [language], "type": ["Text"],
                         "subject": subjects,
                         "identifier": [f"https://suggest.example.org/{key}"]})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteClient]:
    directory = tmp_path_factory.mktemp("suggest")
    records = [sample(key, n) for n, key in enumerate(RECORDS)]
    with OaiTestServer([SampleRepository("suggest", records)], batch_size=50) as server:
        (directory / "sources.toml").write_text(
            HARVEST_SETTINGS + "\n" + source_toml("suggest", server.url("suggest"), country="RU"),
            encoding="utf-8")
        result = oerhub_in_process(directory, "harvest")
    assert result.returncode == 0, result.stdout + result.stderr
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:  # a deletion, as a harvest stores it
        gone = catalogue.conn.execute("SELECT id FROM records WHERE identifier = "
                                      "'oai:suggest:gone'").fetchone()[0]
        catalogue.conn.execute("UPDATE records SET deleted = 1 WHERE id = ?", (gone,))
        catalogue.conn.execute("DELETE FROM record_subjects WHERE record_id = ?", (gone,))
        assert update_search(catalogue) == (0, 1)
    client = SiteClient.serving(db)
    yield client
    client.close()


def suggest(site: SiteClient, q: str, **more: object) -> list[tuple[str, str]]:
    answer = site.get("/-/suggest?" + urllib.parse.urlencode({"q": q, **more}))
    assert answer.status_code == 200, answer.text[:300]
    return [(row["kind"], row["text"]) for row in answer.json()["suggestions"]]


def test_the_answer_has_the_agreed_shape(site: SiteClient) -> None:
    answer = site.get("/-/suggest?q=%D1%84%D0%B8%D0%B7")  # физ
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert set(body) == {"query", "suggestions"} and body["query"] == "физ"
    for row in body["suggestions"]:
        assert set(row) == {"text", "kind", "url"} and row["kind"] in ("title", "subject")
    subject = next(row for row in body["suggestions"] if row["kind"] == "subject")
    assert subject == {"text": "Физика", "kind": "subject",
                       "url": "/oerhub/resources?_search=%D0%A4%D0%B8%D0%B7%D0%B8%D0%BA%D0%B0"}
    title = next(row for row in body["suggestions"] if row["text"].startswith("Задачи"))
    with Catalogue(Path(site.ds.databases["oerhub"].path)) as catalogue:
        first = catalogue.conn.execute(  # the title given twice: its first record's page
            "SELECT MIN(id) FROM records WHERE title = ?", (title["text"],)).fetchone()[0]
    assert title["url"] == f"/oerhub/records/{first}"
    assert site.get(title["url"]).status_code == 200
    assert site.get(subject["url"]).status_code == 200


def test_a_prefix_of_any_word_suggests_subjects_first(site: SiteClient) -> None:
    found = suggest(site, "физ")
    assert found[0] == ("subject", "Физика")
    assert ("title", "Задачи по физике для 9 класса") in found  # the second word's start
    assert ("title", "Физика: учебник для 10 класса") in found
    assert len(found) == len(set(found))  # the title of two records once
    assert found.index(("title", "Физика: учебник для 10 класса")) < found.index(
        ("title", "Задачи по физике для 9 класса"))  # the first word before the others


@pytest.mark.parametrize("q, expected, absent", [
    ("қаз", [("title", "Қазақстан тарихы"), ("title", "Қазақ әдебиеті")], []),
    ("тар", [("subject", "Тарих"), ("title", "Қазақстан тарихы")], []),
    ("әдеб", [("subject", "Әдебиет")], []),
    ("фіз", [("subject", "Фізика"), ("title", "Задачі з фізики для 8 класу")], []),
    ("істор", [("title", "Історія України")], [("title", "История России XX века")]),
    ("fizi", [("subject", "Fizika"), ("title", "Fizikas uzdevumi 9. klasei")], []),
    ("vēst", [("subject", "Vēsture"), ("title", "Latvijas vēsture")], []),
    ("vest", [("title", "Latvijas vēsture")], []),  # diacritics aside
    ("physi", [("subject", "Physics")], []),
    ("химии", [("subject", "Химия")], [("subject", "Физика")]),  # another form: its stem
    ("учебник физ", [("title", "Физика: учебник для 10 класса")],
     [("title", "Задачи по физике для 9 класса"), ("subject", "Физика")]),
])
def test_prefixes_in_the_regions_languages(site: SiteClient, q: str,
                                           expected: list[tuple[str, str]],
                                           absent: list[tuple[str, str]]) -> None:
    found = suggest(site, q)
    assert all(item in found for item in expected), found
    assert not set(absent) & set(found), found


def test_latin_for_cyrillic_after_the_querys_own_script(site: SiteClient) -> None:
    found = suggest(site, "fiz", limit=20)
    assert ("subject", "Физика") in found and ("title", "Задачи по физике для 9 класса") in found
    own = [found.index(item) for item in found if not any("а" <= ch <= "я" for ch in
                                                          item[1].lower())]
    other = [found.index(("subject", "Физика"))]
    assert max(own) < min(other)  # Fizika, Fizika darsligi … before Физика
    assert ("title", "Қазақстан тарихы") in suggest(site, "qazaq")
    assert ("title", "Fizika darsligi") in suggest(site, "физика")  # Uzbek Latin, by Cyrillic


def test_deleted_records_are_not_suggested(site: SiteClient) -> None:
    found = suggest(site, "физк", limit=20)
    assert found == []
    assert ("title", "Физкультура в школе") not in suggest(site, "физ", limit=20)


def test_the_limit(site: SiteClient) -> None:
    every = suggest(site, "f", limit=20)  # Fizika…, and Физика… by their Latin spelling
    assert len(every) > 8
    assert suggest(site, "f") == every[:8]  # the default
    assert suggest(site, "f", limit=2) == every[:2]
    for wrong in ("0", "21", "many", "-1", "2.5"):
        answer = site.get(f"/-/suggest?q=a&limit={wrong}")
        assert answer.status_code == 400 and "limit" in answer.json()["error"]


def test_empty_and_too_long_queries(site: SiteClient) -> None:
    for q in ("", "   ", "\t"):
        answer = site.get("/-/suggest?" + urllib.parse.urlencode({"q": q}))
        assert answer.status_code == 200 and answer.json() == {"query": q, "suggestions": []}
    assert site.get("/-/suggest").json() == {"query": "", "suggestions": []}
    answer = site.get("/-/suggest?" + urllib.parse.urlencode({"q": "ф" * 201}))
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert "200" in answer.json()["error"]
    assert site.get("/-/suggest?" + urllib.parse.urlencode({"q": "ф" * 200})).status_code == 200


@pytest.mark.parametrize("q", [
    'физ" OR "', 'NEAR(физ хим)', "физ*", "^физ", "title:физ", "{folded forms}: fiz", '"',
    "'; DROP TABLE suggestions; --", "физ\x00ика", "\x00", "%", "_", "\\", "\U0010ffff",
    "\ud800", "ф\u0301из", "𝔣𝔦𝔷", "😀 физ", "\u200b\u200e", "ﬁz", "İstanbul", "ß",
    "a" * 200, "а " * 100,
])
def test_hostile_input_never_fails(site: SiteClient, q: str) -> None:
    answer = site.get("/-/suggest?" + urllib.parse.urlencode({"q": q}, errors="surrogatepass"))
    assert answer.status_code == 200, answer.text[:300]
    assert isinstance(answer.json()["suggestions"], list)


def test_hostile_input_found_as_words(site: SiteClient) -> None:
    assert ("subject", "Физика") in suggest(site, '"физ')
    assert ("subject", "Физика") in suggest(site, "физ*")
    answer = site.get("/-/suggest?q=" + "x" * 10_000)
    assert answer.status_code == 400
    answer = site.get("/-/suggest?q=%ED%A0%80")  # a lone surrogate, percent-encoded
    assert answer.status_code == 200


def test_the_suggestions_follow_changes(tmp_path: Path, site: SiteClient) -> None:
    """A changed title is analysed again (only it) and its old text no longer suggested."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(site.ds.databases["oerhub"].path) as source, \
            sqlite3.connect(copy) as target:
        source.backup(target)
    with Catalogue(copy) as catalogue:
        conn = catalogue.conn
        conn.execute("UPDATE records SET title = 'Астрономия' WHERE identifier = "
                     "'oai:suggest:ru6'")
        assert update_search(catalogue) == (1, 0)
        texts = {row[0] for row in conn.execute("SELECT text FROM suggestions")}
        assert "Астрономия" in texts and "История России XX века" not in texts
        conn.execute("UPDATE records SET deleted = 1 WHERE identifier = 'oai:suggest:ru1'")
        assert update_search(catalogue) == (0, 1)
        kept = conn.execute("SELECT record_id FROM suggestions WHERE text = "
                            "'Задачи по физике для 9 класса'").fetchone()[0]
        assert kept == conn.execute("SELECT id FROM records WHERE identifier = "
                                    "'oai:suggest:ru5'").fetchone()[0]  # the other record's
        keys = conn.execute("SELECT COUNT(*) FROM suggestion_keys").fetchone()[0]
        conn.execute("UPDATE records SET deleted = 1 WHERE identifier = 'oai:suggest:ru5'")
        assert update_search(catalogue) == (0, 1)
        assert conn.execute("SELECT COUNT(*) FROM suggestions WHERE text = "
                            "'Задачи по физике для 9 класса'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM suggestion_keys").fetchone()[0] < keys
        assert not conn.execute("SELECT 1 FROM suggestion_keys WHERE suggestion_id NOT IN "
                                "(SELECT id FROM suggestions)").fetchone()  # none orphaned


def test_a_common_prefix_walks_the_keys_by_rank(site: SiteClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Past THRESHOLD keys (a common prefix at a million records), the keys of the prefix's
    first letter are walked in rank order: the same best suggestions come first."""
    from oerhub.enrich import suggest_index
    expected = {q: suggest(site, q, limit=3) for q in ("физ", "f", "fiz", "тар")}
    monkeypatch.setattr(suggest_index, "THRESHOLD", 1)
    for q, best in expected.items():
        assert suggest(site, q, limit=3) == best, q


def test_a_search_reads_a_words_start_through_the_keys(site: SiteClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`oerhub search` reads a last word's start as the title and subject words that begin
    with it, all of them or, past COMPLETIONS, those of the best suggestions."""
    from oerhub.enrich import suggest_index
    from oerhub.enrich.search_query import search
    with Catalogue(Path(site.ds.databases["oerhub"].path)) as catalogue:
        assert suggest_index.completions(catalogue.conn, "физ") == [
            "физика", "физике", "физиология"]
        titles = {row["title"] for row in search(catalogue, "физ")}
        assert "Задачи по физике для 9 класса" in titles
        monkeypatch.setattr(suggest_index, "COMPLETIONS", 1)
        assert suggest_index.completions(catalogue.conn, "физ") == ["физика"]  # the best
        assert "Физика: учебник для 10 класса" in {row["title"] for row in search(
            catalogue, "физ")}

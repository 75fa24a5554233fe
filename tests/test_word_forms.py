"""Word forms end to end (issue 14): `oerhub harvest` from a loopback OAI-PMH repository of
real-like titles in the region's 16 languages, then queries in another grammatical form of
their words, or a word's start, through the engine (`oerhub search`), each with the records it
must find and those it must not (the table: tests/word_form_table.py). Recall and precision
are measured per language and printed; in every language both must be 0.95 or more. Also:
the unit rules of the fallback, ranking, the CLI's output.

Precision here: of the listed records a query found, the share it had to find (expected)
rather than must not (forbidden); records the table lists for neither are not counted.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, SiteClient, oerhub_in_process, source_toml
from word_form_table import DESCRIPTIONS, QUERIES, RECORDS

from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRecord, SampleRepository
from oerhub.enrich import search_step
from oerhub.enrich.search_query import query_match, search
from oerhub.enrich.search_step import update_search
from oerhub.enrich.word_forms import LANGUAGES, keys, record_forms, strip_suffixes


def sample(key: str, minute: int) -> SampleRecord:
    language, title = RECORDS[key]
    return SampleRecord(f"oai:forms:{key}", datetime(2022, 5, 1) + timedelta(minutes=minute), {
        "title": [title], "language": [language], "type": ["Text"],
        **({"description": [DESCRIPTIONS[key]]} if key in DESCRIPTIONS else {}),
        "identifier": [f"https://forms.example.org/{key}"]})


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("forms")
    records = [sample(key, n) for n, key in enumerate(RECORDS)]
    with OaiTestServer([SampleRepository("forms", records)], batch_size=50) as server:
        (directory / "sources.toml").write_text(
            HARVEST_SETTINGS + "\n" + source_toml("ru-forms", server.url("forms"),
                                                  country="RU"), encoding="utf-8")
        result = oerhub_in_process(directory, "harvest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"search: {len(RECORDS)} records indexed" in result.stdout + result.stderr
    yield directory


def found_keys(catalogue: Catalogue, words: str) -> set[str]:
    return {row["identifier"].rsplit(":", 1)[1] for row in search(catalogue, words, 200)}


def measured(directory: Path) -> dict[str, tuple[float, float, int, list[str]]]:
    """Per language: (recall, precision, queries, what went wrong)."""
    totals: dict[str, list[int]] = {}
    wrong: dict[str, list[str]] = {}
    with Catalogue(directory / "oerhub.db") as opened:
        for language, words, expected, forbidden in QUERIES:
            found = found_keys(opened, words)
            counts = totals.setdefault(language, [0, 0, 0, 0])  # expected, hit, false, queries
            counts[0] += len(expected)
            counts[1] += len(found & expected)
            counts[2] += len(found & forbidden)
            counts[3] += 1
            if expected - found or found & forbidden:
                wrong.setdefault(language, []).append(
                    f"{words}: missed {sorted(expected - found)}, "
                    f"wrongly {sorted(found & forbidden)}")
    return {language: (hit / total, hit / (hit + false) if hit + false else 1.0, queries,
                       wrong.get(language, []))
            for language, (total, hit, false, queries) in totals.items()}


def test_the_table_covers_the_sixteen_languages() -> None:
    assert {language for language, *_ in QUERIES} == set(LANGUAGES)
    assert all(key in RECORDS for *_, expected, forbidden in QUERIES
               for key in expected | forbidden)
    assert len(QUERIES) >= 400
    assert len({(language, words) for language, words, *_ in QUERIES}) == len(QUERIES)
    assert all(expected and not expected & forbidden for *_, expected, forbidden in QUERIES)


def test_recall_and_precision_per_language(catalogue: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Every language the engine analyses (a library's analyser, or our suffix stripping
    where none exists) reaches 0.95 in recall and in precision."""
    results = measured(catalogue)
    with capsys.disabled():
        print(f"\nword forms, {len(QUERIES)} queries: language recall precision (queries)")
        for language, (recall, precision, queries, wrong) in sorted(results.items()):
            print(f"  {language} {recall:.3f} {precision:.3f} ({queries})  {'; '.join(wrong)}")
    for language in LANGUAGES:
        recall, precision, _, wrong = results[language]
        assert recall >= 0.95 and precision >= 0.95, (language, recall, precision, wrong)


def test_issue_examples(catalogue: Path) -> None:
    with Catalogue(catalogue / "oerhub.db") as opened:
        assert {"ru1", "ru2", "ru3"} <= found_keys(opened, "физика")
        assert "ru4" not in found_keys(opened, "физика")  # Физиология растений
        assert not {"ru1", "ru2", "ru3"} & found_keys(opened, "химия")
        assert {"ru2", "ru3"} <= found_keys(opened, "учебник физики")
        assert {"ru1", "ru2", "ru3"} <= found_keys(opened, "физ")
        assert "kk1" in found_keys(opened, "қазақ")  # Қазақстан тарихы


def test_the_exact_form_and_the_title_rank_first(catalogue: Path) -> None:
    with Catalogue(catalogue / "oerhub.db") as opened:
        ranked = [row["identifier"].rsplit(":", 1)[1] for row in search(opened, "физики")]
        assert ranked[0] == "ru3"  # "Учебник физики": the form typed
        assert ranked[-1] == "ru13"  # физике in its description only: last
        ranked = [row["identifier"].rsplit(":", 1)[1] for row in search(opened, "fizika")]
        latin = {"uz2", "az2", "tk2"}
        assert set(ranked[:3]) == latin  # the query's own script first
        assert {"ru2", "kk3"} <= set(ranked[3:])  # then Физика in Cyrillic


def test_filters_by_country_and_language(catalogue: Path) -> None:
    with Catalogue(catalogue / "oerhub.db") as opened:
        assert {row["language"] for row in search(opened, "fizika", 50, language="uz")} == {
            "uz"}
        assert search(opened, "fizika", 50, country="LV") == []
        assert search(opened, "физика", 50, country="RU")


def test_oerhub_search_command(catalogue: Path) -> None:
    result = oerhub_in_process(catalogue, "search", "учебник", "физики", "--json",
                               "--limit", "5", "--language", "ru")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["identifier"] for row in rows][:2] == ["oai:forms:ru3", "oai:forms:ru2"]
    assert {"identifier", "source_id", "title", "url", "language"} <= set(rows[0])
    assert rows[0]["url"] == "https://forms.example.org/ru3"
    plain = oerhub_in_process(catalogue, "search", "физ", "--country", "ru")
    assert plain.returncode == 0 and "Учебник физики. Механика" in plain.stdout
    none = oerhub_in_process(catalogue, "search", "квантовая", "хромодинамика")
    assert none.returncode == 0 and none.stdout == "" and "Nothing found" in none.stderr


def test_the_sites_ranked_search_reads_word_forms(catalogue: Path) -> None:
    """/oerhub/search (`oerhub serve`) reads q as `oerhub search` does; the Resources page's
    box keeps the words as typed."""
    site = SiteClient.serving(catalogue / "oerhub.db")
    try:
        answer = site.get("/oerhub/search.json?" + urllib.parse.urlencode(
            {"q": "учебник физики", "_shape": "array"}))
        assert answer.status_code == 200, answer.text[:300]
        titles = [row["title"] for row in answer.json()]
        assert titles[:2] == ["Учебник физики. Механика", "Физика: учебник для 10 класса"]
        answer = site.get("/oerhub/search.json?" + urllib.parse.urlencode(
            {"q": 'физ" OR "', "_shape": "array"}))
        assert answer.status_code == 200  # typed quotes and OR are words, not syntax
        assert answer.json() == []  # (no record has the word "or")
        answer = site.get("/oerhub/search.json?" + urllib.parse.urlencode(
            {"q": 'физ"', "_shape": "array"}))
        assert len(answer.json()) >= 3
    finally:
        site.close()


def test_a_changed_record_is_analysed_again_and_only_it(catalogue: Path,
                                                         tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(catalogue / "oerhub.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with Catalogue(copy) as opened:
        opened.conn.execute("UPDATE records SET title = 'Сборник задач по химии' "
                            "WHERE identifier = 'oai:forms:ru1'")
        assert update_search(opened) == (1, 0)
        assert "ru1" not in found_keys(opened, "физика")  # its old forms are gone
        assert "ru1" in found_keys(opened, "химия")
        assert "ru1" in found_keys(opened, "сборники")
        assert update_search(opened) == (0, 0)


def test_a_new_analysis_reindexes_everything_once(catalogue: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(catalogue / "oerhub.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    monkeypatch.setattr(search_step, "FOLDING_VERSION", search_step.FOLDING_VERSION + 1)
    with Catalogue(copy) as opened:
        assert update_search(opened) == (len(RECORDS), 0)
        assert update_search(opened) == (0, 0)
        assert "ru1" in found_keys(opened, "физика")


def test_an_index_without_word_forms_is_made_anew(catalogue: Path, tmp_path: Path) -> None:
    """A catalogue whose records_search predates word forms (five columns): the step makes
    the table anew and indexes every record, even under the same folding mark."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(catalogue / "oerhub.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with Catalogue(copy) as opened:
        with opened.transaction():
            opened.conn.execute("DROP TABLE records_search")
            opened.conn.execute(
                "CREATE VIRTUAL TABLE records_search USING fts5(title, description, subjects, "
                "creators, folded, content = '', tokenize = 'unicode61 remove_diacritics 2')")
        assert update_search(opened) == (len(RECORDS), 0)
        columns = [row[1] for row in opened.conn.execute("PRAGMA table_info(records_search)")]
        assert columns[-2:] == ["forms", "text_forms"]
        assert "ru1" in found_keys(opened, "физика")


def test_a_query_is_answered_fast(catalogue: Path) -> None:
    with Catalogue(catalogue / "oerhub.db") as opened:
        search(opened, "учебник физики")  # the analysers loaded
        started = time.perf_counter()
        for language, words, *_ in QUERIES:
            search(opened, words)
        assert (time.perf_counter() - started) / len(QUERIES) < 0.05


def test_a_query_read_in_one_language() -> None:
    assert "{folded forms text_forms}" not in query_match("fizikas", "lv")  # Latin only
    assert '"fizika"' in query_match("fizikas", "lv")  # simplemma's lemma
    assert '"физик"' in query_match("fizike", "ru")
    assert query_match("физике", "en") == '("физике" OR "физике"*)'  # nothing to analyse


def test_query_syntax_is_quoted_safely() -> None:
    assert query_match('физика" OR "химия') .count('"физика"""') == 1
    assert query_match("") == "" and query_match("  ... ") == ""
    assert query_match("NEAR(a b)").startswith('"NEAR(a"')


def test_the_fallback_strips_endings_and_keeps_short_stems() -> None:
    assert strip_suffixes("тарихы", "kk") == "тарих"
    assert strip_suffixes("оқулығы", "kk") == "оқулық"  # ғ at the stem's end is қ
    assert strip_suffixes("masalalari", "uz") == "masala"
    assert strip_suffixes("kitaby", "tk") == "kitap"
    assert strip_suffixes("тили", "ky") == "тили"  # тил: too short to tell from a suffix
    assert strip_suffixes("қазақ", "kk") == "қазақ"


def test_analysers_per_language() -> None:
    assert keys("физике", "ru") == {"физик"}
    assert "фізика" in keys("фізики", "uk")  # simplemma's lemma
    assert "fizika" in keys("fizikas", "lv")
    assert keys("physics", "en") == {"physic"}
    assert record_forms(["Задачи", "по", "физике"], "ru", "RU").split() == [
        "задач", "физик"]

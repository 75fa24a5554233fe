"""Duplicates and translations end to end: two loopback OAI-PMH repositories that share resources.

A national aggregate and a university repository of Kazakhstan give some resources both, each
in its own spelling: a DOI written two ways, one handle as a resolver link and a DSpace page,
one link over http with `www.` and a trailing slash and over https without, one textbook
title in other capitals and punctuation by "Иваненко О. П." and "Ivanenko, Olena". False
friends must stay apart: one title by different authors, one title and author in two
languages, a proceedings volume's DOI that the aggregate gives to two papers. Translations
must be linked: a Russian and a Kazakh chemistry textbook of one publisher's ISBN block by the
same authors (Cyrillic and Latin spellings), a Kazakh book that names its Russian original,
and a Russian and an Uzbek book of one series by Хасанов/Xasanov; the Kazakh grade 9 book of the
same block and authors must not be linked to the Russian grade 8.

`oerhub harvest` runs as a user runs it; the groups, the browse view (Datasette in-process),
the record pages and the coverage report are checked; then the repositories change (a DOI
corrected, a language corrected, a record deleted) and the next harvest regroups. Last, random
rounds of edits, deletions and additions on pools of shared keys: after each, the incremental
run must give exactly what a run over everything gives.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from conftest import HARVEST_SETTINGS, SiteClient, oerhub_in_process, source_toml
from stdnum import ean

from oerhub.catalogue import Catalogue as Store
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRecord, SampleRepository, make_records
from oerhub.enrich.duplicates import RULES, STEP, regroup
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.normalize.dates import utc_now
from oerhub.registry import Config, Source
from oerhub.renormalize import renormalize

NATIONAL, UNIVERSITY = "kz-national", "kz-univer"
NAMES = {NATIONAL: f"Test source {NATIONAL}", UNIVERSITY: f"Test source {UNIVERSITY}"}
START = datetime(2023, 3, 1)


def record(identifier: str, title: str, language: str, creators: list[str],
           identifiers: list[str], relation: list[str] | None = None) -> SampleRecord:
    fields = {"title": [title], "creator": creators, "language": [language],
              "identifier": identifiers, "type": ["Text"],
              "rights": ["https://creativecommons.org/licenses/by/4.0/"]}
    if relation:
        fields["relation"] = relation
    return SampleRecord(identifier, START + timedelta(minutes=len(identifier)), fields)


# (national record, university record): the same resource, grouped for the reason given.
DUPLICATES = {
    ("a:doi", "b:doi"): "doi",
    ("a:hdl", "b:hdl"): "hdl",
    ("a:url", "b:url"): "url",
    ("a:title", "b:title"): "title",
}
# (national record, university record): one work in two languages.
TRANSLATIONS = {
    ("a:chem-8", "b:chem-8"): "isbn-family",
    ("a:ecology", "b:ecology"): "relation",
    ("a:maths-5", "b:maths-5"): "series",
}


def national() -> list[SampleRecord]:
    nab = "https://nab.example.kz/record"
    return [
        record("a:doi", "Синтез наночастиц серебра", "ru", ["Нұрланов, Ә."],
               ["https://doi.org/10.31489/2020CH1/14-23", f"{nab}/1"]),
        record("a:hdl", "Тарих және мәдениет", "kk", ["Омаров Е."],
               ["https://hdl.handle.net/20.500.12345/678"]),
        record("a:url", "Қазақ тілі грамматикасы", "kk", ["Сейітова Ж."],
               ["http://www.journal.example.kz/article/view/55/"]),
        record("a:title", "Методика преподавания физики: учебное пособие", "ru",
               ["Иваненко О. П."], [f"{nab}/4"]),
        record("a:friend", "Введение в специальность", "ru", ["Петров П. П."], [f"{nab}/5"]),
        record("a:informatics", "Информатика", "ru", ["Сейтқали, А."], [f"{nab}/6"]),
        record("a:chem-8", "Химия. 8 класс", "ru", ["Темірбеков Н. А.", "Оспанова Г."],
               ["ISBN 978-601-07-0123-6", f"{nab}/7"]),
        record("a:ecology", "Основы экологии", "ru", ["Ахметов Б."], [f"{nab}/8"]),
        record("a:paper-1", "Об одной задаче теплопроводности", "ru", ["Ким В."],
               ["https://doi.org/10.5555/conf.2021", f"{nab}/9"]),
        record("a:paper-2", "О сходимости разностных схем", "ru", ["Ли С."],
               ["https://doi.org/10.5555/conf.2021", f"{nab}/10"]),
        record("a:maths-5", "Математика 5", "ru", ["Хасанов Р."], [f"{nab}/11"],
               relation=["Серия: Open School Library"]),
        *make_records("nab", 5, ["ru"]),  # resources of its own
    ]


def university() -> list[SampleRecord]:
    ir = "https://ir.univer.example.kz"
    return [
        record("b:doi", "Synthesis of silver nanoparticles", "en", ["Nurlanov, A."],
               ["doi:10.31489/2020ch1/14-23"]),
        record("b:hdl", "Тарих пен мәдениет", "kk", ["Omarov, Y."],
               [f"{ir}/handle/20.500.12345/678"]),
        record("b:url", "Kazakh grammar", "en", ["Seitova, Zh."],
               ["https://journal.example.kz/article/view/55"]),
        record("b:title", "МЕТОДИКА ПРЕПОДАВАНИЯ ФИЗИКИ (учебное пособие)", "ru",
               ["Ivanenko, Olena"], [f"{ir}/items/4"]),
        record("b:friend", "Введение в специальность", "ru", ["Сидоров С. С."], [f"{ir}/items/5"]),
        record("b:informatics", "Информатика", "kk", ["Seitqali, A."], [f"{ir}/items/6"]),
        record("b:chem-8", "Химия. 8-сынып", "kk", ["Temirbekov, N.", "Ospanova, G."],
               ["978-601-07-0124-3", f"{ir}/items/7"]),
        record("b:chem-9", "Химия. 9-сынып", "kk", ["Temirbekov, N."],
               ["978-601-07-0200-4", f"{ir}/items/70"]),
        record("b:ecology", "Экология негіздері", "kk", ["Akhmetov, B."], [f"{ir}/items/8"],
               relation=["isTranslationOf: https://nab.example.kz/record/8"]),
        record("b:paper", "On a heat conduction problem", "en", ["Kim, V."],
               ["https://doi.org/10.5555/CONF.2021"]),
        record("b:maths-5", "Matematika 5", "uz", ["Xasanov, R."], [f"{ir}/items/11"],
               relation=["Series: Open School Library"]),
        *make_records("univer", 5, ["kk"]),
    ]


# --- the catalogue, harvested as a user harvests ----------------------------------------------


class Site(SiteClient):
    """The site `oerhub serve` runs, reading a table's rows."""

    def rows(self, table: str, **params: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({**params, "_shape": "objects", "_size": "max"})
        response = self.get(f"/oerhub/{table}.json?{query}")
        assert response.status_code == 200, response.text[:500]
        return response.json()["rows"]  # type: ignore[no-any-return]



class Catalogue:
    def __init__(self, db: Path) -> None:
        self.db = db

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def ids(self) -> dict[str, int]:
        return {row["identifier"]: row["id"] for row in self.query(
            "SELECT id, identifier FROM records")}

    def groups(self) -> dict[frozenset[str], set[str]]:
        """Each group as its records' identifiers, with the reasons given."""
        found: dict[int, dict[str, str]] = {}
        for row in self.query("SELECT g.group_id, g.reason, r.identifier FROM record_groups g "
                              "JOIN records r ON r.id = g.record_id WHERE r.deleted = 0"):
            found.setdefault(row["group_id"], {})[row["identifier"]] = row["reason"]
        return {frozenset(members): set(members.values()) for members in found.values()}

    def translations(self) -> dict[frozenset[str], str]:
        """Each link (both ways stored) as the identifiers of the two groups' records."""
        members: dict[int, list[str]] = {}
        for row in self.query("SELECT g.group_id, r.identifier FROM record_groups g "
                              "JOIN records r ON r.id = g.record_id"):
            members.setdefault(row["group_id"], []).append(row["identifier"])
        names = {row["id"]: row["identifier"] for row in self.query(
            "SELECT id, identifier FROM records")}
        links = {}
        rows = self.query("SELECT * FROM translation_links")
        pairs = {(row["group_id"], row["other_group_id"]): row["reason"] for row in rows}
        for (a, b), reason in pairs.items():
            assert pairs[(b, a)] == reason  # stored both ways
            if a < b:
                side = [frozenset(members.get(g, [names[g]])) for g in (a, b)]
                links[frozenset(side)] = reason
        return links


class Harvest:
    """A harvested catalogue with its repositories (still served) and the CLI to run."""

    def __init__(self, directory: Path, repositories: dict[str, SampleRepository],
                 server: OaiTestServer) -> None:
        self.dir = directory
        self.catalogue = Catalogue(directory / "oerhub.db")
        self.repositories = repositories
        self.server = server

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return oerhub_in_process(self.dir, *args)

    def copy(self, directory: Path) -> Harvest:
        """The same catalogue and registry in another directory (to change it there)."""
        (directory / "sources.toml").write_text((self.dir / "sources.toml").read_text())
        source, target = (sqlite3.connect(self.dir / "oerhub.db"),
                          sqlite3.connect(directory / "oerhub.db"))
        with target:
            source.backup(target)
        source.close()
        target.close()
        return Harvest(directory, self.repositories, self.server)


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvest]:
    """One harvest of both repositories, shared by the tests that only read."""
    directory = tmp_path_factory.mktemp("duplicates")
    repositories = {NATIONAL: SampleRepository(NATIONAL, national()),
                    UNIVERSITY: SampleRepository(UNIVERSITY, university())}
    with OaiTestServer(repositories.values()) as server:
        (directory / "sources.toml").write_text(HARVEST_SETTINGS + "\n" + "\n".join(
            source_toml(name, server.url(name), country="KZ") for name in repositories),
            encoding="utf-8")
        harvest = Harvest(directory, repositories, server)
        result = harvest.run("harvest")
        assert result.returncode == 0, result.stderr
        assert "duplicates: all records keyed" in result.stdout
        assert ("4 resources given by several records (8 records, 4 duplicates); "
                "3 translation links") in result.stdout
        yield harvest


def both(pair: tuple[str, str]) -> frozenset[str]:
    return frozenset(pair)


def linked(pair: tuple[str, str]) -> frozenset[frozenset[str]]:
    """A translation link between two records alone (each its own group)."""
    return frozenset(frozenset([identifier]) for identifier in pair)


def test_shared_resources_are_grouped_and_false_friends_are_not(harvested) -> None:
    catalogue = harvested.catalogue

    assert catalogue.groups() == {both(pair): {reason} for pair, reason in DUPLICATES.items()}
    grouped = {identifier for pair in DUPLICATES for identifier in pair}
    # the false friends are all alone
    for identifier in ("a:friend", "b:friend", "a:informatics", "b:informatics", "a:paper-1",
                       "a:paper-2", "b:paper"):
        assert identifier not in grouped
    # the group is named by its smallest record id
    for row in catalogue.query("SELECT group_id, record_id FROM record_groups"):
        members = [r["record_id"] for r in catalogue.query(
            "SELECT record_id FROM record_groups WHERE group_id = ?", (row["group_id"],))]
        assert row["group_id"] == min(members)


def test_translations_are_linked_only_with_evidence(harvested) -> None:
    catalogue = harvested.catalogue

    assert catalogue.translations() == {linked(pair): reason for pair, reason in
                                        TRANSLATIONS.items()}
    # same title and author in two languages is no evidence; grade 9 is not grade 8
    in_links = {identifier for pair in TRANSLATIONS for identifier in pair}
    assert not in_links & {"a:informatics", "b:informatics", "b:chem-9"}


def test_the_browse_view_shows_one_row_per_resource_with_all_providers(harvested) -> None:
    catalogue = harvested.catalogue
    ids = catalogue.ids()
    live = catalogue.query("SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"]
    site = Site.serving(catalogue.db)
    try:
        rows = site.rows("unique_resources")
        assert len(rows) == live - len(DUPLICATES)
        by_id = {row["id"]: row for row in rows}
        for (a, b) in DUPLICATES:
            row = by_id[min(ids[a], ids[b])]
            assert json.loads(row["providers"]) == sorted(NAMES.values())
            assert row["records"] == 2
            assert max(ids[a], ids[b]) not in by_id
        alone = by_id[ids["a:friend"]]
        assert json.loads(alone["providers"]) == [NAMES[NATIONAL]] and alone["records"] == 1
        chemistry = by_id[ids["a:chem-8"]]
        assert json.loads(chemistry["languages"]) == ["kk", "ru"]
        assert chemistry["translations"] == 1
        assert json.loads(by_id[ids["b:chem-9"]]["languages"]) == ["kk"]
        # the doi group: records in English and Russian, no translation
        assert json.loads(by_id[min(ids["a:doi"], ids["b:doi"])]["languages"]) == ["en", "ru"]
        # searchable, and a search finds the resource once
        found = site.rows("unique_resources", _search="методика")
        assert [row["id"] for row in found] == [min(ids["a:title"], ids["b:title"])]

        page = site.get(f"/oerhub/records/{ids['b:title']}")
        assert page.status_code == 200
        assert "Also provided by" in page.text
        assert f'href="/oerhub/records/{ids["a:title"]}"' in page.text
        assert "Also in other languages" not in page.text
        page = site.get(f"/oerhub/records/{ids['a:chem-8']}").text
        assert "Also in other languages" in page and "Also provided by" not in page
        assert f'href="/oerhub/records/{ids["b:chem-8"]}"' in page
        assert "ISBNs of one publisher" in page
        assert "Also in" not in site.get(f"/oerhub/records/{ids['a:friend']}").text
        table = site.get("/oerhub/unique_resources?_view=table").text
        assert f"{NAMES[NATIONAL]} · {NAMES[UNIVERSITY]}" in table
        cards = site.get("/oerhub/unique_resources").text  # a card says "from 2 sources"
        assert "from 2 sources" in cards and "also in 1 other language" in cards
        shared = site.rows("shared_resources")
        assert {row["id"] for row in shared} == {min(ids[a], ids[b]) for a, b in DUPLICATES}
    finally:
        site.close()


def test_the_coverage_report_counts_unique_resources_beside_records(harvested) -> None:
    catalogue, run_oerhub = harvested.catalogue, harvested.run
    live = catalogue.query("SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"]

    result = run_oerhub("report", "coverage", "--format", "json")
    assert result.returncode == 0, result.stderr
    kz = next(row for row in json.loads(result.stdout) if row["country"] == "KZ")
    assert (kz["records"], kz["unique_resources"]) == (live, live - len(DUPLICATES))

    table = run_oerhub("report", "coverage").stdout.splitlines()
    assert table[0].split()[5:7] == ["records", "unique"]
    total = table[-1].split()
    assert total[total.index("countries") + 4:][:2] == [str(live), str(live - len(DUPLICATES))]


def test_the_next_harvest_regroups_what_changed(harvested: Harvest, tmp_path: Path) -> None:
    harvest = harvested.copy(tmp_path)
    catalogue = harvest.catalogue
    # time passes: the step last ran a second after the harvest (marks are whole seconds, and
    # the records of the mark's second are keyed again)
    second = utc_now()
    while utc_now() == second:
        time.sleep(0.05)
    with Store(catalogue.db) as store, store.transaction():
        store.set_enrich_mark(STEP, f"{RULES}|{utc_now()}")
    university = harvest.repositories[UNIVERSITY]
    # the university corrects a DOI: no longer the aggregate's article
    university.records["b:doi"].fields["identifier"] = ["doi:10.31489/2021CH2/1-9"]
    university.edit("b:doi")
    # it corrects a language: now the same title and author in the same language
    university.edit("b:informatics", language=["ru"])
    # the aggregate deletes its copy of the grammar: the university's is alone again
    harvest.repositories[NATIONAL].delete("a:url")

    result = harvest.run("harvest")
    assert result.returncode == 0, result.stderr
    assert "duplicates: 3 changed records keyed" in result.stdout

    expected = {both(pair): {reason} for pair, reason in DUPLICATES.items()
                if reason not in ("doi", "url")}
    expected[both(("a:informatics", "b:informatics"))] = {"title"}
    assert catalogue.groups() == expected
    assert catalogue.translations() == {linked(pair): reason for pair, reason in
                                        TRANSLATIONS.items()}

    # what a run over everything gives is what the incremental run gave
    before = (catalogue.query("SELECT * FROM record_groups ORDER BY record_id"),
              catalogue.query("SELECT * FROM translation_links ORDER BY 1, 2"))
    with Store(catalogue.db) as store:
        assert regroup(store, full=True).full
    after = (catalogue.query("SELECT * FROM record_groups ORDER BY record_id"),
             catalogue.query("SELECT * FROM translation_links ORDER BY 1, 2"))
    assert [[tuple(r) for r in rows] for rows in after] == \
        [[tuple(r) for r in rows] for rows in before]

    # renormalize rewrites records without touching last_changed: the next run keys them all
    conn = sqlite3.connect(catalogue.db)
    with conn:
        conn.execute("UPDATE records SET title = 'mapped by an older mapper' "
                     "WHERE identifier = 'b:title'")
    conn.close()
    with Store(catalogue.db) as store:
        assert renormalize(store)[0] == 1
        assert regroup(store).full
    assert catalogue.groups() == expected


# --- incremental = from scratch, on random changes ---------------------------------------------

TITLES = ["Физика", "ФИЗИКА.", "Химия", "История Казахстана", "Информатика"]
PEOPLE = [("Иванов И. И.", "Ivanov, I."), ("Петров П.", "Petrov, P."), ("Ким В.", "Kim, V.")]


def random_record(rng: random.Random, source: str, n: int, stamp: str
                  ) -> tuple[Record, RawRecord]:
    """A record drawing its keys from small pools, so that records meet and part."""
    language = rng.choice(["ru", "kk", "kk", None])
    title = f"{rng.choice(TITLES)} {rng.randint(1, 2)}"
    creators = [rng.choice(rng.choice(PEOPLE))] if rng.random() < 0.8 else []
    identifiers = [f"https://{source}.example.kz/items/{n}"]
    if rng.random() < 0.4:
        k = rng.randint(0, 9)
        identifiers.append(rng.choice([f"https://doi.org/10.1000/X{k}", f"doi:10.1000/x{k}"]))
    if rng.random() < 0.4:
        k = rng.randint(0, 9)
        identifiers.append(rng.choice([f"http://www.shared.example.kz/item/{k}/",
                                       f"https://shared.example.kz/item/{k}"]))
    if rng.random() < 0.3:
        base = f"97860107{rng.randint(0, 20):04d}"
        identifiers.append(f"ISBN {base}{ean.calc_check_digit(base)}")
    relations = []
    if rng.random() < 0.15:
        relations.append(f"isTranslationOf: https://shared.example.kz/item/{rng.randint(0, 9)}")
    if rng.random() < 0.15:
        relations.append(f"Серия: {rng.choice(['Мектеп', 'Open School'])}")
    dc = "".join(f"<dc:{name}>{escape(value)}</dc:{name}>" for name, values in (
        ("title", [title]), ("creator", creators), ("identifier", identifiers),
        ("relation", relations)) for value in values)
    raw = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc>')
    identifier = f"oai:{source}:{n}"
    return (Record(source, identifier, stamp, title=title, url=identifiers[0], language=language,
                   country="KZ", creators=creators, identifiers=identifiers),
            RawRecord(source, identifier, stamp, False, "oai_dc", raw))


def snapshot(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT * FROM record_groups ORDER BY record_id").fetchall(),
                conn.execute("SELECT * FROM translation_links ORDER BY 1, 2").fetchall())
    finally:
        conn.close()


def test_incremental_regrouping_gives_what_regrouping_everything_gives(tmp_path: Path) -> None:
    rng = random.Random(7)
    sources = ("s1", "s2", "s3")
    db = tmp_path / "random.db"
    with Store(db) as store:
        store.sync_sources(Config(path=db, sources=tuple(
            Source(id=s, name=s, country="KZ", protocol="oai-pmh", url="http://127.0.0.1/oai")
            for s in sources)))
        numbers = {s: list(range(40)) for s in sources}

        def write(source: str, pairs: list[tuple[Record, RawRecord]]) -> None:
            run = store.start_run(source, "full", None)
            store.store_batch(RunProgress(run, source, 0, 0), Batch([w for _, w in pairs], None, normalised=[r for r, _ in pairs]))
            assert store.finish_run(run, source, "ok") == "ok"

        for source in sources:
            write(source, [random_record(rng, source, n, "2024-01-01T00:00:00Z")
                           for n in numbers[source]])
        regroup(store)
        assert snapshot(db)[0] and snapshot(db)[1]  # the pools make groups and links
        for round_ in range(6):
            # what the last run saw is older than its mark, as when time has passed
            store.conn.execute("UPDATE records SET last_changed = '2000-01-01T00:00:00Z'")
            store.set_enrich_mark(STEP, f"{RULES}|2000-01-01T00:00:01Z")
            for source in sources:
                stamp = f"2024-02-0{round_ + 1}T00:00:00Z"
                picked = rng.sample(numbers[source], 5)
                edited = [random_record(rng, source, n, stamp) for n in picked[:4]]
                gone = picked[4:]
                new = [max(numbers[source]) + 1 + i for i in range(2)]
                numbers[source] = [n for n in numbers[source] if n not in gone] + new
                deleted = [(Record(source, f"oai:{source}:{n}", stamp, deleted=True),
                            RawRecord(source, f"oai:{source}:{n}", stamp, True, "oai_dc", None))
                           for n in gone]
                write(source, edited + deleted + [random_record(rng, source, n, stamp)
                                                  for n in new])
            result = regroup(store)
            assert not result.full and result.rekeyed == len(sources) * 7
            incremental = snapshot(db)
            copy = tmp_path / f"copy{round_}.db"
            with sqlite3.connect(copy) as target:
                store.conn.backup(target)
            target.close()
            with Store(copy) as scratch:
                assert regroup(scratch, full=True).full
            assert snapshot(copy) == incremental, f"round {round_}"

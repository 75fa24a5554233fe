"""Themes (config/themes.toml): the loader's checks, each theme's rules on real-like records in
several languages (what it must include and must not), the `themes` step (incremental, and
everything again when the themes change) and `oerhub report coverage --theme`, whose
figures are checked against the catalogue's own rows."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import oerhub_in_process, source_toml

from oerhub.catalogue import Catalogue
from oerhub.enrich import STEPS
from oerhub.enrich.themes import THEMES_FILE, Matcher, load_themes, update_themes
from oerhub.errors import ConfigError
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.normalize.resource_type import RESOURCE_TYPES

REQUIRED = ("teacher-education", "tvet", "inclusive-education", "early-childhood",
            "higher-education", "ict-education", "arctic")

# A real-like record: (title, subjects, description, language, country, ISCED levels, type).
Sample = tuple[str, list[str], str, str, str, list[str], str | None]


def rec(title: str, language: str, country: str, subjects: list[str] | None = None,
        description: str = "", levels: list[str] | None = None,
        kind: str | None = None) -> Sample:
    return (title, subjects or [], description, language, country, levels or [], kind)


# Per theme: records it must include and records it must not, in the region's languages.
CASES: dict[str, tuple[list[Sample], list[Sample]]] = {
    "teacher-education": ([
        rec("Підготовка вчителів початкових класів", "uk", "UA"),
        rec("Курсы повышения квалификации учителей математики", "ru", "RU"),
        rec("Mokytojų kvalifikacijos tobulinimas", "lt", "LT", ["mokytojai"]),
        rec("Методика преподавания физики в школе", "ru", "KZ"),
        rec("Cyber lessons", "en", "GE", description="A course in pedagogy for in-service "
            "teacher training."),
        rec("Õpetajate täiendkoolitus", "et", "EE", ["õpetaja"]),
    ], [
        rec("Учебное пособие по физике", "ru", "RU"),
        rec("Introduction to chemistry", "en", "UA"),
        rec("Fizikos vadovėlis", "lt", "LT"),
    ]),
    "tvet": ([
        rec("Электротехника для колледжей", "ru", "KZ"),
        rec("Професійно-технічна освіта: зварювальник", "uk", "UA"),
        rec("Vocational training for welders", "en", "MD"),
        rec("Profesionālā izglītība: pavāra darbs", "lv", "LV"),
        rec("Основы бухгалтерского учёта", "ru", "BY", levels=["ISCED 4"]),
    ], [
        rec("Электротехника: учебник для вузов", "ru", "RU", levels=["ISCED 6"]),
        rec("Veterinary anatomy", "en", "UA"),
    ]),
    "inclusive-education": ([
        rec("Інклюзивна освіта дітей з особливими освітніми потребами", "uk", "UA"),
        rec("Обучение детей с ограниченными возможностями здоровья", "ru", "RU"),
        rec("Teaching pupils with special needs", "en", "GE"),
        rec("Hariduslike erivajadustega õpilased", "et", "EE"),
    ], [
        rec("Inclusion–exclusion principle in combinatorics", "en", "UA"),
        rec("Акт приёмки учебного оборудования", "ru", "RU"),
    ]),
    "early-childhood": ([
        rec("Дошкольникам о природе", "ru", "RU"),
        rec("Розвиток мовлення в дитячому садку", "uk", "UA"),
        rec("Ikimokyklinio ugdymo programa", "lt", "LT"),
        rec("Lasteaia õppekava", "et", "EE"),
        rec("Счёт до десяти", "ru", "KZ", levels=["ISCED 0"]),
    ], [
        rec("Алгебра 9 класс", "ru", "KZ", levels=["ISCED 2"]),
        rec("Sadovodstvo i ogorodnichestvo", "en", "UZ"),
    ]),
    "higher-education": ([
        rec("Организация учебного процесса в вузе", "ru", "RU"),
        rec("Курс для студентів університету", "uk", "UA"),
        rec("Organic chemistry", "en", "AM", levels=["ISCED 6"], kind="textbook"),
        rec("Augstākās izglītības kvalitāte", "lv", "LV"),
    ], [
        rec("Математика 5 класс", "ru", "UZ", levels=["ISCED 1"]),
        rec("Школьная библиотека", "ru", "RU"),
    ]),
    "ict-education": ([
        rec("Дистанционное обучение в школе", "ru", "KZ"),
        rec("Змішане навчання у закладах освіти", "uk", "UA"),
        rec("Building a MOOC with Moodle", "en", "AZ"),
        rec("Tālmācības rīki skolotājiem", "lv", "LV"),
    ], [
        rec("Акт выполненных работ", "ru", "RU"),
        rec("Learning to read", "en", "UA"),
    ]),
    "arctic": ([
        rec("Коренные малочисленные народы Севера: язык и культура", "ru", "RU"),
        rec("Образование в Арктике", "ru", "RU"),
        rec("Permafrost and climate", "en", "RU"),
        rec("Ненецкий язык для начальной школы", "ru", "RU"),
        rec("Арктична політика", "uk", "UA"),
    ], [
        rec("Arctic Monkeys: lyrics for English lessons", "en", "RU"),
        rec("Северная Корея: история", "ru", "RU"),
    ]),
}


def test_shipped_themes_load_with_names_and_rules() -> None:
    themes = load_themes()
    ids = [theme.id for theme in themes.themes]
    assert set(REQUIRED) <= set(ids)
    for theme in themes.themes:
        assert {"en", "ru", "uk"} <= set(theme.names), theme.id
        # what it covers, on its landing page (/themes/ID), in the interface languages
        assert {"en", "ru", "uk"} <= set(theme.descriptions), theme.id
        assert theme.description("kk") == theme.description("en")
        assert theme.keywords, theme.id
        assert set(theme.resource_types) <= set(RESOURCE_TYPES)
    assert load_themes().mark == themes.mark  # the same content, the same mark
    assert list(STEPS).index("themes") == list(STEPS).index("search") + 1


@pytest.mark.parametrize("theme_id", REQUIRED)
def test_theme_rules_include_and_exclude(theme_id: str) -> None:
    matcher = Matcher(load_themes())
    must, must_not = CASES[theme_id]
    for title, subjects, description, language, country, levels, kind in must:
        found = matcher.match(title, description, subjects, language, country, levels, kind)
        assert theme_id in found, (title, found)
    for title, subjects, description, language, country, levels, kind in must_not:
        found = matcher.match(title, description, subjects, language, country, levels, kind)
        assert theme_id not in found, (title, found)


@pytest.mark.parametrize(("text", "key", "message"), [
    ('[themes.x]\nnames = { en = "X", ru = "Х" }\nkeywords = ["x"]\n',
     "themes.x.names.uk", "missing"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\nisced = ["ISCED 9"]\n',
     "themes.x.isced", "not an ISCED level"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\nresource_types = ["poem"]\n',
     "themes.x.resource_types", "not a resource type"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\nkeyword = ["x"]\n',
     "themes.x.keyword", "unknown key"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\n', "themes.x", "needs keywords"),
    ('[themes.X_1]\nnames = { en = "X", ru = "Х", uk = "Х" }\nkeywords = ["x"]\n',
     "themes.X_1", "theme id"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\nkeywords = "x"\n',
     "themes.x.keywords", "list"),
    ("themes = 1\n", "themes", "table of themes"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\ndescription = "x"\n'
     'keywords = ["x"]\n', "themes.x.description", "table of language"),
    ('[themes.x]\nnames = { en = "X", ru = "Х", uk = "Х" }\ndescription = { ru = "х" }\n'
     'keywords = ["x"]\n', "themes.x.description.en", "missing"),
])
def test_loader_names_file_and_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_themes(path)
    assert str(path) in str(caught.value) and key in str(caught.value)
    assert message in str(caught.value)
    assert caught.value.path == str(path)


def test_loader_reports_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text("[themes.x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_themes(path)


# --- the step and the report on a stored catalogue --------------------------------------------

def store(db: Path, samples: list[tuple[str, Sample]], deleted: tuple[str, ...] = (),
          datestamp: str = "2024-01-01") -> None:
    """(identifier, sample) records of source s, through the store's own API."""
    with Catalogue(db) as catalogue:
        run = catalogue.start_run("s", "full", None)
        recs = [Record("s", identifier, datestamp, deleted=identifier in deleted, title=title,
                       description=description or None, subjects=subjects, language=language,
                       country=country, education_level=levels, resource_type=kind)
                for identifier, (title, subjects, description, language, country, levels,
                                 kind) in samples]
        raws = [RawRecord("s", r.identifier, r.datestamp, r.deleted, "oai_dc", "<x/>")
                for r in recs]
        catalogue.store_batch(RunProgress(run, "s", 0, 0), Batch(raws, None, normalised=recs))
        catalogue.finish_run(run, "s", "ok")


def themes_of(db: Path) -> dict[str, set[str]]:
    with Catalogue(db) as catalogue:
        rows = catalogue.conn.execute(
            "SELECT r.identifier, t.theme FROM record_themes AS t "
            "JOIN records AS r ON r.id = t.record_id").fetchall()
    found: dict[str, set[str]] = {}
    for identifier, theme in rows:
        found.setdefault(identifier, set()).add(theme)
    return found


@pytest.fixture
def catalogue(tmp_path: Path, write_config: Callable[..., Path]) -> Path:
    """Every case of CASES stored as a record of source s (UA), the themes step run."""
    config = write_config(source_toml("s", "http://127.0.0.1:9/oai"))
    db = tmp_path / "oerhub.db"
    from oerhub.registry import load_config
    with Catalogue(db) as opened:
        opened.sync_sources(load_config(config))
    samples = [(f"{theme}-{side}-{n}", sample) for theme, (must, must_not) in CASES.items()
               for side, samples in (("in", must), ("out", must_not))
               for n, sample in enumerate(samples)]
    store(db, samples)
    with Catalogue(db) as opened:
        assert update_themes(opened) == (True, len(samples))
    return db


def test_step_fills_record_themes(catalogue: Path) -> None:
    found = themes_of(catalogue)
    for theme, (must, must_not) in CASES.items():
        for n in range(len(must)):
            assert theme in found.get(f"{theme}-in-{n}", set()), (theme, n)
        for n in range(len(must_not)):
            assert theme not in found.get(f"{theme}-out-{n}", set()), (theme, n)


def test_step_is_incremental_and_redone_when_themes_change(catalogue: Path,
                                                           tmp_path: Path) -> None:
    time.sleep(1.1)  # marks are to the second: a record changed in the mark's second is
    with Catalogue(catalogue) as opened:  # matched again (never missed)
        assert not update_themes(opened)[0]
        assert update_themes(opened) == (False, 0)  # nothing changed since
    # a record changes its title, another is deleted: only they are matched again
    store(catalogue, [("arctic-in-1", rec("Физика 7 класс", "ru", "RU")),
                      ("tvet-in-0", rec("Электротехника для колледжей", "ru", "KZ"))],
          deleted=("tvet-in-0",), datestamp="2024-02-01")
    with Catalogue(catalogue) as opened:
        everything, matched = update_themes(opened)
    assert not everything and matched == 2
    found = themes_of(catalogue)
    assert "arctic-in-1" not in found and "tvet-in-0" not in found
    assert "arctic" in found["arctic-in-0"]
    # another themes file: everything is matched again by its rules
    path = tmp_path / "themes.toml"
    path.write_text('[themes.physics]\nnames = { en = "Physics", ru = "Физика", '
                    'uk = "Фізика" }\nkeywords = ["физика"]\n', encoding="utf-8")
    with Catalogue(catalogue) as opened:
        everything, _ = update_themes(opened, load_themes(path))
    assert everything
    physics = themes_of(catalogue)
    assert set().union(*physics.values()) == {"physics"}
    assert "arctic-in-1" in physics and "higher-education-in-0" not in physics
    # and back to the shipped file: everything again
    with Catalogue(catalogue) as opened:
        assert update_themes(opened)[0]
    assert "arctic" in themes_of(catalogue)["arctic-in-0"]


def test_report_coverage_theme_equals_the_catalogue(catalogue: Path) -> None:
    for theme in REQUIRED:
        result = oerhub_in_process(catalogue.parent, "report", "coverage", "--theme", theme,
                                   "--format", "json", db=catalogue)
        assert result.returncode == 0, result.stdout + result.stderr
        report: Any = json.loads(result.stdout)
        rows = report["rows"] if isinstance(report, dict) else report
        with Catalogue(catalogue) as opened:
            expected = dict(opened.conn.execute(
                "SELECT r.country, COUNT(*) FROM record_themes AS t JOIN records AS r "
                "ON r.id = t.record_id WHERE t.theme = ? AND r.deleted = 0 GROUP BY r.country",
                (theme,)).fetchall())
            live = dict(opened.conn.execute(
                "SELECT country, COUNT(*) FROM records WHERE deleted = 0 "
                "GROUP BY country").fetchall())
        by_country = {row["country"]: row for row in rows if row["country"] != "total"}
        assert {c: r["theme_records"] for c, r in by_country.items() if r["theme_records"]} \
            == expected
        assert sum(expected.values()) >= len(CASES[theme][0])  # every record it must include
        for country, row in by_country.items():
            assert row["records"] == live.get(country, 0)
            assert row["theme"] == theme
    table = oerhub_in_process(catalogue.parent, "report", "coverage", "--theme", "arctic",
                              db=catalogue)
    assert "Education in the Arctic (arctic)" in table.stdout
    unknown = oerhub_in_process(catalogue.parent, "report", "coverage", "--theme", "nope",
                                db=catalogue)
    assert unknown.returncode != 0 and "no theme 'nope'" in unknown.stdout + unknown.stderr


def test_shipped_file_is_where_the_step_reads() -> None:
    assert THEMES_FILE.name == "themes.toml" and THEMES_FILE.parent.name == "config"
    assert THEMES_FILE.is_file()

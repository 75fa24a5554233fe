"""A catalogue of real-like records in several languages and scripts, with duplicates and a
translation, stored through the store's own API and enriched by the real steps (duplicates,
search): what the site's search pages and the teacher's browser journey are tested on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conftest import source_toml

from oerhub.catalogue import Catalogue
from oerhub.enrich import enrich
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.registry import load_config

SOURCES = {  # id: (country, name)
    "ru-edu": ("RU", "Российская электронная школа"),
    "ua-osvita": ("UA", "Освіта онлайн"),
    "kz-nab": ("KZ", "Национальная академическая библиотека"),
    "kz-univer": ("KZ", "Университетский репозиторий"),
    "uz-kutubxona": ("UZ", "Ochiq kutubxona"),
    "lv-skola": ("LV", "Skola2030"),
}


@dataclass
class Sample:
    """One record as a repository gives it (already normalised)."""

    key: str
    source: str
    title: str
    language: str
    description: str | None = None
    license: str | None = None
    kind: str | None = None
    levels: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    date: str | None = None


SAMPLES = [
    # physics: the exact form in the title, in the description only, another form only
    Sample("phys-7", "ru-edu", "Физика. 7 класс", "ru",
           "Учебник для общеобразовательных организаций: механика, тепловые явления.",
           "CC-BY-4.0", "textbook", ["ISCED 2"], ["физика"], ["Перышкин А. В."], date="2019"),
    Sample("lab", "ru-edu", "Сборник лабораторных работ", "ru",
           "Лабораторные работы для 8 класса: физика, оптика и электричество.",
           "CC-BY-NC-4.0", "exercise", ["ISCED 2"], date="2021"),
    Sample("tasks", "ru-edu", "Сборник олимпиадных заданий", "ru",
           "Олимпиадные задачи по физике и математике с решениями.",
           None, "exercise", ["ISCED 3"], date="2020"),
    Sample("physiology", "ru-edu", "Физиология растений", "ru",
           "Учебное пособие по физиологии растений для вузов.", "CC-BY-SA-4.0", "textbook",
           ["ISCED 6"]),
    Sample("chemistry", "ru-edu", "Химия. 9 класс", "ru", "Учебник химии для 9 класса.",
           "CC-BY-4.0", "textbook", ["ISCED 2"]),
    Sample("phys-uz", "uz-kutubxona", "Fizika. 8-sinf", "uz",
           "Umumiy o'rta ta'lim maktablari uchun darslik.", "CC-BY-4.0", "textbook",
           ["ISCED 2"], ["fizika"]),
    Sample("phys-ua", "ua-osvita", "Фізика для 10 класу", "uk",
           "Підручник для закладів загальної середньої освіти.", "CC-BY-NC-SA-4.0",
           "textbook", ["ISCED 3"], ["фізика"]),
    Sample("phys-primary", "ru-edu", "Физика вокруг нас: окружающий мир", "ru",
           "Опыты для младших школьников.", None, "lesson", ["ISCED 1"]),
    Sample("phys-en", "lv-skola", "Introduction to physics", "en",
           "A first course in physics for secondary schools.", "CC-BY-SA-4.0", "course",
           ["ISCED 3"]),
    Sample("kimija", "lv-skola", "Ķīmija pamatskolai", "lv", "Mācību līdzeklis 8. klasei.",
           "CC-BY-4.0", "textbook", ["ISCED 2"]),
    Sample("hostile", "ua-osvita", '<script>alert("x")</script> Фізика & "лапки"', "uk",
           '<img src=x onerror=alert(1)> {"json": ["not", "shown"]}', None, None),
    # one resource from two sources (the same DOI), and a translation (an ISBN family)
    Sample("method-a", "kz-nab", "Методика преподавания физики: учебное пособие", "ru",
           "Пособие для учителей физики.", "CC-BY-4.0", "guide", ["ISCED 6"],
           creators=["Иваненко О. П."], identifiers=["https://doi.org/10.31489/2020ph1/14"]),
    Sample("method-b", "kz-univer", "Методика преподавания физики", "ru",
           "Учебное пособие.", "CC-BY-4.0", "guide", ["ISCED 6"],
           creators=["Ivanenko, O."], identifiers=["doi:10.31489/2020PH1/14"]),
    Sample("chem-ru", "kz-nab", "Химия. 8 класс", "ru", "Учебник для 8 класса.",
           "CC-BY-4.0", "textbook", ["ISCED 2"], creators=["Темірбеков Н. А.", "Оспанова Г."],
           identifiers=["ISBN 978-601-07-0123-6"]),
    Sample("chem-kk", "kz-univer", "Химия. 8-сынып", "kk", "8-сыныпқа арналған оқулық.",
           "CC-BY-4.0", "textbook", ["ISCED 2"], creators=["Temirbekov, N.", "Ospanova, G."],
           identifiers=["978-601-07-0124-3"]),
]


def build(directory: Path, samples: list[Sample] = SAMPLES) -> dict[str, int]:
    """Write the registry and the catalogue in `directory`, run the duplicates and search
    steps; the record id of each sample's key."""
    config = directory / "sources.toml"
    config.write_text(
        '[harvest]\ncontact = "mailto:tests@example.org"\n\n' + "\n".join(
            source_toml(source, f"http://127.0.0.1:9/{source}", country=country,
                        name=name).replace(f'name = "Test source {source}"\n', "")
            for source, (country, name) in SOURCES.items()), encoding="utf-8")
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
        for source, (country, _) in SOURCES.items():
            records = [Record(source, f"oai:{source}:{s.key}", "2024-01-01", title=s.title,
                              description=s.description, language=s.language, country=country,
                              license=s.license, resource_type=s.kind, education_level=s.levels,
                              subjects=s.subjects, creators=s.creators,
                              identifiers=s.identifiers, date=s.date,
                              url=f"https://{source}.example.org/{s.key}")
                       for s in samples if s.source == source]
            if not records:
                continue
            run = catalogue.start_run(source, "full", None)
            raws = [RawRecord(source, r.identifier, r.datestamp, False, "oai_dc", "<x/>")
                    for r in records]
            catalogue.store_batch(RunProgress(run, source, 0, 0),
                                  Batch(raws, None, normalised=records))
            catalogue.finish_run(run, source, "ok")
        lines = enrich(catalogue, only=("duplicates", "search"))
        assert not any("failed" in line for line in lines), lines
        ids = {identifier.rsplit(":", 1)[1]: record_id for record_id, identifier in
               catalogue.conn.execute("SELECT id, identifier FROM records")}
    return ids

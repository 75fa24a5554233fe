"""Sample OAI-PMH repositories of our own making, shared by the demo and the tests.

Each `SampleRepository` implements the `oaipmh` package's batching interface over an in-memory
list of records, so the real `oaipmh.server.BatchingServer` answers for it. Records are
multilingual and use the spellings of languages, licences and resource types that real
repositories of the region write, each paired with the value the normaliser must produce
(`expected`), which never goes over the wire.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from lxml.etree import SubElement
from oaipmh import common, error

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
NS_LOM = "http://ltsc.ieee.org/xsd/LOM"

# (spelling a repository writes, ISO 639 code the catalogue must hold)
LANGUAGE_SPELLINGS: dict[str, list[str]] = {
    "ru": ["rus", "ru_RU", "ru-RU", "Russian", "русский", "рус"],
    "uk": ["ukr", "ua", "українська", "uk_UA"],
    "be": ["bel", "be"],
    "kk": ["kaz", "kk"],
    "et": ["est", "et"],
    "lv": ["lav", "lv"],
    "lt": ["lit", "lt"],
    "ka": ["geo", "kat"],
    "hy": ["arm", "hye"],
    "az": ["aze", "az"],
    "uz": ["uzb", "uz"],
    "ky": ["kir", "ky"],
    "tg": ["tgk", "tg"],
    "tk": ["tuk", "tk"],
    "ro": ["rum", "ron", "mol"],
    "en": ["eng", "en_US", "English", "en"],
}

# (spelling, SPDX id or None, access or None)
LICENSE_SPELLINGS: list[tuple[str, str | None, str | None]] = [
    ("http://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", None),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0", None),
    ("https://www.creativecommons.org/licenses/by-nc/4.0/", "CC-BY-NC-4.0", None),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.ru", "CC-BY-NC-SA-4.0", None),
    ("http://creativecommons.org/licenses/by/3.0/ua/", "CC-BY-3.0", None),
    ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0", None),
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0", None),
    ("Attribution-NonCommercial-NoDerivatives 4.0 International (CC BY-NC-ND 4.0)",
     "CC-BY-NC-ND-4.0", None),
    ("Лицензия Creative Commons «Атрибуция» 4.0 Всемирная", "CC-BY-4.0", None),
    ("Ліцензія Creative Commons Attribution 4.0", "CC-BY-4.0", None),
    ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", None),
    ("info:eu-repo/semantics/openAccess", None, "open"),
    ("All rights reserved", None, None),
]

# (spelling, controlled resource type)
TYPE_SPELLINGS: list[tuple[str, str | None]] = [
    ("учебное пособие", "textbook"),
    ("навчальний посібник", "textbook"),
    ("Учебник", "textbook"),
    ("лекция", "lecture"),
    ("info:eu-repo/semantics/article", "article"),
    ("info:eu-repo/semantics/masterThesis", "thesis"),
    ("Dataset", "dataset"),
    ("MovingImage", "video"),
    ("Text", None),
]

# Subject words and a title pattern per language: real words in each script.
TITLES: dict[str, tuple[str, list[str]]] = {
    "ru": ("Учебное пособие по {}", ["химии", "физике", "истории России", "высшей математике"]),
    "uk": ("Навчальний посібник з {}", ["хімії", "фізики", "історії України", "ґрунтознавства"]),
    "be": ("Дапаможнік па {}", ["хіміі", "фізіцы", "гісторыі Беларусі"]),
    "kk": ("{} оқулығы", ["Химия", "Физика", "Қазақстан тарихы", "Өсімдіктер әлемі"]),
    "et": ("{} õpik", ["Keemia", "Füüsika", "Eesti ajalugu", "Põhikooli matemaatika"]),
    "lv": ("{} mācību grāmata", ["Ķīmija", "Fizika", "Latvijas vēsture", "Ģeogrāfija"]),
    "lt": ("{} vadovėlis", ["Chemijos", "Fizikos", "Lietuvos istorijos", "Žemės ūkio"]),
    "ka": ("{} სახელმძღვანელო", ["ქიმიის", "ფიზიკის", "საქართველოს ისტორიის"]),
    "hy": ("{} դասագիրք", ["Քիմիայի", "Ֆիզիկայի", "Հայոց պատմության"]),
    "az": ("{} dərsliyi", ["Kimya", "Fizika", "Azərbaycan tarixi"]),
    "uz": ("{} darsligi", ["Kimyo", "Fizika", "Oʻzbekiston tarixi"]),
    "ky": ("{} окуу китеби", ["Химия", "Физика", "Кыргызстандын тарыхы"]),
    "tg": ("Китоби дарсии {}", ["химия", "физика", "таърихи халқи тоҷик"]),
    "tk": ("{} okuw kitaby", ["Himiýa", "Fizika", "Türkmenistanyň taryhy"]),
    "ro": ("Manual de {}", ["chimie", "fizică", "istoria Moldovei"]),
    "en": ("Introduction to {}", ["chemistry", "physics", "open education"]),
}


@dataclass
class SampleRecord:
    """One record of a sample repository, with what the catalogue must make of it."""

    identifier: str
    datestamp: datetime
    fields: dict[str, list[str]]
    sets: list[str] = field(default_factory=list)
    deleted: bool = False
    expected: dict[str, Any] = field(default_factory=dict)


class SampleRepository:
    """An in-memory OAI-PMH repository behind oaipmh's IBatchingOAI interface."""

    def __init__(self, name: str, records: Iterable[SampleRecord], *, granularity: str = SECONDS,
                 formats: tuple[str, ...] = ("oai_dc",), sets: dict[str, str] | None = None,
                 base_url: str = "http://127.0.0.1/oai",
                 clock: Callable[[], datetime] | None = None) -> None:
        self.name = name
        self.records: dict[str, SampleRecord] = {r.identifier: r for r in records}
        self.granularity = granularity
        self.formats = formats
        self.sets = sets or {}
        self.base_url = base_url
        self.clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))

    # --- changes, as a librarian would make them; each one bumps the datestamp ----------

    def edit(self, identifier: str, **fields: list[str]) -> SampleRecord:
        record = self.records[identifier]
        record.fields.update(fields)
        record.datestamp = self._now()
        return record

    def delete(self, identifier: str) -> SampleRecord:
        record = self.records[identifier]
        record.deleted = True
        record.datestamp = self._now()
        return record

    def add(self, record: SampleRecord) -> SampleRecord:
        record = replace(record, datestamp=self._now())
        self.records[record.identifier] = record
        return record

    def _now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    # --- IBatchingOAI -------------------------------------------------------------------

    def identify(self) -> common.Identify:
        earliest = min((r.datestamp for r in self.records.values()),
                       default=datetime(2000, 1, 1))
        return common.Identify(
            repositoryName=f"oerhub sample repository {self.name}", baseURL=self.base_url,
            protocolVersion="2.0", adminEmails=["oerhub@example.org"],
            earliestDatestamp=earliest, deletedRecord="persistent",
            granularity=self.granularity, compression=["identity"], toolkit_description=False)

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        known = {
            "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                       "http://www.openarchives.org/OAI/2.0/oai_dc/"),
            "lom": ("http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", NS_LOM),
        }
        return [(prefix, *known[prefix]) for prefix in self.formats]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[tuple[str, str, None]]:
        if not self.sets:
            raise error.NoSetHierarchyError("This repository has no sets.")
        specs = sorted(self.sets.items())
        return [(spec, name, None) for spec, name in specs[cursor:cursor + batch_size]]

    def listRecords(self, metadataPrefix: str, set: str | None = None,
                    from_: datetime | None = None, until: datetime | None = None,
                    cursor: int = 0, batch_size: int = 10) -> list[tuple[Any, Any, None]]:
        self._check_prefix(metadataPrefix)
        selected = self._select(set, from_, until)
        return [self._tuple(r) for r in selected[cursor:cursor + batch_size]]

    def listIdentifiers(self, metadataPrefix: str, set: str | None = None,
                        from_: datetime | None = None, until: datetime | None = None,
                        cursor: int = 0, batch_size: int = 10) -> list[Any]:
        self._check_prefix(metadataPrefix)
        selected = self._select(set, from_, until)
        return [self._tuple(r)[0] for r in selected[cursor:cursor + batch_size]]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        self._check_prefix(metadataPrefix)
        if identifier not in self.records:
            raise error.IdDoesNotExistError(f"Id does not exist: {identifier}")
        return self._tuple(self.records[identifier])

    def _check_prefix(self, prefix: str) -> None:
        if prefix not in self.formats:
            raise error.CannotDisseminateFormatError(f"Unknown metadata format: {prefix}")

    def _select(self, set_spec: str | None, from_: datetime | None,
                until: datetime | None) -> list[SampleRecord]:
        records = sorted(self.records.values(), key=lambda r: (r.datestamp, r.identifier))
        return [r for r in records
                if (set_spec is None or set_spec in r.sets)
                and (from_ is None or r.datestamp >= from_)
                and (until is None or r.datestamp <= until)]

    def _tuple(self, record: SampleRecord) -> tuple[Any, Any, None]:
        header = common.Header(None, record.identifier, record.datestamp, list(record.sets),
                               record.deleted)
        metadata = None if record.deleted else common.Metadata(None, record.fields)
        return header, metadata, None


def lom_writer(element: Any, metadata: Any) -> None:
    """Write a LOM record from the same field map as oai_dc (for LOM sample repositories)."""
    values = metadata.getMap()
    lang = (values.get("lom_language") or [""])[0]
    lom = SubElement(element, f"{{{NS_LOM}}}lom", nsmap={None: NS_LOM})
    general = SubElement(lom, f"{{{NS_LOM}}}general")
    identifier = SubElement(general, f"{{{NS_LOM}}}identifier")
    SubElement(identifier, f"{{{NS_LOM}}}catalog").text = "URI"
    SubElement(identifier, f"{{{NS_LOM}}}entry").text = (values.get("identifier") or [""])[0]
    for tag in ("title", "description"):
        for value in values.get(tag, []):
            node = SubElement(general, f"{{{NS_LOM}}}{tag}")
            string = SubElement(node, f"{{{NS_LOM}}}string", language=lang or "x-none")
            string.text = value
    for value in values.get("language", []):
        SubElement(general, f"{{{NS_LOM}}}language").text = value
    for value in values.get("subject", []):
        keyword = SubElement(general, f"{{{NS_LOM}}}keyword")
        SubElement(keyword, f"{{{NS_LOM}}}string", language=lang or "x-none").text = value
    lifecycle = SubElement(lom, f"{{{NS_LOM}}}lifeCycle")
    for value in values.get("creator", []):
        contribute = SubElement(lifecycle, f"{{{NS_LOM}}}contribute")
        role = SubElement(contribute, f"{{{NS_LOM}}}role")
        SubElement(role, f"{{{NS_LOM}}}source").text = "LOMv1.0"
        SubElement(role, f"{{{NS_LOM}}}value").text = "author"
        SubElement(contribute, f"{{{NS_LOM}}}entity").text = (
            f"BEGIN:VCARD\nVERSION:3.0\nFN:{value}\nEND:VCARD")
    technical = SubElement(lom, f"{{{NS_LOM}}}technical")
    for value in values.get("identifier", []):
        SubElement(technical, f"{{{NS_LOM}}}location").text = value
    educational = SubElement(lom, f"{{{NS_LOM}}}educational")
    for value in values.get("type", []):
        kind = SubElement(educational, f"{{{NS_LOM}}}learningResourceType")
        SubElement(kind, f"{{{NS_LOM}}}source").text = "LOMv1.0"
        SubElement(kind, f"{{{NS_LOM}}}value").text = value
    for value in values.get("educationLevel", []):
        context = SubElement(educational, f"{{{NS_LOM}}}context")
        SubElement(context, f"{{{NS_LOM}}}source").text = "LOMv1.0"
        SubElement(context, f"{{{NS_LOM}}}value").text = value
    rights = SubElement(lom, f"{{{NS_LOM}}}rights")
    for value in values.get("rights", []):
        description = SubElement(rights, f"{{{NS_LOM}}}description")
        SubElement(description, f"{{{NS_LOM}}}string", language="en").text = value


def make_records(prefix: str, count: int, languages: Iterable[str], *,
                 sets: Iterable[str] = (), start: datetime = datetime(2019, 1, 1),
                 offset: int = 0) -> list[SampleRecord]:
    """`count` records cycling through every language, licence and type spelling above.

    Deterministic: the same arguments give the same records, so tests can compare.
    """
    languages = list(languages)
    set_list = list(sets)
    spellings = {code: itertools.cycle(LANGUAGE_SPELLINGS[code]) for code in languages}
    records = []
    for n in range(offset, offset + count):
        code = languages[n % len(languages)]
        pattern, subjects = TITLES[code]
        subject = subjects[(n // len(languages)) % len(subjects)]
        title = f"{pattern.format(subject)}. Часть {n + 1}" if code in ("ru", "uk", "be") \
            else f"{pattern.format(subject)} {n + 1}"
        language = next(spellings[code])
        licence, spdx, access = LICENSE_SPELLINGS[n % len(LICENSE_SPELLINGS)]
        kind, resource_type = TYPE_SPELLINGS[n % len(TYPE_SPELLINGS)]
        identifier = f"oai:{prefix}:{n + 1}"
        url = f"https://{prefix}.example.org/handle/123456789/{n + 1}"
        record_sets = [set_list[n % len(set_list)]] if set_list else []
        fields = {
            "title": [title],
            "creator": [f"Автор {n + 1}", "Tamm, Mari"] if n % 3 == 0 else [f"Author {n + 1}"],
            "subject": [subject, "open educational resources"],
            "description": [f"<p>{title}: <b>sample</b> description &amp; notes.</p>"],
            "publisher": [f"Sample publisher {prefix}"],
            "date": [f"{2010 + n % 15}-0{1 + n % 9}-1{n % 10}", "2019-05-14T08:52:33Z"],
            "type": [kind],
            "identifier": [url, f"urn:sample:{prefix}:{n + 1}"],
            "language": [language],
            "rights": [licence],
            "lom_language": [code],
        }
        expected = {
            "title": title, "language": code, "license": spdx, "access": access,
            "resource_type": resource_type, "url": url,
            "license_url": licence if licence.startswith("http") else None,
        }
        records.append(SampleRecord(identifier, start + timedelta(hours=n), fields,
                                    record_sets, False, expected))
    return records


# The repositories `oerhub demo` serves: (path, country, languages, granularity, format, sets, n)
DEMO_REPOSITORIES: list[dict[str, Any]] = [
    {"id": "demo-ua", "name": "Sample Ukrainian university repository (DSpace-like)",
     "country": "UA", "languages": ["uk", "ru", "en"], "granularity": DAY, "format": "oai_dc",
     "sets": {"textbooks": "Навчальні посібники", "articles": "Статті"}, "count": 240,
     "latitude": 50.45, "longitude": 30.52},
    {"id": "demo-kz", "name": "Sample Kazakh open textbook library", "country": "KZ",
     "languages": ["kk", "ru", "en"], "granularity": SECONDS, "format": "oai_dc",
     "sets": {}, "count": 180, "latitude": 43.24, "longitude": 76.95},
    {"id": "demo-ge", "name": "Sample Caucasus repository (Georgia, Armenia, Azerbaijan)",
     "country": "GE", "languages": ["ka", "hy", "az", "ru"], "granularity": SECONDS,
     "format": "oai_dc", "sets": {}, "count": 120, "latitude": 41.72, "longitude": 44.79},
    {"id": "demo-lv", "name": "Sample Baltic OER referatory (LOM)", "country": "LV",
     "languages": ["lv", "lt", "et", "ru"], "granularity": SECONDS, "format": "lom",
     "sets": {}, "count": 120, "latitude": 56.95, "longitude": 24.11},
    {"id": "demo-uz", "name": "Sample Central Asian e-library", "country": "UZ",
     "languages": ["uz", "ky", "tg", "tk", "ro", "be"], "granularity": DAY, "format": "oai_dc",
     "sets": {}, "count": 120, "latitude": 41.31, "longitude": 69.28},
]


def demo_repositories() -> list[SampleRepository]:
    """The sample repositories behind `oerhub demo`, a few deleted records included."""
    repositories = []
    for spec in DEMO_REPOSITORIES:
        records = make_records(spec["id"], spec["count"], spec["languages"],
                               sets=spec["sets"].keys())
        for record in records[5::40]:
            record.deleted = True
        repositories.append(SampleRepository(
            spec["id"], records, granularity=spec["granularity"], formats=(spec["format"],),
            sets=spec["sets"]))
    return repositories

"""schema.org / LRMI nodes → catalogue records: a table of the shapes portals really publish.

Each row is a node as `harvesters.embedded` hands it on (plain schema.org keys; values as
strings, objects or arrays) and what the catalogue must hold.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from oerhub.models import RawRecord, Record
from oerhub.normalize import normalize
from oerhub.normalize.schema_org import map_into

CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"

ROWS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("estonian-learning-resource", {
        "@type": ["LearningResource", "Course"],
        "name": "Murdude liitmine ja lahutamine",
        "description": "Harjutused 6. klassile: ühenimeliste murdude liitmine.",
        "inLanguage": {"@type": "Language", "name": "Estonian", "alternateName": "et"},
        "license": {"@type": "CreativeWork", "url": CC_BY_SA, "name": "CC BY-SA 4.0"},
        "learningResourceType": {"@type": "DefinedTerm", "name": "Harjutus"},
        "educationalLevel": [{"@type": "DefinedTerm", "name": "Põhikool"}],
        "keywords": "matemaatika, murrud; liitmine",
        "datePublished": "2023-09-01", "dateModified": "2024-02-11T08:00:00Z",
        "isAccessibleForFree": True,
        "author": [{"@type": "Person", "name": "Mari Maasikas"}, "Jaan Tamm"],
        "identifier": {"@type": "PropertyValue", "propertyID": "ekoolikott", "value": "12345"},
        "url": "https://e-koolikott.ee/et/oppematerjal/12345",
    }, {
        "title": "Murdude liitmine ja lahutamine", "language": "et", "language_raw": "et",
        "license": "CC-BY-SA-4.0", "license_url": CC_BY_SA,
        "resource_type": "exercise",  # learningResourceType before @type Course
        "education_level": ["ISCED 1", "ISCED 2"], "date": "2023-09-01", "access": "open",
        "subjects": ["matemaatika", "murrud", "liitmine"],
        "creators": ["Mari Maasikas", "Jaan Tamm"], "identifiers": ["12345"],
        "url": "https://e-koolikott.ee/et/oppematerjal/12345",
    }),
    ("ukrainian-course", {
        "@type": "Course", "name": "Алгебра, 8 клас",
        "inLanguage": "uk-UA",
        "license": "https://creativecommons.org/licenses/by/4.0/deed.uk",
        "educationalLevel": "Середня освіта",
        "teaches": [{"@type": "DefinedTerm", "name": "Квадратні рівняння"}, "Дроби"],
        "provider": {"@type": "Organization", "name": "Всеукраїнська школа онлайн"},
        "datePublished": "2022-03-15T09:30:00+02:00",
    }, {
        "title": "Алгебра, 8 клас", "language": "uk", "license": "CC-BY-4.0",
        "resource_type": "course", "education_level": ["ISCED 2", "ISCED 3"],
        "date": "2022-03-15T07:30:00Z", "access": None,
        "subjects": ["Квадратні рівняння", "Дроби"],
        "publisher": "Всеукраїнська школа онлайн",
    }),
    ("russian-video-microdata", {
        "@type": "VideoObject",
        "name": [{"@value": "Сложение дробей", "@language": "ru"}, "Fractions"],
        "inLanguage": ["ru", "en"],
        "license": "CC BY-NC-SA 4.0",
        "learningResourceType": "Видеоурок",
        "educationalLevel": {"@type": "DefinedTerm", "name": "5-9 класс"},
        "dateCreated": "2021-11-05",
        "isAccessibleForFree": "False",
        "creator": {"@type": "Organization", "name": "РЭШ"},
    }, {
        "title": "Сложение дробей", "language": "ru", "language_raw": "ru; en",
        "license": "CC-BY-NC-SA-4.0", "resource_type": "video",
        "education_level": ["ISCED 2"], "date": "2021-11-05", "access": "restricted",
        "creators": ["РЭШ"],
    }),
    ("latvian-book", {
        "@type": ["Book"], "name": "Latviešu valoda 7. klasei",
        "inLanguage": {"@type": "Language", "name": "latviešu"},
        "license": [{"@type": "CreativeWork", "name": "CC0",
                     "url": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "learningResourceType": "Mācību grāmata",
        "educationalLevel": "Vidējā izglītība",
        "datePublished": "2020",
        "isbn": "978-9934-0-1234-5",
        "author": {"@type": "Person", "givenName": "Anna", "familyName": "Bērziņa"},
        "publisher": {"@type": "Organization", "name": "Zvaigzne ABC"},
    }, {
        "title": "Latviešu valoda 7. klasei", "language": "lv", "license": "CC0-1.0",
        "resource_type": "textbook", "education_level": ["ISCED 3"], "date": "2020",
        "identifiers": ["978-9934-0-1234-5"], "creators": ["Anna Bērziņa"],
        "publisher": "Zvaigzne ABC",
    }),
    ("type-speaks-when-learning-type-does-not", {
        "@type": "VideoObject", "name": "Tööleht: fotosüntees",
        "learningResourceType": "worksheet", "inLanguage": "et",
        "license": "http://creativecommons.org/licenses/by-nc/3.0/ee/",
    }, {
        "resource_type": "video", "resource_type_raw": "worksheet; VideoObject",
        "license": "CC-BY-NC-3.0", "language": "et", "education_level": [], "date": None,
    }),
    ("alignment-objects-and-headline", {
        "@type": "Article", "headline": "Vektorid füüsikas",
        "inLanguage": "est",
        "educationalAlignment": [
            {"@type": "AlignmentObject", "alignmentType": "educationalLevel",
             "targetName": "Gümnaasium"},
            {"@type": "AlignmentObject", "alignmentType": "educationalSubject",
             "targetName": "Füüsika"}],
        "about": [{"@type": "Thing", "name": "Mehaanika"}, "https://www.wikidata.org/wiki/Q41217"],
        "dateModified": "2024-01-20",
        "@id": "https://opiq.ee/kit/vektorid",
    }, {
        "title": "Vektorid füüsikas", "language": "et", "license": None,
        "resource_type": "article", "education_level": ["ISCED 3"], "date": "2024-01-20",
        "subjects": ["Mehaanika", "Füüsika"], "url": "https://opiq.ee/kit/vektorid",
    }),
    ("full-uri-type-no-url", {
        "@type": "https://schema.org/Quiz", "name": "Тест: Київська Русь",
        "inLanguage": "Українська", "license": "Усі права захищено",
        "educationalLevel": "7 клас",
    }, {
        "title": "Тест: Київська Русь", "language": "uk", "license": None,
        "resource_type": "assessment", "education_level": ["ISCED 2"],
        "url": "https://lib.example.ua/test/15",  # the page, without our "#n"
    }),
    ("nothing-usable", {"@type": "CreativeWork", "name": "  "}, {
        "title": None, "language": None, "license": None, "resource_type": None,
        "education_level": [], "date": None, "access": None, "subjects": [],
    }),
]


@pytest.mark.parametrize("node, expected", [(n, e) for _, n, e in ROWS],
                         ids=[name for name, _, _ in ROWS])
def test_schema_org_node(node: dict[str, Any], expected: dict[str, Any]) -> None:
    record = Record(source_id="s", identifier="https://lib.example.ua/test/15#3", datestamp=None)
    map_into(node, record)
    assert {key: getattr(record, key) for key in expected} == expected


def test_stored_json_renormalises_to_the_same_record() -> None:
    """`oerhub renormalize` reads the raw JSON again: the same record must come out."""
    _, node, expected = ROWS[0]
    raw = RawRecord("s", "https://e-koolikott.ee/et/oppematerjal/12345", None, False,
                    "schema.org", json.dumps(node, ensure_ascii=False, sort_keys=True))
    parsed, given = normalize(raw, "EE"), normalize(raw, "EE", node)
    assert parsed == given
    assert (parsed.title, parsed.license, parsed.format) == (expected["title"], "CC-BY-SA-4.0",
                                                             "schema.org")


def test_not_a_node_is_ignored() -> None:
    record = Record(source_id="s", identifier="x", datestamp=None)
    map_into(["not", "a", "node"], record)  # type: ignore[arg-type]
    assert record.title is None

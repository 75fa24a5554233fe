"""Issue 13's mappings on real recorded records: normalised straight from the recorded answers
in ../shared/fixtures/oai-recorded/ (read as the harvester reads a page); skips without it."""

from __future__ import annotations

import re

import pytest
from conftest import RECORDED, needs_shared

from harvesters.oai_client import read_page
from oerhub.models import Record
from oerhub.normalize import normalize

pytestmark = [pytest.mark.shared, needs_shared()]

CYBERLENINKA = ["scrapi/cyberleninka-2015-04-29-p1.xml", "scrapi/cyberleninka-2015-05-19-p1.xml",
                "scrapi/cyberleninka-2015-06-22-p1.xml"]


def records(*pages: str) -> list[Record]:
    """The live records of recorded oai_dc pages, normalised."""
    found = []
    for page in pages:
        read = read_page((RECORDED / page).read_bytes(), page, "oai_dc", "recorded")
        for raws, elements in read.batches:
            found += [normalize(raw, None, element) for raw, element in zip(raws, elements)
                      if not raw.deleted and element is not None]
    return found


def test_cyberleninka_records_are_articles() -> None:
    found = records(*CYBERLENINKA)
    assert len(found) == 258
    assert {r.resource_type for r in found} == {"article"}  # dc:type "text" + bibo:AcademicArticle
    assert all("AcademicArticle" in (r.resource_type_raw or "") for r in found)


def test_cyberleninka_subjects_joined_in_one_string_are_split() -> None:
    found = {r.identifier: r for r in records(*CYBERLENINKA)}
    # no subject keeps a comma glued to a word: that comma joined two subjects
    assert not [s for r in found.values() for s in r.subjects if re.search(r",[^\s\d]", s)]
    assert sum(len(r.subjects) > 1 for r in found.values()) > 100
    heart = next(r for r in found.values() if "ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ" in r.subjects)
    assert heart.subjects[:2] == ["СЕРДЕЧНО-СОСУДИСТАЯ НЕДОСТАТОЧНОСТЬ",
                                  "ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ"]
    assert "CARDIAC OUTPUT, LOW" in heart.subjects  # an inverted heading stays whole


def test_hacettepe_theses_and_access() -> None:
    found = records("scrapi/hacettepe-p1.xml", "scrapi/hacettepe-p2.xml")
    assert {r.resource_type_raw for r in found} == {"Yüksek lisans", "Doktora"}
    assert {r.resource_type for r in found} == {"thesis"}
    restricted = [r for r in found if r.license_raw == "Kısıtlı erişim"]
    assert restricted and all(r.access == "restricted" for r in restricted)


def test_rcaap_bare_access_words() -> None:
    found = records("scrapi/rcaap-p1.xml", "scrapi/rcaap-p2.xml")
    by_raw = {r.license_raw: r.access for r in found}
    assert by_raw["embargoedAccess"] == "embargoed"
    assert by_raw["restrictedAccess"] == "restricted"
    assert by_raw["openAccess"] == "open"


def test_versionless_cc_licence_of_a_polish_record() -> None:
    (record,) = records("metis-framework/sampleOaiRecord.xml")
    assert record.license == "LicenseRef-CC-BY-NC-SA"


def test_journal_article_of_e_periodica() -> None:
    (record,) = records("oaipmh-scythe/get_record_application_xml-01.xml")
    assert record.resource_type == "article"

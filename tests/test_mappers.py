"""The oai_dc and LOM mappers on real records (recorded from public repositories) and on LOM
profiles as OER repositories write them."""

from __future__ import annotations

import pytest
from conftest import RECORDED, needs_shared
from lxml import etree

from oerhub.models import RawRecord
from oerhub.normalize import normalize

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def records_of(path: str) -> dict[str, RawRecord]:
    tree = etree.parse(str(RECORDED / path))
    found = {}
    for node in tree.iter(f"{OAI}record"):
        identifier = node.findtext(f"{OAI}header/{OAI}identifier").strip()
        metadata = node.find(f"{OAI}metadata")
        child = next((c for c in metadata if isinstance(c.tag, str)), None) \
            if metadata is not None else None
        found[identifier] = RawRecord("s", identifier, None, child is None, "oai_dc",
                                      etree.tostring(child, encoding="unicode")
                                      if child is not None else None)
    return found


@needs_shared()
@pytest.mark.shared
def test_zenodo_multilingual_records():
    records = records_of("oaipmh-scythe/list_records-01.xml")
    uzbek = normalize(records["oai:zenodo.org:20609614"], "UZ")
    assert uzbek.language == "uz" and uzbek.language_raw == "uzb"
    assert uzbek.title.startswith("SURXONDARYO VILOYATIDA YASHIL IQTISODIYO")
    assert (uzbek.license, uzbek.access) == ("CC-BY-4.0", "open")
    assert uzbek.license_url == "https://creativecommons.org/licenses/by/4.0/legalcode"
    spanish = normalize(records["oai:zenodo.org:20633463"], None)
    assert spanish.language == "es" and spanish.license == "CC-BY-NC-SA-4.0"
    restricted = normalize(records["oai:zenodo.org:20645683"], None)
    assert restricted.access == "restricted" and restricted.license == "CC-BY-4.0"
    only_access = normalize(records["oai:zenodo.org:20625055"], None)
    assert (only_access.license, only_access.access) == (None, "open")


@needs_shared()
@pytest.mark.shared
def test_pretty_printed_polish_record():
    record = normalize(records_of("metis-framework/sampleOaiRecord.xml")
                       ["oai:mediateka.centrumzamenhofa.pl:19"], "PL")
    assert record.title == "Fotografowie z zakładu przy ul. Kocha, Białystok,ok. 1942 r."
    assert record.url == "http://www.mediateka.centrumzamenhofa.pl/photos/?show_image=19"
    assert record.date == "1942" and record.creators == ["Dawdo Danuta"]
    assert record.license == "LicenseRef-CC-BY-NC-SA"  # no version given: the family
    assert "Uznanie Autorstwa" in record.license_raw


@needs_shared()
@pytest.mark.shared
def test_cyberleninka_prefers_the_article_page_over_the_cover_picture():
    records = records_of("scrapi/cyberleninka-2015-05-19-p1.xml")
    record = normalize(records["oai:cyberleninka.ru:article/14074026"], "RU")
    assert record.url == ("http://cyberleninka.ru/article/n/"
                          "o-vychislenii-postoyannyh-vhodyaschih-v-otsenki-lineynyh-form")
    assert "http://cyberleninka.ru/article_covers/14074026.png" in record.identifiers
    assert record.creators and record.creators[0].startswith("ИВАНКОВ")


@needs_shared()
@pytest.mark.shared
def test_dspace_issue_date_wins_over_accession_timestamps():
    records = records_of("pyoai/fake2/00002.xml")
    record = normalize(records["hdl:1765/9"], "NL")
    assert record.date == "2001-01-04"
    assert record.url == "http://hdl.handle.net/1765/9"


LOM_IMS = """<lom xmlns="http://www.imsglobal.org/xsd/imsmd_v1p2">
  <general>
    <identifier><catalog>URI</catalog><entry>https://oer.example.ee/material/77</entry></identifier>
    <title><langstring xml:lang="en">Chemistry for grade 8</langstring>
           <langstring xml:lang="et">Keemia 8. klassile</langstring></title>
    <language>et</language>
    <description><langstring xml:lang="et">&lt;p&gt;Õppematerjal &lt;b&gt;keemia&lt;/b&gt;&lt;/p&gt;</langstring></description>
    <keyword><langstring xml:lang="et">keemia</langstring></keyword>
    <keyword><langstring xml:lang="et">aine ehitus</langstring></keyword>
  </general>
  <lifecycle/>
  <lifeCycle>
    <contribute>
      <role><source><langstring>LOMv1.0</langstring></source><value><langstring>Author</langstring></value></role>
      <centity><vcard>BEGIN:VCARD
N:Tamm;Mari;;;
END:VCARD</vcard></centity>
      <entity>BEGIN:VCARD
VERSION:3.0
N:Tamm;Mari;;;
END:VCARD</entity>
      <date><dateTime>2019-09-01</dateTime></date>
    </contribute>
    <contribute>
      <role><source>LOMv1.0</source><value>publisher</value></role>
      <entity>BEGIN:VCARD
FN:Haridus- ja Noorteamet
END:VCARD</entity>
    </contribute>
  </lifeCycle>
  <technical><location>https://oer.example.ee/material/77</location></technical>
  <educational>
    <learningResourceType><source>LOMv1.0</source><value>lecture</value></learningResourceType>
    <context><source>LOMv1.0</source><value>school</value></context>
    <typicalAgeRange><langstring>13-14</langstring></typicalAgeRange>
  </educational>
  <rights>
    <copyrightAndOtherRestrictions><source>LOMv1.0</source><value>yes</value></copyrightAndOtherRestrictions>
    <description><langstring xml:lang="et">https://creativecommons.org/licenses/by-sa/4.0/deed.et</langstring></description>
  </rights>
</lom>"""


def test_lom_record_in_the_ims_profile():
    record = normalize(RawRecord("ee", "oai:ee:77", "2024-01-01", False, "oai_lom", LOM_IMS),
                       "EE")
    assert record.language == "et"
    assert record.title == "Keemia 8. klassile"  # the string in the record's own language
    assert record.description == "Õppematerjal keemia"  # the HTML inside the XML is stripped
    assert record.subjects == ["keemia", "aine ehitus"]
    assert record.creators == ["Mari Tamm"]
    assert record.publisher == "Haridus- ja Noorteamet"
    assert record.date == "2019-09-01"
    assert record.url == "https://oer.example.ee/material/77"
    assert record.resource_type == "lecture"
    assert (record.license, record.license_url) == (
        "CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/deed.et")
    assert record.education_level == ["ISCED 1", "ISCED 2", "ISCED 3"]
    assert record.format == "oai_lom"


def test_unknown_format_keeps_the_header_only():
    mods = '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>X</title></titleInfo></mods>'
    record = normalize(RawRecord("s", "oai:1", "2021-03-11", False, "mods", mods), "US")
    assert (record.identifier, record.datestamp, record.country) == ("oai:1", "2021-03-11", "US")
    assert record.title is None


def test_a_deleted_record_maps_to_a_tombstone():
    record = normalize(RawRecord("s", "oai:2", "2024-02-02", True, "oai_dc", None), "UA")
    assert record.deleted and record.title is None and record.datestamp == "2024-02-02"


@pytest.mark.parametrize("links, expected", [
    ([("https://repo.example/bitstream/1/file.pdf", {}), ("https://repo.example/handle/1", {})],
     "https://repo.example/handle/1"),
    ([("https://x.example/cover.jpg", {"linktype": "thumbnail"}), ("https://x.example/a/1", {})],
     "https://x.example/a/1"),
    ([("doi:10.1234/abc.5", {})], "https://doi.org/10.1234/abc.5"),
    ([("hdl:1765/315", {})], "https://hdl.handle.net/1765/315"),
    ([("https://other.example/series", {"field": "relation"}), ("urn:isbn:123", {})],
     "https://other.example/series"),
    ([("urn:isbn:978-5-00", {}), ("ISBN 978-5-00", {})], None),
])
def test_best_url(links, expected):
    from oerhub.normalize.urls import best_url
    assert best_url(links) == expected

"""Every kind of /oai answer validates against the official schemas (issue 13).

`../shared/schemas/all.xsd` imports OAI-PMH 2.0, oai_dc, simple DC, provenance and IEEE LOM
(loose), all local copies: lxml validates offline. The site is the one `oerhub serve` makes,
in process (conftest.SiteClient), on a small catalogue written through the Catalogue API:
records with every field, a deleted one, dates with a time, free text with markup, and enough
records for three pages of three. The four defects of the issue each have a test of their own
below the survey: LOM dates with a time, illegal argument syntax echoed into <request>, an
empty page left by records that changed between two pages, a placeholder adminEmail.
Without ../shared the tests that validate skip, saying why; the admin-address ones still run.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import PROJECT, SHARED, SiteClient, source_toml
from lxml import etree

from oerhub.catalogue import Catalogue
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.normalize.dates import utc_now
from oerhub.publish.oai_formats import lom, oai_identifier
from oerhub.publish.oai_queries import ListQuery
from oerhub.registry import Config, load_config

SCHEMAS = SHARED / "schemas" / "all.xsd"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
LOM = "{http://ltsc.ieee.org/xsd/LOM}"
BASE = "http://localhost/oai"  # Datasette's in-process client answers for this host
PAGE_SIZE = 3
ADMIN = "oai-admin@hub.example.org"
CONTACT = "mailto:harvest-team@hub.example.org"
FULL, TIMED, MARKUP, GONE = "oai:ua:full", "oai:ua:timed", "oai:ua:markup", "oai:ua:gone"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    """all.xsd; every test that validates skips without ../shared (the others still run)."""
    if not SCHEMAS.is_file():
        pytest.skip(f"needs ../shared beside the project: {SCHEMAS} not found")
    return etree.XMLSchema(etree.parse(str(SCHEMAS)))


def valid(schema: etree.XMLSchema, body: bytes) -> Any:
    """The parsed answer, after asserting that all.xsd accepts it."""
    root = etree.fromstring(body)
    if not schema.validate(root):
        raise AssertionError(f"{schema.error_log}\n{body.decode('utf-8')[:3000]}")
    return root


# --- the catalogue and the site ----------------------------------------------------------------

def registry(directory: Path, settings: str = f'[harvest]\ncontact = "{CONTACT}"\n') -> Path:
    path = directory / "sources.toml"
    path.write_text(settings + "\n" + source_toml("ua", "https://ua.example.org/oai")
                    + source_toml("lv", "https://lv.example.org/oai", country="LV"),
                    encoding="utf-8")
    return path


def sample_records() -> list[Record]:
    full = Record(
        "ua", FULL, "2023-05-01T10:00:00Z", title="Фізика, 7 клас", url="https://ua.example.org/1",
        description="Підручник для 7 класу.", language="uk", country="UA", license="CC-BY-4.0",
        license_url="https://creativecommons.org/licenses/by/4.0/", access="open",
        resource_type="textbook", education_level=["ISCED 2"], subjects=["фізика", "механіка"],
        creators=["Іваненко, І. І.", "Петренко, П."], publisher="Освіта", date="2023-05",
        identifiers=["https://ua.example.org/1", "urn:isbn:9789660000001"], format="oai_dc")
    timed = replace(full, identifier=TIMED, title="A lecture recorded at noon",
                    date="2024-02-01T00:00:00Z", education_level=[], creators=[],
                    publisher=None, format="lom")
    markup = replace(full, identifier=MARKUP, title="<p> & AT&amp;T: 5 < 6",
                     description="&lt;b&gt;bold&lt;/b&gt; x < y & y > z",
                     subjects=["<i>italic</i>"], creators=["O'Brien & <Sons>"],
                     date="2019-05-14T08:52:33Z")
    gone = replace(full, identifier=GONE, deleted=True)
    more = [Record("lv", f"oai:lv:{n}", "2024-01-01", title=f"Ķīmija {n}", country="LV",
                   language="lv", url=f"https://lv.example.org/{n}", date=f"20{10 + n}",
                   format="lom") for n in range(6)]
    return [full, timed, markup, gone, *more]


def store(db: Path, records: list[Record]) -> None:
    """Write records as a harvest would, one run per source."""
    with Catalogue(db) as catalogue:
        for source_id in sorted({r.source_id for r in records}):
            mine = [r for r in records if r.source_id == source_id]
            run = catalogue.start_run(source_id, "full", None)
            raws = [RawRecord(source_id, r.identifier, r.datestamp, r.deleted, r.format or "oai_dc",
                              f"<x>{html.escape(r.title or '')}</x>") for r in mine]
            catalogue.store_batch(RunProgress(run, source_id, 0, 0),
                                  Batch(raws, None, normalised=mine))
            catalogue.finish_run(run, source_id, "ok")


def new_catalogue(directory: Path, records: list[Record]) -> Path:
    """A catalogue of the registry's two sources holding `records` (none: no source either)."""
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:
        if records:
            catalogue.sync_sources(load_config(registry(directory)))
    store(db, records)
    return db


def site(db: Path, oai_config: dict[str, Any] | None = None,
         config: Config | None = None) -> SiteClient:
    """The site `oerhub serve` makes, with `oai_config` as metadata.yaml's oerhub-oai block."""
    from oerhub.publish.serve import load_site, make_datasette

    loaded = load_site(PROJECT / "config" / "metadata.yaml")
    plugins = {**(loaded.metadata.get("plugins") or {}), "oerhub-oai": oai_config or {}}
    served = replace(loaded, metadata={**loaded.metadata, "plugins": plugins})
    if config is None:
        return SiteClient(make_datasette(db, served))
    return SiteClient(make_datasette(db, served, registry=config))


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_catalogue(tmp_path_factory.mktemp("oai-schema"), sample_records())


@pytest.fixture(scope="module")
def client(catalogue: Path) -> Iterator[SiteClient]:
    served = site(catalogue, {"page_size": PAGE_SIZE, "admin_email": ADMIN})
    yield served
    served.close()


def ask(client: SiteClient, query: str | dict[str, str]) -> Any:
    text = query if isinstance(query, str) else urlencode(query)
    response = client.get(f"/oai?{text}")
    assert response.status_code == 200, response.text[:500]
    return response


def error_code(root: Any) -> str | None:
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


def ours(identifier: str, source: str = "ua") -> str:
    return oai_identifier(source, identifier)


# --- the survey: every kind of answer ------------------------------------------------------------

ANSWERS = {
    "Identify": "verb=Identify",
    "ListMetadataFormats": "verb=ListMetadataFormats",
    "ListMetadataFormats of an item": {"verb": "ListMetadataFormats", "identifier": ours(FULL)},
    "ListSets": "verb=ListSets",
    "GetRecord oai_dc, every field": {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                      "identifier": ours(FULL)},
    "GetRecord lom, every field": {"verb": "GetRecord", "metadataPrefix": "lom",
                                   "identifier": ours(FULL)},
    "GetRecord oai_dc, deleted": {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                  "identifier": ours(GONE)},
    "GetRecord lom, deleted": {"verb": "GetRecord", "metadataPrefix": "lom",
                               "identifier": ours(GONE)},
    "GetRecord oai_dc, date with a time": {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                           "identifier": ours(TIMED)},
    "GetRecord lom, date with a time": {"verb": "GetRecord", "metadataPrefix": "lom",
                                        "identifier": ours(TIMED)},
    "GetRecord oai_dc, markup": {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                 "identifier": ours(MARKUP)},
    "GetRecord lom, markup": {"verb": "GetRecord", "metadataPrefix": "lom",
                              "identifier": ours(MARKUP)},
    "ListRecords of a set": "verb=ListRecords&metadataPrefix=lom&set=source:ua",
}
# name: (query, code). noSetHierarchy is answered by an empty catalogue only (below);
# noMetadataFormats never: every item, deleted ones too, is offered in both formats.
ERRORS = {
    "no verb": ("", "badVerb"),
    "unknown verb": ("verb=Harvest", "badVerb"),
    "repeated verb": ("verb=Identify&verb=Identify", "badVerb"),
    "empty verb": ("verb=", "badVerb"),
    "unknown argument": ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
    "unknown argument of a list": ("verb=ListRecords&metadataPrefix=oai_dc&foo=1", "badArgument"),
    "repeated argument": ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=lom",
                          "badArgument"),
    "missing argument": ("verb=ListIdentifiers", "badArgument"),
    "GetRecord without identifier": ("verb=GetRecord&metadataPrefix=lom", "badArgument"),
    "prefix with a space": ("verb=ListRecords&metadataPrefix=oai+dc", "badArgument"),
    "empty prefix": ("verb=ListIdentifiers&metadataPrefix=", "badArgument"),
    "GetRecord prefix with a space": (f"verb=GetRecord&metadataPrefix=oai+dc&identifier="
                                      f"{ours(FULL)}", "badArgument"),
    "identifier that is no URI": ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:%25zz",
                                  "badArgument"),
    "ListMetadataFormats identifier that is no URI": (
        "verb=ListMetadataFormats&identifier=a%23b%23c", "badArgument"),
    "set with a space": ("verb=ListRecords&metadataPrefix=oai_dc&set=no+such+set", "badArgument"),
    "not a date": ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-01", "badArgument"),
    "minutes only": ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01T00:00",
                     "badArgument"),
    "granularities mixed": ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01"
                            "&until=2024-02-01T00:00:00Z", "badArgument"),
    "from after until": ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2024-02-01"
                         "&until=2024-01-01", "badArgument"),
    "token with other arguments": ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x",
                                   "badArgument"),
    "bad token": ("verb=ListRecords&resumptionToken=not-a-token", "badResumptionToken"),
    "empty token": ("verb=ListIdentifiers&resumptionToken=", "badResumptionToken"),
    "ListSets token": ("verb=ListSets&resumptionToken=x", "badResumptionToken"),
    "unknown prefix": ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
    "GetRecord unknown prefix": (f"verb=GetRecord&metadataPrefix=marc21&identifier={ours(FULL)}",
                                 "cannotDisseminateFormat"),
    "unknown identifier": ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:oerhub:ua:nope",
                           "idDoesNotExist"),
    "unknown awkward identifier": (urlencode({
        "verb": "GetRecord", "metadataPrefix": "lom",
        "identifier": oai_identifier("s", "é\u0301 <&>\"' a:b::c?d#e 100%")}), "idDoesNotExist"),
    "foreign identifier": ("verb=ListMetadataFormats&identifier=oai:other.org:1",
                           "idDoesNotExist"),
    "empty set": ("verb=ListRecords&metadataPrefix=oai_dc&set=country:TJ", "noRecordsMatch"),
    "nothing until then": ("verb=ListIdentifiers&metadataPrefix=lom&until=2001-01-01",
                           "noRecordsMatch"),
}


@pytest.mark.parametrize("query", ANSWERS.values(), ids=ANSWERS.keys())
def test_every_kind_of_answer_validates(client: SiteClient, schema: etree.XMLSchema,
                                        query: str | dict[str, str]) -> None:
    root = valid(schema, ask(client, query).content)
    assert error_code(root) is None


@pytest.mark.parametrize("query, code", ERRORS.values(), ids=ERRORS.keys())
def test_every_error_validates(client: SiteClient, schema: etree.XMLSchema, query: str,
                               code: str) -> None:
    root = valid(schema, ask(client, query).content)
    assert error_code(root) == code
    if code in ("badVerb", "badArgument"):
        assert not root.find(f"{OAI}request").attrib  # the base URL alone


def test_an_empty_catalogue_has_no_set_hierarchy(tmp_path: Path, schema: etree.XMLSchema) -> None:
    db = new_catalogue(tmp_path, [])
    served = site(db, {"admin_email": ADMIN})
    try:
        for query, code in (("verb=ListSets", "noSetHierarchy"),
                            ("verb=ListRecords&metadataPrefix=oai_dc", "noRecordsMatch")):
            assert error_code(valid(schema, ask(served, query).content)) == code
        identify = valid(schema, ask(served, "verb=Identify").content)
        assert identify.findtext(f".//{OAI}earliestDatestamp") == "1970-01-01T00:00:00Z"
    finally:
        served.close()


def pages(client: SiteClient, schema: etree.XMLSchema, query: dict[str, str]) -> list[Any]:
    """A list and all its resumptions, each answer validated."""
    found = [valid(schema, ask(client, query).content)]
    while True:
        token = found[-1][2].find(f"{OAI}resumptionToken")
        if token is None or not token.text:
            return found
        found.append(valid(schema, ask(client, {"verb": query["verb"],
                                                "resumptionToken": token.text}).content))


@pytest.mark.parametrize("verb, prefix", [("ListIdentifiers", "oai_dc"),
                                          ("ListRecords", "oai_dc"), ("ListRecords", "lom")])
def test_first_middle_and_last_pages_validate(client: SiteClient, schema: etree.XMLSchema,
                                              verb: str, prefix: str) -> None:
    answers = pages(client, schema, {"verb": verb, "metadataPrefix": prefix})
    total = len(sample_records())
    assert len(answers) == -(-total // PAGE_SIZE) == 4  # first, two middle, last
    tokens = [a[2].find(f"{OAI}resumptionToken") for a in answers]
    assert all(t.text for t in tokens[:-1]) and not tokens[-1].text  # the end: an empty token
    assert [t.get("cursor") for t in tokens] == ["0", "3", "6", "9"]
    assert {t.get("completeListSize") for t in tokens} == {str(total)}


# --- 1. LOM dates with a time ------------------------------------------------------------------

LOM_ROW = {"identifiers": None, "title": "t", "language": "en", "description": None,
           "subjects": None, "creators": None, "publisher": None, "url": None,
           "education_level": None, "resource_type": None, "license": None,
           "license_url": None, "access": None}


@pytest.mark.parametrize("stored, written", [
    ("2024-02-01T00:00:00Z", "2024-02-01T00:00:00.0Z"), ("2019-05-14T08:52:33Z",
                                                          "2019-05-14T08:52:33.0Z"),
    ("2024-02-01", "2024-02-01"), ("2024-02", "2024-02"), ("1987", "1987"),
])
def test_lom_dates_with_a_time_validate(schema: etree.XMLSchema, stored: str,
                                        written: str) -> None:
    element = lom({**LOM_ROW, "date": stored})
    assert element.findtext(f".//{LOM}dateTime") == written
    if not schema.validate(element):
        raise AssertionError(str(schema.error_log))


def test_lom_date_with_a_time_over_oai_reads_back(client: SiteClient,
                                                  schema: etree.XMLSchema) -> None:
    from oerhub.normalize.dates import normalize_date

    root = valid(schema, ask(client, ANSWERS["GetRecord lom, date with a time"]).content)
    written = root.findtext(f".//{LOM}lifeCycle/{LOM}contribute/{LOM}date/{LOM}dateTime")
    assert written == "2024-02-01T00:00:00.0Z"
    assert normalize_date(written) == "2024-02-01T00:00:00Z"  # what oerhub stored


# --- 2. illegal argument syntax ------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "verb=ListRecords&metadataPrefix=oai+dc", "verb=ListIdentifiers&metadataPrefix=",
    f"verb=GetRecord&metadataPrefix=oai%20dc&identifier={ours(FULL)}",
    "verb=GetRecord&metadataPrefix=&identifier=oai:oerhub:ua:x",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:%25zz",
    "verb=ListRecords&metadataPrefix=lom&set=a+b",
])
def test_illegal_argument_syntax_is_bad_argument_and_not_echoed(
        client: SiteClient, schema: etree.XMLSchema, query: str) -> None:
    for method in ("GET", "POST"):
        if method == "GET":
            body = ask(client, query).content
        else:
            body = client.loop.run_until_complete(client.ds.client.post(
                "/oai", content=query.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})).content
        root = valid(schema, body)
        assert error_code(root) == "badArgument", (method, query)
        request = root.find(f"{OAI}request")
        assert request.text == BASE and not request.attrib


# --- 3. a list whose records change between two pages ---------------------------------------------

def wait_past(stamp: str) -> None:
    while utc_now() <= stamp:
        time.sleep(0.05)


@pytest.mark.parametrize("indexed", [False, True], ids=["by id", "by last_changed"])
@pytest.mark.parametrize("changed", [4, 2], ids=["the rest changed", "part of the rest"])
def test_a_list_changed_between_pages_keeps_its_pages_valid(
        tmp_path: Path, schema: etree.XMLSchema, changed: int, indexed: bool) -> None:
    """A harvester lists until=T; meanwhile the records it has not reached yet change, so
    they leave the list. Its next page must still hold a record, and the count end honest.
    (With an index leading with last_changed, from/until pages go by (last_changed, id).)"""
    records = [Record("ua", f"oai:ua:{n}", "2024-01-01", title=f"Record {n}", country="UA",
                      url=f"https://ua.example.org/{n}") for n in range(7)]
    db = new_catalogue(tmp_path, records)
    with Catalogue(db) as catalogue:
        stamp = catalogue.conn.execute("SELECT MAX(last_changed) FROM records").fetchone()[0]
        if indexed:
            catalogue.conn.execute("CREATE INDEX records_stamp ON records(last_changed)")
    served = site(db, {"page_size": PAGE_SIZE, "admin_email": ADMIN})
    try:
        first = valid(schema, ask(served, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                                           "until": stamp}).content)
        token = first[2].find(f"{OAI}resumptionToken")
        assert token.get("completeListSize") == "7" and token.text
        assert ListQuery.from_token("ListIdentifiers", token.text).order == (
            "stamp" if indexed else "id")
        wait_past(stamp)
        store(db, [replace(r, title=f"{r.title}, revised", datestamp="2024-06-01")
                   for r in records[7 - changed:]])
        seen = [h.findtext(f"{OAI}identifier") for h in first[2].iter(f"{OAI}header")]
        text = token.text
        while text:
            root = valid(schema, ask(served, {"verb": "ListIdentifiers",
                                              "resumptionToken": text}).content)
            headers = list(root[2].iter(f"{OAI}header"))
            assert headers, "a page without records"
            assert all(h.findtext(f"{OAI}datestamp") <= stamp for h in headers)
            seen += [h.findtext(f"{OAI}identifier") for h in headers]
            token = root[2].find(f"{OAI}resumptionToken")
            text = token.text
        assert set(seen) == {ours(r.identifier) for r in records[:7 - changed]}
        assert token.get("completeListSize") == str(7 - changed)  # what the list turned out
    finally:
        served.close()


# --- 4. the administrator's address --------------------------------------------------------------

def admin_email(db: Path, oai_config: dict[str, Any], config: Config | None) -> str | None:
    served = site(db, oai_config, config)
    try:
        response = served.get("/oai?verb=Identify")
        if response.status_code != 200:
            return None
        return etree.fromstring(response.content).findtext(f".//{OAI}adminEmail")
    finally:
        served.close()


def test_admin_email_is_the_configured_one(catalogue: Path, tmp_path: Path) -> None:
    site_table = f'[site]\nadmin_email = "oai@site.example.org"\n[harvest]\ncontact = "{CONTACT}"\n'
    (tmp_path / "site").mkdir()
    with_site = load_config(registry(tmp_path / "site", site_table))
    with_contact = load_config(registry(tmp_path))
    assert admin_email(catalogue, {"admin_email": ADMIN}, with_site) == ADMIN  # plugin first
    assert admin_email(catalogue, {}, with_site) == "oai@site.example.org"  # then [site]
    assert admin_email(catalogue, {}, with_contact) == "harvest-team@hub.example.org"


def test_without_an_address_oai_is_off_and_says_why(catalogue: Path, tmp_path: Path) -> None:
    web_contact = load_config(registry(tmp_path, '[harvest]\ncontact = "https://x.example.org"\n'))
    for config in (None, web_contact):
        served = site(catalogue, {}, config)
        try:
            for query in ("verb=Identify", "verb=ListRecords&metadataPrefix=oai_dc"):
                response = served.get(f"/oai?{query}")
                assert response.status_code == 503
                assert "admin_email" in response.text and "@" not in response.text
        finally:
            served.close()


def test_an_admin_email_that_is_no_address_is_refused(catalogue: Path, tmp_path: Path) -> None:
    from oerhub.errors import ConfigError, OerhubError

    with pytest.raises(ConfigError, match="site.admin_email.*e-mail address"):
        load_config(registry(tmp_path, '[site]\nadmin_email = "nobody"\n'))
    with pytest.raises(ConfigError, match="site.colour"):
        load_config(registry(tmp_path, '[site]\ncolour = "blue"\n'))
    with pytest.raises(OerhubError, match="admin_email: 'root' is not an e-mail address"):
        site(catalogue, {"admin_email": "root"})

"""Which of a record's links a reader gets: a portal's home page never beats the record's own."""

from __future__ import annotations

import pytest

from oerhub.models import RawRecord
from oerhub.normalize import normalize
from oerhub.normalize.urls import best_url, repository_host

HANDLE = "http://bbytezarsivi.hacettepe.edu.tr/jspui/handle/2062/31"


@pytest.mark.parametrize("links, home, expected", [
    # a national portal's home page listed before the repository's handle page
    ([("http://tez2.yok.gov.tr/", {"field": "identifier"}), (HANDLE, {"field": "identifier"})],
     None, HANDLE),
    ([("https://www.portal.example/index.php", {}), ("https://repo.example/items/7", {})],
     None, "https://repo.example/items/7"),
    ([("https://portal.example", {}), ("hdl:2062/31", {})], None,
     "https://hdl.handle.net/2062/31"),
    ([("https://portal.example/", {}), ("doi:10.1234/x.1", {})], None,
     "https://doi.org/10.1234/x.1"),
    # a home page alone is still a link
    ([("https://portal.example/", {})], None, "https://portal.example/"),
    # the repository's own host before an equally good page elsewhere
    ([("https://mirror.example/a/1", {}), ("https://www.repo.example/a/1", {})], "repo.example",
     "https://www.repo.example/a/1"),
    ([("https://mirror.example/a/1", {}), ("https://lib.repo.example/a/1", {})], "repo.example",
     "https://lib.repo.example/a/1"),
    # ... but a resolvable DOI is never "elsewhere", and a landing page still beats a file
    ([("https://doi.org/10.1/x", {}), ("https://repo.example/a/1", {})], "repo.example",
     "https://doi.org/10.1/x"),
    ([("https://repo.example/bitstream/1/a.pdf", {}), ("https://mirror.example/a/1", {})],
     "repo.example", "https://mirror.example/a/1"),
    # without a known home the order of the record counts
    ([("https://mirror.example/a/1", {}), ("https://repo.example/a/1", {})], None,
     "https://mirror.example/a/1"),
])
def test_best_url_prefers_the_records_own_page(links, home, expected):
    assert best_url(links, home) == expected


@pytest.mark.parametrize("identifier, host", [
    ("oai:cyberleninka.ru:article/14074026", "cyberleninka.ru"),
    ("oai:www.rcaap.pt:123", "rcaap.pt"),
    ("oai:localhost:2062/31", None),        # a misconfigured repository id names no host
    ("oai:10.6.20.92:123456789/1", None),
    ("oai:arXiv.org:0804.2273", "arxiv.org"),
    ("https://www.oer.example/m/1#2", "oer.example"),
    ("urn:uuid:1", None),
    (None, None),
])
def test_repository_host(identifier, host):
    assert repository_host(identifier) == host


def test_dc_record_with_a_portal_home_page_gets_its_handle_page():
    dc = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Tez</dc:title>'
          '<dc:identifier>170</dc:identifier><dc:identifier>http://tez2.yok.gov.tr/'
          f'</dc:identifier><dc:identifier>{HANDLE}</dc:identifier></oai_dc:dc>')
    record = normalize(RawRecord("tr", "oai:localhost:2062/31", None, False, "oai_dc", dc), "TR")
    assert record.url == HANDLE

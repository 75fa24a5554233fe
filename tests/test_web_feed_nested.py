"""Feeds of ministry repositories end to end, against a feed site on 127.0.0.1: entries nested
inside entries, the entry's own page as URL, Dublin Core under any prefix, no untitled record."""

from __future__ import annotations

import json

import pytest
from conftest import latest_run, rows_by_id, source_toml

from oerhub.normalize.feed import entry_page

ATOM = "application/atom+xml; charset=utf-8"
DOCS = "/atom/documents.xml"


def ministry_feed(base: str) -> str:
    """Each document's files nested inside its entry; ids on the listing page (fragments);
    rights, types and levels in DC under the feed's own prefixes (dcx:, DCTERMS:)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dcx="http://purl.org/dc/elements/1.1"
      xmlns:DCTERMS="http://purl.org/dc/terms/" xml:lang="uk">
<title>Нормативна база</title><id>{base}/documents/</id><updated>2024-03-07T09:00:00Z</updated>
<link rel="alternate" type="text/html" href="{base}/documents/"/>
<entry>
  <id>{base}/documents/#doc-1</id><title>Типова освітня програма 5-9 класів</title>
  <updated>2024-03-07T09:00:00Z</updated>
  <link rel="alternate" type="text/html" href="{base}/documents/1"/>
  <entry><id>{base}/documents/#doc-1-file-1</id>
    <link rel="enclosure" type="application/pdf" href="{base}/files/1.pdf"/></entry>
  <entry><id>{base}/documents/#doc-1-file-2</id><title>Додаток 1</title>
    <link href="{base}/files/1-dodatok.pdf" type="application/pdf"/></entry>
  <dcx:rights>CC BY 4.0</dcx:rights>
  <dcx:type>Навчальна програма</dcx:type>
  <DCTERMS:educationLevel>5-9 класи</DCTERMS:educationLevel>
  <summary>Програма для закладів загальної середньої освіти</summary>
</entry>
<entry>
  <id>{base}/documents/#doc-2</id><title>Методичні рекомендації</title>
  <updated>2024-03-06T09:00:00Z</updated>
  <entry><id>{base}/documents/#doc-2-file-1</id>
    <link rel="alternate" type="application/pdf" href="{base}/files/2.pdf"/></entry>
  <link rel="alternate" type="text/html" href="{base}/documents/2"/>
  <DCTERMS:license>https://creativecommons.org/licenses/by-sa/4.0/</DCTERMS:license>
  <DCTERMS:type>Посібник</DCTERMS:type>
</entry>
<entry>
  <id>{base}/documents/#doc-3</id><updated>2024-03-05T09:00:00Z</updated>
  <link rel="alternate" href="{base}/documents/3"/>
</entry>
</feed>"""


def test_ministry_feed_gives_one_record_per_document(tmp_path, website, write_config,
                                                     run_oerhub):
    website.add(DOCS, ministry_feed(website.url), ATOM)
    write_config(source_toml("ua-mon", website.url + DOCS, protocol="feed", delay=0))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "oerhub.db"
    rows = rows_by_id(db)
    base = website.url
    # the nested file entries are no records; the untitled document is not stored
    assert set(rows) == {f"{base}/documents/#doc-1", f"{base}/documents/#doc-2"}
    one = rows[f"{base}/documents/#doc-1"]
    assert one["title"] == "Типова освітня програма 5-9 класів"
    assert one["url"] == f"{base}/documents/1"  # the alternate link, not the listing page
    assert one["description"] == "Програма для закладів загальної середньої освіти"
    assert (one["license"], one["license_raw"]) == ("CC-BY-4.0", "CC BY 4.0")  # dcx:rights
    assert one["resource_type_raw"] == "Навчальна програма"                    # dcx:type
    assert json.loads(one["education_level"]) == ["ISCED 2"]          # DCTERMS:educationLevel
    two = rows[f"{base}/documents/#doc-2"]
    assert two["url"] == f"{base}/documents/2"  # its link comes after the nested entry
    assert two["license"] == "CC-BY-SA-4.0"     # DCTERMS:license
    assert two["resource_type_raw"] == "Посібник"
    run = latest_run(db)
    assert run["records_new"] == 2
    assert "3 entries nested inside other entries were read as their parent's files" \
        in run["warnings"]
    assert f"1 record without a title was not stored ({base}/documents/#doc-3)" \
        in run["warnings"]
    assert "without a title was not stored" in result.stdout + result.stderr


@pytest.mark.parametrize("links, link, guidislink, expected", [
    ([{"rel": "alternate", "type": "text/html", "href": "https://a.example/1"}],
     "https://a.example/list", False, "https://a.example/1"),
    ([{"rel": "alternate", "type": "application/pdf", "href": "https://a.example/1.pdf"},
      {"rel": "alternate", "type": "text/html", "href": "https://a.example/1"}],
     None, False, "https://a.example/1"),   # a web page before another type
    ([{"rel": "alternate", "type": "application/pdf", "href": "https://a.example/1.pdf"}],
     None, False, "https://a.example/1.pdf"),
    ([{"href": "https://a.example/2"}], None, False, "https://a.example/2"),  # rel defaults
    ([{"rel": "related", "href": "https://a.example/list"}], "tag:a,2024:1", True, None),
    ([{"rel": "enclosure", "href": "https://a.example/f.pdf"}], "https://a.example/g", True,
     "https://a.example/g"),                # an RSS guid that is a permalink
    ([], "https://a.example/3", False, "https://a.example/3"),
    (None, None, False, None),
])
def test_entry_page(links, link, guidislink, expected):
    assert entry_page(links, link, guidislink) == expected


def test_unnest_entries_leaves_other_feeds_alone():
    from harvesters.feed import unnest_entries

    flat = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id></entry>'
            b'<entry><id>2</id></entry></feed>')
    rss = b"<rss><channel><item><title>entry entry entry entry</title></item></channel></rss>"
    assert unnest_entries(flat) == (flat, 0)
    assert unnest_entries(rss) == (rss, 0)
    nested, count = unnest_entries(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><entry><id>f</id>'
        b'<link href="https://a.example/f.docx"/></entry></entry></feed>')
    assert count == 1 and nested.count(b"<entry>") == 1
    assert b'rel="enclosure" href="https://a.example/f.docx" type="application/vnd.' in nested

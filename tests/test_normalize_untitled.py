"""A record without a title is never stored, whatever the protocol: the normalisation stage
leaves it out and names it, and the harvest says how many in the run's warnings."""

from __future__ import annotations

import json

import pytest

from oerhub.harvest.run import untitled_warning
from oerhub.models import Batch, RawRecord
from oerhub.normalize import normalised

DC = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/">{}</oai_dc:dc>')
LOM = '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>{}</general></lom>'


@pytest.mark.parametrize("format, titled, untitled", [
    ("oai_dc", DC.format("<dc:title>Урок</dc:title>"),
     DC.format("<dc:title>  </dc:title><dc:identifier>https://r.example/1</dc:identifier>")),
    ("lom", LOM.format("<title><string>Урок</string></title>"),
     LOM.format("<description><string>Опис</string></description>")),
    ("feed", json.dumps({"id": "e", "title": "Урок"}),
     json.dumps({"id": "e", "link": "https://r.example/f.pdf"})),
    ("schema.org", json.dumps({"name": "Урок"}), json.dumps({"description": "x"})),
    ("html", json.dumps({"title": ["Урок"]}), json.dumps({"title": [""], "url": ["https://x"]})),
])
def test_untitled_records_are_left_out(format, titled, untitled):
    raws = [RawRecord("s", "keep", None, False, format, titled),
            RawRecord("s", "drop", None, False, format, untitled),
            RawRecord("s", "gone", None, True, format, None)]  # a tombstone has no title
    batch = normalised(Batch(list(raws), None), "UA")

    assert [r.identifier for r in batch.records] == ["keep", "gone"]
    assert [r.identifier for r in batch.normalised or []] == ["keep", "gone"]
    assert batch.untitled == ["drop"]


def test_a_batch_of_titled_records_is_unchanged():
    raws = [RawRecord("s", str(n), None, False, "oai_dc", DC.format(f"<dc:title>{n}</dc:title>"))
            for n in range(3)]
    batch = normalised(Batch(list(raws), None), None)
    assert batch.records == raws and batch.untitled == []


@pytest.mark.parametrize("identifiers, warning", [
    ([], []),
    (["oai:a:1"], ["1 record without a title was not stored (oai:a:1): a record needs a "
                   "title; check the source's mapping"]),
    ([f"oai:a:{n}" for n in range(1, 1201)],
     ["1,200 records without a title were not stored (oai:a:1, oai:a:2, oai:a:3, …): a record "
      "needs a title; check the source's mapping"]),
])
def test_untitled_warning(identifiers, warning):
    assert untitled_warning(identifiers) == warning

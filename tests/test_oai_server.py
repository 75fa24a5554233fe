"""The sample repositories behind the demo and the tests, checked with an independent client
(Sickle), so that our harvester's tests stand on a server that behaves as the protocol says."""

from __future__ import annotations

import requests
from sickle import Sickle

from oerhub.demo.samples import DAY, SampleRepository, make_records


def test_sickle_harvests_every_record_of_a_sample_repository(oai_server):
    records = make_records("s", 130, ["ru", "ka"], sets=["a", "b"])
    records[7].deleted = True
    server = oai_server(SampleRepository("s", records, sets={"a": "A", "b": "B"}), batch_size=25)
    sickle = Sickle(server.url("s"))

    harvested = list(sickle.ListRecords(metadataPrefix="oai_dc"))

    assert [r.header.identifier for r in harvested] == [r.identifier for r in records]
    assert [r.header.deleted for r in harvested].count(True) == 1
    assert harvested[0].metadata["title"] == [records[0].expected["title"]]
    assert len(list(sickle.ListRecords(metadataPrefix="oai_dc", set="b"))) == 65
    assert len(server.requests_for("s", "ListRecords")) == 6 + 3


def test_day_granularity_sample_refuses_times(oai_server):
    server = oai_server(SampleRepository("d", make_records("d", 3, ["lv"]), granularity=DAY))

    refused = requests.get(server.url("d"), params={
        "verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2019-01-01T00:00:00Z"})
    accepted = requests.get(server.url("d"), params={
        "verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2019-01-01"})

    assert 'code="badArgument"' in refused.text
    assert "<datestamp>2019-01-01</datestamp>" in accepted.text

"""The OAI-PMH client's defences, each against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone

import pytest

from harvesters.oai_client import OaiClient, parse_response
from oerhub.errors import NotOaiResponse, OaiProtocolError, SourceUnreachable
from oerhub.http import HttpClient, Response, decompress, retry_after_seconds

ENVELOPE = ('<?xml version="1.0" encoding="{encoding}"?>{doctype}'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<responseDate>2024-05-01T10:00:00Z</responseDate><request>x</request>"
            "<ListRecords><record><header><identifier>oai:x:1</identifier>"
            "<datestamp>2024-01-01</datestamp></header><metadata>"
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
            "</oai_dc:dc></metadata></record></ListRecords></OAI-PMH>")


def page(title: str, encoding: str = "UTF-8", doctype: str = "") -> str:
    return ENVELOPE.format(title=title, encoding=encoding, doctype=doctype)


def titles(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://purl.org/dc/elements/1.1/}title")]


def response(body: bytes, content_type: str = "text/xml", status: int = 200) -> Response:
    return Response("http://127.0.0.1/oai", status, {"Content-Type": content_type}, body)


def test_external_entity_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    root = parse_response(response(page("&xxe;", doctype=doctype).encode()))
    assert "TOP-SECRET" not in "".join(titles(root))


def test_entity_expansion_is_not_performed():
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE OAI-PMH [<!ENTITY l0 "lol">{laughs}]>'
    started = time.monotonic()
    root = parse_response(response(page("&l9;", doctype=doctype).encode()))
    assert len("".join(titles(root))) < 100
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
def test_charset_from_http_header_when_xml_declares_none(encoding):
    body = page("Учебное пособие по химии").replace(
        '<?xml version="1.0" encoding="UTF-8"?>', "").encode(encoding)
    root = parse_response(response(body, f"text/xml; charset={encoding}"))
    assert titles(root) == ["Учебное пособие по химии"]


def test_declared_single_byte_encoding_is_honoured():
    body = page("Навчальний посібник", encoding="windows-1251").encode("windows-1251")
    assert titles(parse_response(response(body, "text/xml"))) == ["Навчальний посібник"]


def test_control_characters_are_stripped():
    root = parse_response(response(page("Химия\x0b и\x01 физика").encode()))
    assert titles(root) == ["Химия и физика"]


@pytest.mark.parametrize("header", ["", "gzip"])
def test_gzip_is_recognised_by_its_magic_bytes(header):
    body = page("ქიმია").encode()
    assert decompress(gzip.compress(body), header) == body
    assert titles(parse_response(response(decompress(gzip.compress(body), header)))) == ["ქიმია"]


def test_a_gzip_header_over_a_plain_body_is_ignored():
    body = page("ქიმია").encode()
    assert decompress(body, "gzip") == body


def test_html_page_is_reported_with_its_title():
    html = b"<!DOCTYPE html>\n<html><head><title>Login required</title></head></html>"
    with pytest.raises(NotOaiResponse, match="HTML page titled 'Login required'"):
        parse_response(response(html, "text/html"))


def test_json_is_not_oai():
    with pytest.raises(NotOaiResponse, match=r"it begins '\{\"error\""):
        parse_response(response(b'{"error": "maintenance"}', "application/json"))


def test_http_error_without_oai_body_is_unreachable():
    with pytest.raises(SourceUnreachable, match="HTTP 500"):
        parse_response(response(b"Internal Server Error", "text/plain", status=500))


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0),
    ("0", 0.0),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
    ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past: no wait
    ("soon", None),
    ("", None),
    (None, None),
])
def test_retry_after_in_both_forms(value, seconds):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(value, now=now) == seconds


def test_retries_are_bounded_and_honour_retry_after(static_server):
    server = static_server(lambda path: (503, {"Retry-After": "1"}, b"busy"))
    client = HttpClient(contact="mailto:t@example.org", timeout=5, retries=2, backoff=0)
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match="HTTP 503 .* after 3 tries"):
        client.get(server.url + "/oai", {"verb": "Identify"})
    assert len(server.paths) == 3
    assert time.monotonic() - started >= 2.0  # waited as asked between tries


def test_a_retry_after_beyond_the_ceiling_gives_up_at_once(static_server):
    server = static_server(lambda path: (429, {"Retry-After": "86400"}, b"slow down"))
    client = HttpClient(contact="mailto:t@example.org", timeout=5, retries=5, backoff=0)
    with pytest.raises(SourceUnreachable, match="asks to wait 86400 s"):
        client.get(server.url + "/oai")
    assert len(server.paths) == 1


def test_a_retry_succeeds_after_a_transient_error(static_server):
    answers = iter([(503, {}, b"busy"), (200, {"Content-Type": "text/xml"},
                                         page("ok").encode())])
    server = static_server(lambda path: next(answers))
    client = HttpClient(contact="mailto:t@example.org", timeout=5, retries=2, backoff=0.01)
    oai = OaiClient(server.url + "/oai", client)
    result = oai.call("ListRecords", metadataPrefix="oai_dc")
    assert titles(result.tree) == ["ok"] and client.requests_made == 2


def test_other_oai_errors_are_named(static_server):
    body = ('<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01'
            '</responseDate><error code="cannotDisseminateFormat">no lom here</error>'
            "</OAI-PMH>").encode()
    server = static_server(lambda path: (200, {"Content-Type": "text/xml"}, body))
    oai = OaiClient(server.url + "/oai", HttpClient(contact="mailto:t@example.org", retries=0))
    with pytest.raises(OaiProtocolError, match="'cannotDisseminateFormat' .*no lom here"):
        oai.call("ListRecords", metadataPrefix="lom")

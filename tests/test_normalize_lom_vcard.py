"""A LOM contributor's name, however its vCard is written."""

from __future__ import annotations

import pytest

from oerhub.models import RawRecord
from oerhub.normalize import normalize
from oerhub.normalize.lom import _vcard_name


@pytest.mark.parametrize("vcard, name", [
    ("BEGIN:VCARD\nVERSION:3.0\nFN:Mari Tamm\nEND:VCARD", "Mari Tamm"),
    # on one line, as some LOM editors store it
    ("BEGIN:VCARD VERSION:3.0 FN:Mari Tamm END:VCARD", "Mari Tamm"),
    ("BEGIN:VCARD VERSION:3.0 N:Tamm;Mari;;; END:VCARD", "Mari Tamm"),
    ("BEGIN:VCARD VERSION:3.0 FN:Іван Петренко EMAIL;TYPE=INTERNET:ip@example.ua END:VCARD",
     "Іван Петренко"),
    ("BEGIN:VCARD VERSION:2.1 FN;CHARSET=UTF-8:Иван Иванов ORG:МГУ END:VCARD", "Иван Иванов"),
    ("BEGIN:VCARD VERSION:3.0 ORG:Haridus- ja Noorteamet END:VCARD", "Haridus- ja Noorteamet"),
    # literal "\n" escapes, folded lines, CRLF
    ("BEGIN:VCARD\\nVERSION:3.0\\nFN:Jānis Bērziņš\\nEND:VCARD", "Jānis Bērziņš"),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Maria\r\n  Kowalska\r\nEND:VCARD",
     "Anna Maria Kowalska"),
    # NOTE and NICKNAME are not N
    ("BEGIN:VCARD\nNOTE:teacher\nN:Tamm;Mari\nEND:VCARD", "Mari Tamm"),
    ("BEGIN:VCARD VERSION:3.0 NICKNAME:mt N:Tamm;Mari END:VCARD", "Mari Tamm"),
    ("BEGIN:VCARD VERSION:3.0 FN:Smith\\, John END:VCARD", "Smith, John"),
    ("BEGIN:VCARD VERSION:3.0 END:VCARD", ""),
    ("Plain Name", "Plain Name"),
])
def test_vcard_name(vcard, name):
    assert _vcard_name(vcard) == name


def test_one_line_vcard_gives_the_creator():
    lom = ('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><title><string>T</string>'
           '</title></general><lifeCycle><contribute><role><source>LOMv1.0</source>'
           '<value>author</value></role><entity>BEGIN:VCARD VERSION:3.0 FN:Aigerim Nurlanovna '
           'END:VCARD</entity></contribute></lifeCycle></lom>')
    record = normalize(RawRecord("kz", "oai:x.kz:1", None, False, "lom", lom), "KZ")
    assert record.creators == ["Aigerim Nurlanovna"]

"""Rights statements seen in the region's repositories → SPDX id, licence URL, access status."""

from __future__ import annotations

import pytest

from oerhub.normalize import license as license_module
from oerhub.normalize.license import License, normalize_license, pick_license

BY4 = "http://creativecommons.org/licenses/by/4.0/"

# (raw value, spdx, url, access)
LICENSE_TABLE = [
    # Creative Commons URLs: scheme, www, deed/legalcode, ported versions (url kept as written)
    (BY4, "CC-BY-4.0", BY4, None),
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/", None),
    ("https://creativecommons.org/licenses/by-sa/4.0", "CC-BY-SA-4.0",
     "https://creativecommons.org/licenses/by-sa/4.0", None),
    ("http://www.creativecommons.org/licenses/by-nc/3.0/", "CC-BY-NC-3.0",
     "http://www.creativecommons.org/licenses/by-nc/3.0/", None),
    ("creativecommons.org/licenses/by-nd/2.5/", "CC-BY-ND-2.5",
     "creativecommons.org/licenses/by-nd/2.5/", None),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.ru", "CC-BY-NC-SA-4.0",
     "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.ru", None),
    ("https://creativecommons.org/licenses/by/4.0/deed.uk", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/deed.uk", None),
    ("https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode", "CC-BY-NC-ND-4.0",
     "https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode", None),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode.ru", "CC-BY-NC-SA-4.0",
     "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode.ru", None),
    ("http://creativecommons.org/licenses/by/3.0/ua/", "CC-BY-3.0",
     "http://creativecommons.org/licenses/by/3.0/ua/", None),
    ("http://creativecommons.org/licenses/by-nc-sa/2.5/ru/deed.ru", "CC-BY-NC-SA-2.5",
     "http://creativecommons.org/licenses/by-nc-sa/2.5/ru/deed.ru", None),
    ("http://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0",
     "http://creativecommons.org/licenses/by-nd-nc/1.0/", None),
    # Ports SPDX lists keep their jurisdiction; other ports fall back to the unported id
    ("http://creativecommons.org/licenses/by-nc-nd/3.0/de/", "CC-BY-NC-ND-3.0-DE",
     "http://creativecommons.org/licenses/by-nc-nd/3.0/de/", None),
    ("https://creativecommons.org/licenses/by/3.0/us/", "CC-BY-3.0-US",
     "https://creativecommons.org/licenses/by/3.0/us/", None),
    ("https://creativecommons.org/licenses/by/3.0/us/deed.en", "CC-BY-3.0-US",
     "https://creativecommons.org/licenses/by/3.0/us/deed.en", None),
    ("http://creativecommons.org/licenses/by-sa/3.0/at/", "CC-BY-SA-3.0-AT",
     "http://creativecommons.org/licenses/by-sa/3.0/at/", None),
    ("https://creativecommons.org/licenses/by-nc-sa/3.0/igo/", "CC-BY-NC-SA-3.0-IGO",
     "https://creativecommons.org/licenses/by-nc-sa/3.0/igo/", None),
    ("http://creativecommons.org/licenses/by-nc-sa/2.0/uk/", "CC-BY-NC-SA-2.0-UK",
     "http://creativecommons.org/licenses/by-nc-sa/2.0/uk/", None),
    ("http://creativecommons.org/licenses/by/2.5/au/", "CC-BY-2.5-AU",
     "http://creativecommons.org/licenses/by/2.5/au/", None),
    ("http://creativecommons.org/licenses/by-sa/2.1/jp/", "CC-BY-SA-2.1-JP",
     "http://creativecommons.org/licenses/by-sa/2.1/jp/", None),
    ("http://creativecommons.org/licenses/by-nc/3.0/de/", "CC-BY-NC-3.0-DE",
     "http://creativecommons.org/licenses/by-nc/3.0/de/", None),
    ("http://creativecommons.org/licenses/by-nc/3.0/ru/", "CC-BY-NC-3.0",
     "http://creativecommons.org/licenses/by-nc/3.0/ru/", None),
    ("CC-BY-3.0-US", "CC-BY-3.0-US", None, None),
    ("CC-BY-NC-ND-3.0-DE", "CC-BY-NC-ND-3.0-DE", None, None),
    # A 2.1 port SPDX does not list (and no unported 2.1): the family, URL kept
    ("http://creativecommons.org/licenses/by-sa/2.1/es/", "LicenseRef-CC-BY-SA",
     "http://creativecommons.org/licenses/by-sa/2.1/es/", None),
    # URL inside HTML (the href survives; the badge gives no url of its own)
    ('<a rel="license" href="http://creativecommons.org/licenses/by-nc/4.0/">'
     '<img src="https://i.creativecommons.org/l/by-nc/4.0/88x31.png" /></a>', "CC-BY-NC-4.0",
     "http://creativecommons.org/licenses/by-nc/4.0/", None),
    ('<img alt="Лицензия Creative Commons" '
     'src="https://i.creativecommons.org/l/by-sa/4.0/88x31.png" />', "CC-BY-SA-4.0", None, None),
    ("Доступно по лицензии (https://creativecommons.org/licenses/by/4.0/).", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/", None),
    # Short names
    ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0", None, None),
    ("CC-BY 4.0", "CC-BY-4.0", None, None),
    ("CC BY 4.0", "CC-BY-4.0", None, None),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0", None, None),
    ("CC-BY-SA-3.0", "CC-BY-SA-3.0", None, None),
    ("CC BY-NC-ND 3.0", "CC-BY-NC-ND-3.0", None, None),
    ("CC BY-NC 2.0", "CC-BY-NC-2.0", None, None),
    ("CC BY-SA 4", "CC-BY-SA-4.0", None, None),
    ("СС BY 4.0", "CC-BY-4.0", None, None),  # Cyrillic С's
    ("CC BY-NC-SA 4,0", "CC-BY-NC-SA-4.0", None, None),
    # Long names: English, Russian, Ukrainian
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0", None, None),
    ("Creative Commons Attribution-ShareAlike 4.0 International License", "CC-BY-SA-4.0",
     None, None),
    ("Attribution-NonCommercial-NoDerivatives 4.0 International (CC BY-NC-ND 4.0)",
     "CC-BY-NC-ND-4.0", None, None),
    ("Creative Commons Attribution-NonCommercial 3.0 Unported License", "CC-BY-NC-3.0",
     None, None),
    ("Лицензия Creative Commons «Атрибуция» 4.0 Всемирная", "CC-BY-4.0", None, None),
    ("Creative Commons «Атрибуция — Некоммерческое использование — С сохранением условий» "
     "4.0 Всемирная", "CC-BY-NC-SA-4.0", None, None),
    ("Атрибуция — Без производных произведений 4.0 Всемирная", "CC-BY-ND-4.0", None, None),
    ("С указанием авторства — Некоммерческая — Без производных 3.0 Непортированная",
     "CC-BY-NC-ND-3.0", None, None),
    ("Ліцензія Creative Commons Attribution 4.0", "CC-BY-4.0", None, None),
    ("Зазначення авторства — Некомерційна — Поширення на тих же умовах 4.0 Міжнародна",
     "CC-BY-NC-SA-4.0", None, None),
    ("Із зазначенням авторства 4.0 Міжнародна", "CC-BY-4.0", None, None),
    # Public domain tools (one version each)
    ("CC0", "CC0-1.0", None, None),
    ("CC0 1.0 Universal", "CC0-1.0", None, None),
    ("CC0 1.0 Universal Public Domain Dedication", "CC0-1.0", None, None),
    ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0",
     "http://creativecommons.org/publicdomain/zero/1.0/", None),
    ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0",
     "https://creativecommons.org/publicdomain/mark/1.0/", None),
    ("Public Domain Mark 1.0", "CC-PDM-1.0", None, None),
    # Public domain in words: a family of its own
    ("Public Domain", "LicenseRef-PublicDomain", None, None),
    ("Public domain", "LicenseRef-PublicDomain", None, None),
    ("This work is in the public domain.", "LicenseRef-PublicDomain", None, None),
    ("Общественное достояние", "LicenseRef-PublicDomain", None, None),
    ("Суспільне надбання", "LicenseRef-PublicDomain", None, None),
    ("Kamu malı", "LicenseRef-PublicDomain", None, None),
    ("Domeniul public", "LicenseRef-PublicDomain", None, None),
    ("Avalik omand", "LicenseRef-PublicDomain", None, None),
    ("cc_public_domain", "LicenseRef-PublicDomain", None, None),  # EPrints
    # Access statements
    ("info:eu-repo/semantics/openAccess", None, None, "open"),
    ("info:eu-repo/semantics/embargoedAccess", None, None, "embargoed"),
    ("info:eu-repo/semantics/restrictedAccess", None, None, "restricted"),
    ("info:eu-repo/semantics/closedAccess", None, None, "closed"),
    ("http://purl.org/coar/access_right/c_abf2", None, None, "open"),
    # bare info:eu-repo words
    ("openAccess", None, None, "open"),
    ("embargoedAccess", None, None, "embargoed"),
    ("restrictedAccess", None, None, "restricted"),
    ("closedAccess", None, None, "closed"),
    # words glued where a break was lost
    ("Open AccessThis article is licensed under a Creative Commons Attribution 4.0 "
     "International License", "CC-BY-4.0", None, "open"),
    ("Embargoed AccessThe full text will be available in 2026", None, None, "embargoed"),
    # Turkish
    ("Açık erişim", None, None, "open"),
    ("Kısıtlı erişim", None, None, "restricted"),
    ("KISITLI ERİŞİM", None, None, "restricted"),
    ("Kapalı erişim", None, None, "closed"),
    ("Ambargolu", None, None, "embargoed"),
    ("Open Access", None, None, "open"),
    ("открытый доступ", None, None, "open"),
    ("Відкритий доступ", None, None, "open"),
    ("This is an open access article distributed under the terms of the Creative Commons "
     "Attribution 4.0 International License", "CC-BY-4.0", None, "open"),
    # Copyright statements
    ("All rights reserved", None, None, None),
    ("© Автор, 2015", None, None, None),
    ("Все права защищены", None, None, None),
    # A CC licence without a version is its family
    ("CC BY-SA", "LicenseRef-CC-BY-SA", None, None),
    ("CC BY-NC-ND", "LicenseRef-CC-BY-NC-ND", None, None),
    ("CC-BY", "LicenseRef-CC-BY", None, None),
    ("CC BY-ND", "LicenseRef-CC-BY-ND", None, None),
    ("СС BY-NC", "LicenseRef-CC-BY-NC", None, None),  # Cyrillic С's
    ("cc_by", "LicenseRef-CC-BY", None, None),  # EPrints licence codes
    ("cc_by_nc_nd", "LicenseRef-CC-BY-NC-ND", None, None),
    ("cc_by_nc", "LicenseRef-CC-BY-NC", None, None),
    ("cc_by_nc_sa", "LicenseRef-CC-BY-NC-SA", None, None),
    ("cc_by_sa", "LicenseRef-CC-BY-SA", None, None),
    ("cc_by_nd", "LicenseRef-CC-BY-ND", None, None),
    ("cc_by_4", "CC-BY-4.0", None, None),
    ("https://creativecommons.org/licenses/by-nc/", "LicenseRef-CC-BY-NC",
     "https://creativecommons.org/licenses/by-nc/", None),
    ("Creative Commons Attribution License", "LicenseRef-CC-BY", None, None),
    ("Creative Commons Attribution-NonCommercial-ShareAlike", "LicenseRef-CC-BY-NC-SA",
     None, None),
    ("This work is licensed under a Creative Commons Attribution-NoDerivatives License.",
     "LicenseRef-CC-BY-ND", None, None),
    ("Лицензия Creative Commons «Атрибуция — Некоммерческое использование»",
     "LicenseRef-CC-BY-NC", None, None),
    ("Ліцензія Creative Commons «Із зазначенням авторства — Поширення на тих же умовах»",
     "LicenseRef-CC-BY-SA", None, None),
    ("Creative Commons Uznanie Autorstwa - Użycie Niekomercyjne - Na Tych Samych Warunkach "
     "(CC-BY-NC-SA)", "LicenseRef-CC-BY-NC-SA", None, None),
    ("CC BY 2.1", "LicenseRef-CC-BY", None, None),  # a version SPDX does not list
    ("LicenseRef-CC-BY-SA", "LicenseRef-CC-BY-SA", None, None),  # read back as written
    # the element names alone, without Creative Commons, name no licence
    ("Attribution required", None, None, None),
    ("Attribution-NonCommercial", None, None, None),
    # Impossible element combinations
    ("CC BY-ND-SA 4.0", None, None, None),
    # Non-CC licences common on OER
    ("GNU Free Documentation License 1.3", "GFDL-1.3-only", None, None),
    ("GNU Free Documentation License, Version 1.3 or any later version", "GFDL-1.3-or-later",
     None, None),
    ("GFDL-1.2+", "GFDL-1.2-or-later", None, None),
    ("MIT", "MIT", None, None),
    ("The MIT License", "MIT", None, None),
    ("Apache-2.0", "Apache-2.0", None, None),
    ("Apache License, Version 2.0", "Apache-2.0", None, None),
    ("GPL-3.0", "GPL-3.0-only", None, None),
    ("GPLv3+", "GPL-3.0-or-later", None, None),
    ("GNU GPL", None, None, None),
    # Nothing
    ("", None, None, None),
    ("   ", None, None, None),
    (None, None, None, None),
]


@pytest.mark.parametrize(("raw", "spdx", "url", "access"), LICENSE_TABLE)
def test_normalize_license(raw: str | None, spdx: str | None, url: str | None,
                           access: str | None) -> None:
    assert normalize_license(raw) == License(spdx=spdx, url=url, access=access)


PICK_TABLE = [
    # access statement + URL + words: id and url from the URL, access from the statement
    (["info:eu-repo/semantics/openAccess", "CC BY-SA",
      "https://creativecommons.org/licenses/by-sa/4.0/"],
     License("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/", "open")),
    # the first value giving an id wins; a matching URL elsewhere supplies the url
    (["CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.ru"],
     License("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/deed.ru", None)),
    # a URL of a different licence is not attached to the winner
    (["CC BY 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"],
     License("CC-BY-4.0", None, None)),
    # no id anywhere: the first licence URL and the access status are still kept
    ([None, "https://example.org/licence", "Открытый доступ"], License(None, None, "open")),
    # a versioned id beats a family given first; a family beats nothing
    (["CC BY-SA", "https://creativecommons.org/licenses/by-sa/4.0/"],
     License("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/", None)),
    (["info:eu-repo/semantics/openAccess", "cc_by_nc_nd"],
     License("LicenseRef-CC-BY-NC-ND", None, "open")),
    (["Public domain", "CC0"], License("CC0-1.0", None, None)),
    (["© Автор, 2015", "Все права защищены"], License(None, None, None)),
    ([], License(None, None, None)),
]


@pytest.mark.parametrize(("values", "expected"), PICK_TABLE)
def test_pick_license(values: list[str | None], expected: License) -> None:
    assert pick_license(values) == expected


def test_pick_license_accepts_a_generator() -> None:
    values = (v for v in ["info:eu-repo/semantics/embargoedAccess", BY4])
    assert pick_license(values) == License("CC-BY-4.0", BY4, "embargoed")


def test_every_output_id_is_a_listed_spdx_id_or_family() -> None:
    rules = license_module._rules()
    outputs = {spdx for _, spdx, _, _ in LICENSE_TABLE if spdx}
    assert outputs <= rules.known | rules.families
    # the CC family is complete for the versions SPDX lists, and nothing else slipped in
    cc = {i for i in rules.known if i.startswith("CC-BY") and i[-1].isdigit()}
    assert len(cc) == 6 * 5
    assert all(i.rsplit("-", 1)[1] in {"1.0", "2.0", "2.5", "3.0", "4.0"} for i in cc)
    # every port is a port of a version SPDX knows: CC-<family>-<version>-<jurisdiction>
    ports = rules.known - cc - {i for i in rules.known if not i.startswith("CC-BY")}
    assert all(i.rsplit("-", 1)[1].isupper() for i in ports) and len(ports) == 21


def test_every_family_is_a_licenseref_and_output_somewhere() -> None:
    rules = license_module._rules()
    assert all(license_module.is_family(f) for f in rules.families)
    assert rules.families == {spdx for _, spdx, _, _ in LICENSE_TABLE
                              if license_module.is_family(spdx)}
    assert not any(license_module.is_family(i) for i in rules.known)


@pytest.mark.parametrize("phrase", license_module._rules().public_domain_words)
def test_every_public_domain_phrase_gives_the_family(phrase: str) -> None:
    assert normalize_license(phrase.capitalize()).spdx == "LicenseRef-PublicDomain"


@pytest.mark.parametrize("status", license_module.ACCESS_VALUES)
def test_every_access_phrase_gives_its_status(status: str) -> None:
    for phrase in license_module._rules().access[status]:
        assert normalize_license(phrase.upper()).access == status, phrase


@pytest.mark.parametrize(("licence", "url"), [
    ("LicenseRef-CC-BY-NC-ND", None), ("LicenseRef-PublicDomain", None),
    ("LicenseRef-CC-BY-SA", "http://creativecommons.org/licenses/by-sa/2.1/es/"),
    ("CC-BY-NC-ND-3.0-DE", "http://creativecommons.org/licenses/by-nc-nd/3.0/de/"),
])
def test_a_family_or_port_is_published_as_it_reads_back(licence: str, url: str | None) -> None:
    from oerhub.publish.oai_formats import lom_rights, rights_values

    values = rights_values(licence, url, "open")
    assert not any(v.startswith("https://spdx.org/licenses/LicenseRef") for v in values)
    assert pick_license(values) == License(licence, url, "open")
    assert lom_rights(licence, url, "open") == (" ".join(values),)  # one line, read back alike


def test_a_family_counts_as_an_open_licence() -> None:
    from oerhub.catalogue.rules import openness

    assert openness(normalize_license("cc_by_nc_nd").spdx, None) == "open"
    assert openness(normalize_license("Public domain").spdx, "restricted") == "open"


def test_a_family_without_the_licenseref_prefix_is_a_clear_error(tmp_path, monkeypatch) -> None:
    from oerhub.normalize import vocab

    text = vocab.vocab_path("licenses").read_text(encoding="utf-8")
    (tmp_path / "licenses.toml").write_text(
        text.replace('"LicenseRef-CC-BY-SA",', '"CC-BY-SA",', 1), encoding="utf-8")
    monkeypatch.setattr(vocab, "VOCAB_DIR", tmp_path)
    license_module._rules.cache_clear()
    try:
        with pytest.raises(vocab.VocabError, match="must start with LicenseRef-"):
            normalize_license("CC BY-SA")
    finally:
        monkeypatch.undo()
        license_module._rules.cache_clear()

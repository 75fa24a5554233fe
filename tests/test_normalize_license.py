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
    # A 2.1 port has no SPDX id; the URL is still kept
    ("http://creativecommons.org/licenses/by-sa/2.1/jp/", None,
     "http://creativecommons.org/licenses/by-sa/2.1/jp/", None),
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
    # Plain words are not a licence
    ("Public Domain", None, None, None),
    ("Общественное достояние", None, None, None),
    # Access statements
    ("info:eu-repo/semantics/openAccess", None, None, "open"),
    ("info:eu-repo/semantics/embargoedAccess", None, None, "embargoed"),
    ("info:eu-repo/semantics/restrictedAccess", None, None, "restricted"),
    ("info:eu-repo/semantics/closedAccess", None, None, "closed"),
    ("http://purl.org/coar/access_right/c_abf2", None, None, "open"),
    ("Open Access", None, None, "open"),
    ("открытый доступ", None, None, "open"),
    ("Відкритий доступ", None, None, "open"),
    ("This is an open access article distributed under the terms of the Creative Commons "
     "Attribution 4.0 International License", "CC-BY-4.0", None, "open"),
    # Copyright statements
    ("All rights reserved", None, None, None),
    ("© Автор, 2015", None, None, None),
    ("Все права защищены", None, None, None),
    # A CC name without a version is not an SPDX id
    ("CC BY-SA", None, None, None),
    ("Creative Commons Attribution License", None, None, None),
    ("Attribution required", None, None, None),
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
    # no id anywhere: the first CC URL and the access status are still kept
    ([None, "http://creativecommons.org/licenses/by-sa/2.1/jp/", "Открытый доступ"],
     License(None, "http://creativecommons.org/licenses/by-sa/2.1/jp/", "open")),
    (["© Автор, 2015", "Все права защищены"], License(None, None, None)),
    ([], License(None, None, None)),
]


@pytest.mark.parametrize(("values", "expected"), PICK_TABLE)
def test_pick_license(values: list[str | None], expected: License) -> None:
    assert pick_license(values) == expected


def test_pick_license_accepts_a_generator() -> None:
    values = (v for v in ["info:eu-repo/semantics/embargoedAccess", BY4])
    assert pick_license(values) == License("CC-BY-4.0", BY4, "embargoed")


def test_every_output_id_is_a_listed_spdx_id() -> None:
    rules = license_module._rules()
    outputs = {spdx for _, spdx, _, _ in LICENSE_TABLE if spdx}
    assert outputs <= rules.known
    # the CC family is complete for the versions SPDX lists, and nothing else slipped in
    cc = {i for i in rules.known if i.startswith("CC-BY")}
    assert len(cc) == 6 * 5
    assert all(i.rsplit("-", 1)[1] in {"1.0", "2.0", "2.5", "3.0", "4.0"} for i in cc)

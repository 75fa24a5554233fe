"""The match keys of oerhub/enrich/duplicate_keys.py, as tables of real spellings and the key each must give.

`None` (or an empty list) where a value must give no key: a key that joins what is not the
same resource does more harm than one that misses a pair.
"""

from __future__ import annotations

import pytest

from oerhub.enrich.duplicate_keys import (
    POINTS,
    SAME,
    VERSION,
    RecordFacts,
    Relation,
    doi,
    handle,
    identity_keys,
    isbn_family,
    isbns,
    normalise_url,
    record_keys,
    relation,
    relations_from_raw,
    skeleton,
    surnames,
    title_numbers,
    title_skeleton,
)

# --- links ------------------------------------------------------------------------------------

URLS = [
    # (spelling, key)
    ("https://elib.bsu.by/handle/123456789/1234", "elib.bsu.by/handle/123456789/1234"),
    ("http://elib.bsu.by/handle/123456789/1234/", "elib.bsu.by/handle/123456789/1234"),
    ("HTTP://WWW.ELIB.BSU.BY:80/handle/123456789/1234", "elib.bsu.by/handle/123456789/1234"),
    ("https://elib.bsu.by:443/handle/123456789/1234#abstract", "elib.bsu.by/handle/123456789/1234"),
    ("https://journal.kz/index.php/j/article/view/12?utm_source=fb&utm_medium=post",
     "journal.kz/index.php/j/article/view/12"),
    ("https://journal.kz/index.php/j/article/view/12?fbclid=IwAR0x&gclid=1",
     "journal.kz/index.php/j/article/view/12"),
    ("https://repo.ua/bitstream/1/2/file.pdf?sequence=1&isAllowed=y",
     "repo.ua/bitstream/1/2/file.pdf?isAllowed=y&sequence=1"),
    ("https://repo.ua/bitstream/1/2/file.pdf?isAllowed=y&sequence=1",
     "repo.ua/bitstream/1/2/file.pdf?isAllowed=y&sequence=1"),
    ("https://xn--80aswg.xn--p1ai/%D0%BA%D0%BD%D0%B8%D0%B3%D0%B0/7", "сайт.рф/книга/7"),
    ("https://сайт.рф/книга/7/", "сайт.рф/книга/7"),
    ("https://repo.ua//items//5", "repo.ua/items/5"),
    ("https://repo.ua:8080/items/5", "repo.ua:8080/items/5"),  # not a default port
    ("https://repo.ua/Items/5", "repo.ua/Items/5"),  # paths keep their case
    ("https://cyberleninka.ru/", None),  # a home page names a site, not a resource
    ("https://www.cyberleninka.ru", None),
    ("ftp://repo.ua/file.pdf", None),
    ("urn:sample:x:1", None),
    ("https://repo.ua/a b", None),
    ("", None),
]


@pytest.mark.parametrize(("value", "key"), URLS)
def test_links_are_normalised(value: str, key: str | None) -> None:
    assert normalise_url(value) == key


DOIS = [
    ("https://doi.org/10.31489/2020Ch1/14-23", "10.31489/2020ch1/14-23"),
    ("http://dx.doi.org/10.31489/2020CH1/14-23", "10.31489/2020ch1/14-23"),
    ("https://doi.org/10.31489%2F2020ch1%2F14-23", "10.31489/2020ch1/14-23"),
    ("doi:10.31489/2020ch1/14-23", "10.31489/2020ch1/14-23"),
    ("DOI: 10.31489/2020ch1/14-23.", "10.31489/2020ch1/14-23"),
    ("DOI 10.31489/2020ch1/14-23", "10.31489/2020ch1/14-23"),
    ("info:doi/10.31489/2020ch1/14-23", "10.31489/2020ch1/14-23"),
    ("urn:doi:10.31489/2020ch1/14-23", "10.31489/2020ch1/14-23"),
    ("10.31489/2020ch1/14-23", "10.31489/2020ch1/14-23"),
    ("Вестник КарГУ. 2020. № 1. С. 14–23. DOI 10.31489/2020ch1/14-23",
     "10.31489/2020ch1/14-23"),
    ("(10.1007/s10670-018-0001-2)", "10.1007/s10670-018-0001-2"),
    # a publisher's page with the DOI in its path stays a link
    ("https://link.springer.com/article/10.1007/s10670-018-0001-2", None),
    ("10.1/x", None),  # a DOI prefix has at least four digits
    ("ISBN 978-601-07-0123-6", None),
]


@pytest.mark.parametrize(("value", "key"), DOIS)
def test_dois_in_every_spelling(value: str, key: str | None) -> None:
    assert doi(value) == key


HANDLES = [
    ("hdl:20.500.12345/678", "20.500.12345/678"),
    ("info:hdl/20.500.12345/678", "20.500.12345/678"),
    ("urn:handle:20.500.12345/678", "20.500.12345/678"),
    ("https://hdl.handle.net/20.500.12345/678", "20.500.12345/678"),
    ("http://hdl.handle.net/20.500.12345/678?locatt=view:master", "20.500.12345/678"),
    ("https://dspace.univer.kharkov.ua/handle/20.500.12345/678", "20.500.12345/678"),
    ("https://ir.library.ua/jspui/handle/20.500.12345/678/", "20.500.12345/678"),
    ("http://elib.bsu.by/handle/123456789/1234", None),  # DSpace's unregistered prefix
    ("20.500.12345/678", None),  # not said to be a handle
    ("hdl:10.31489/x", None),  # a DOI, not a handle
    ("https://repo.ua/items/5", None),
]


@pytest.mark.parametrize(("value", "key"), HANDLES)
def test_handles_in_every_spelling(value: str, key: str | None) -> None:
    assert handle(value) == key


def test_an_identifier_gives_one_kind_of_key() -> None:
    assert identity_keys("https://doi.org/10.31489/X") == ["doi:10.31489/x"]
    assert identity_keys("https://hdl.handle.net/20.500.1/2") == ["hdl:20.500.1/2"]
    assert identity_keys("https://repo.ua/handle/20.500.1/2") == ["hdl:20.500.1/2",
                                                                  "url:repo.ua/handle/20.500.1/2"]
    assert identity_keys("https://repo.ua/handle/123456789/2") == [
        "url:repo.ua/handle/123456789/2"]
    assert identity_keys("urn:sample:x:1") == []


# --- ISBNs ------------------------------------------------------------------------------------

ISBNS = [
    ("978-601-07-0123-6", ["9786010701236"]),
    ("9786010701236", ["9786010701236"]),
    ("ISBN 978-601-07-0123-6", ["9786010701236"]),
    ("ISBN: 601-07-0123-X", []),  # a bad check digit
    ("ISBN 6010701236", ["9786010701236"]),  # ISBN-10, labelled
    ("6010701236", []),  # ten bare digits could be anything
    ("5-02-013850-9", ["9785020138506"]),  # hyphenated ISBN-10
    ("ISBN 978-601-07-0123-6 (каз.), ISBN 978-601-07-0124-3 (рус.)",
     ["9786010701236", "9786010701243"]),
    ("ISBN 978 601 07 0123 6", ["9786010701236"]),
    ("Тираж 978601070123 экз.", []),
    ("https://repo.kz/handle/1/9786010701236", []),
]


@pytest.mark.parametrize(("value", "found"), ISBNS)
def test_isbns_are_found_and_made_isbn13(value: str, found: list[str]) -> None:
    assert isbns(value) == found


FAMILIES = [
    ("9786010701236", "978-601-07"),  # Kazakhstan, publisher 07
    ("9786010701243", "978-601-07"),  # the same publisher's next book
    ("9786013330013", "978-601-333"),  # another publisher of Kazakhstan
    ("9789965351235", "978-9965-35"),
    ("9785020138506", "978-5-02"),  # Russia, Nauka
]


@pytest.mark.parametrize(("number", "family"), FAMILIES)
def test_isbn_family_is_the_publishers_block(number: str, family: str) -> None:
    assert isbn_family(number) == family


# --- skeletons: one spelling for the scripts and romanisations of the region ------------------

SAME_NAMES = [
    ["Іваненко", "Иваненко", "Ivanenko"],
    ["Гнатюк", "Hnatiuk", "Gnatyuk", "Gnatjuk"],
    ["Шевчук", "Shevchuk", "Ševčuk"],
    ["Щербаков", "Shcherbakov", "Ščerbakov", "Scherbakov"],
    ["Жукаускас", "Žukauskas", "Zhukauskas"],
    ["Хасанов", "Ҳасанов", "Xasanov", "Khasanov", "Hasanov"],
    ["Әбілқасымова", "Абылкасымова", "Abylkasymova", "Abilqasymova"],
    ["Юсупов", "Yusupov", "Iusupov", "Jusupov"],
    ["Яковлев", "Yakovlev", "Iakovlev", "Jakovlev"],
    ["Ёлкин", "Yolkin", "Elkin"],
    ["Цой", "Tsoi", "Tsoy"],
    ["Джураев", "Ҷӯраев", "Juraev", "Dzhuraev"],
    ["Кузьмин", "Kuz'min", "Kuzmin"],
    ["Ўзбекистон тарихи", "Oʻzbekiston tarixi", "O‘zbekiston tarixi", "O'zbekiston tarixi"],
    ["Ķīmija", "Kimija", "KĪMIJA"],
    ["Физика", "ФИЗИКА", "Физикa"],  # the last "a" is Latin
    ["Türkmenistanyň taryhy", "Turkmenistanyn taryhy"],
]


@pytest.mark.parametrize("spellings", SAME_NAMES, ids=lambda s: s[0])
def test_spellings_of_one_word_share_a_skeleton(spellings: list[str]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1, [skeleton(s) for s in spellings]


DIFFERENT_NAMES = [
    ("Иванов", "Иванова"),
    ("Петров", "Петренко"),
    ("Химия", "Физика"),
    ("Часть 1", "Часть 2"),
    ("Ковальчук", "Ковальчик"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT_NAMES)
def test_different_words_keep_different_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)


TITLES = [
    ("Физика: учебное пособие", "ФИЗИКА (учебное пособие)"),
    ("Физика [Электронный ресурс] : учебное пособие", "Физика. Учебное пособие"),
    ("Основы   программирования на Python", "Основы программирования на «Python»"),
    ("E-learning in Estonian schools", "E-Learning in Estonian Schools."),
    ("Ўзбекистон тарихи. 7-синф", "Oʻzbekiston tarixi: 7 sinf"),
]


@pytest.mark.parametrize(("a", "b"), TITLES)
def test_near_identical_titles_share_a_skeleton(a: str, b: str) -> None:
    assert title_skeleton(a) == title_skeleton(b) is not None


def test_titles_too_short_to_tell_give_no_skeleton() -> None:
    assert title_skeleton("1.") is None
    assert title_skeleton("[Без названия]") is None
    assert title_skeleton(None) is None
    assert title_skeleton("Физика 2") == "fizika2"


def test_title_numbers_survive_translation() -> None:
    assert title_numbers("Химия. 7 класс") == title_numbers("Химия. 7-сынып") == "7"
    assert title_numbers("Математика. 5 класс. Часть 02") == "5-2"
    assert title_numbers("Физика") == ""


CREATORS = [
    ("Иванов И. И.", ["ivanov"]),
    ("Иванов И.И.", ["ivanov"]),
    ("И. И. Иванов", ["ivanov"]),
    ("I.I.Ivanov", ["ivanov"]),
    ("Ivanov, Ivan Ivanovich", ["ivanov"]),
    ("Іваненко, Олена", ["ivanenko"]),
    ("Иванов Иван Иванович", ["ivanov"]),
    ("Иван Иванович Иванов", ["ivanov"]),
    ("Әбдіров Нұрлан Нұрланұлы", ["abdirov"]),
    ("Tamm, Mari", ["tam"]),
    ("Mari Tamm", ["mari", "tam"]),  # the order is unknown: both words
    ("Абдуллаев Акмал", ["abdulaev", "akmal"]),
    ("Петров П. П. (ред.)", ["petrov"]),
    ("Иванов И. И. и др.", ["ivanov"]),
    ("", []),
    ("И. И.", []),
]


@pytest.mark.parametrize(("creator", "keys"), CREATORS)
def test_surnames(creator: str, keys: list[str]) -> None:
    assert surnames(creator) == keys


# --- relations --------------------------------------------------------------------------------

RELATIONS = [
    (("isTranslationOf: https://doi.org/10.1/x", ""), Relation("https://doi.org/10.1/x", True)),
    (("Translation of: Физика", ""), Relation("Физика", True)),
    (("Перевод с: https://repo.kz/handle/20.500.1/2", ""),
     Relation("https://repo.kz/handle/20.500.1/2", True)),
    (("https://repo.kz/x", "relation type hasTranslation"), Relation("https://repo.kz/x", True)),
    (("Серия: Мектеп оқулықтары", "relation"), Relation("Серия: Мектеп оқулықтары", False)),
]


@pytest.mark.parametrize(("given", "expected"), RELATIONS)
def test_translation_relations_are_recognised(given: tuple[str, str],
                                              expected: Relation) -> None:
    assert relation(*given) == expected


def test_relations_from_raw_dublin_core_lom_and_schema_org() -> None:
    dc = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:dcterms="http://purl.org/dc/terms/">'
          '<dc:title>Химия</dc:title><dc:relation>isTranslationOf: hdl:20.500.1/2</dc:relation>'
          '<dc:relation>Серия: Мектеп</dc:relation><dcterms:isPartOf>Серия А</dcterms:isPartOf>'
          '<dc:source>Вестник КарГУ</dc:source></oai_dc:dc>')
    assert relations_from_raw(dc) == [Relation("hdl:20.500.1/2", True),
                                      Relation("Серия: Мектеп"), Relation("Серия А")]
    lom = ('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><relation><kind><value>ispartof</value>'
           '</kind><resource><identifier><entry>https://e.ee/kogu/1</entry></identifier>'
           '</resource></relation></lom>')
    assert relations_from_raw(lom) == [Relation("https://e.ee/kogu/1")]
    schema = ('{"@type": "Book", "name": "Химия", "isPartOf": {"name": "Мектеп"}, '
              '"workTranslation": [{"@id": "https://e.kz/kk/1"}], "translationOfWork": '
              '"https://e.kz/ru/1"}')
    assert relations_from_raw(schema) == [Relation("Мектеп"), Relation("https://e.kz/kk/1", True),
                                          Relation("https://e.kz/ru/1", True)]
    assert relations_from_raw("<dc><dc:title>no relation</dc:title></dc>") == []
    assert relations_from_raw("<not xml relation") == []
    assert relations_from_raw(None) == []


# --- a record's keys --------------------------------------------------------------------------


def test_a_records_keys_by_role() -> None:
    facts = RecordFacts(
        7, "kz-lib", title="Химия. 7 класс", language="ru",
        url="https://doi.org/10.31489/X1",
        identifiers=["https://repo.kz/handle/20.500.1/7", "ISBN 978-601-07-0123-6",
                     "urn:sample:kz:7"],
        creators=["Темірбеков, Н.", "Иванов И. И."],
        relations=[Relation("Серия: Мектеп оқулықтары;5"),
                   Relation("https://repo.kz/handle/20.500.1/8", True)])
    keys = dict(record_keys(facts))
    assert keys == {
        "doi:10.31489/x1": SAME,
        "hdl:20.500.1/7": SAME,
        "url:repo.kz/handle/20.500.1/7": SAME,
        "title:ru|himia7klas|temirbekov": SAME,
        "title:ru|himia7klas|ivanov": SAME,
        "isbn-family:978-601-07|temirbekov|7": VERSION,
        "isbn-family:978-601-07|ivanov|7": VERSION,
        "series:mektepokuliktari|temirbekov|7": VERSION,
        "series:mektepokuliktari|ivanov|7": VERSION,
        "hdl:20.500.1/8": POINTS,
        "url:repo.kz/handle/20.500.1/8": POINTS,
    }


def test_no_creators_no_title_key() -> None:
    keys = dict(record_keys(RecordFacts(1, "s", title="Физика", language="ru")))
    assert keys == {}

"""Education level spellings → ISCED 2011 levels."""

from __future__ import annotations

import pytest

from oerhub.normalize import vocab
from oerhub.normalize.education import age_range_levels, normalize_education_levels
from oerhub.normalize.text import fold_words


def isced(*levels: int) -> list[str]:
    return [f"ISCED {level}" for level in levels]


EDUCATION_TABLE = [
    # School grades, post-Soviet structure (1–4 primary, 5–9 basic, 10–12 upper secondary)
    ("1 класс", isced(1)),
    ("4 класс", isced(1)),
    ("5 класс", isced(2)),
    ("5-й класс", isced(2)),
    ("5-9 класс", isced(2)),
    ("10–11 классы", isced(3)),
    ("для учащихся 5-11 классов", isced(2, 3)),
    ("1-11 кл.", isced(1, 2, 3)),
    ("с 5 по 9 класс", isced(2)),
    ("5, 6 и 7 классы", isced(2)),
    ("7 клас", isced(2)),
    ("11 клас", isced(3)),
    ("5 сынып", isced(2)),
    ("grade 5", isced(2)),
    ("Grades 3-6", isced(1, 2)),
    ("0 класс", isced(0)),
    ("13 класс", []),
    # Baltic and Georgian grades follow their national structures
    ("5. klase", isced(1)),        # Latvia: grades 1–6 are ISCED 1
    ("7.-9. klase", isced(2)),
    ("1.-9. klasei", isced(1, 2)),
    ("5 klass", isced(1)),         # Estonia: grades 1–6 are ISCED 1
    ("10. klass", isced(3)),
    ("5 klasė", isced(2)),         # Lithuania: grades 5–10 are ISCED 2
    ("10 klasė", isced(2)),
    ("11 klasė", isced(3)),
    ("5 კლასი", isced(1)),         # Georgia: grades 1–6 are ISCED 1
    # Stages
    ("дошкольное", isced(0)),
    ("Дошкольное образование", isced(0)),
    ("начальная школа", isced(1)),
    ("Начальное общее образование", isced(1)),
    ("початкова школа", isced(1)),
    ("primary education", isced(1)),
    ("pamatskola", isced(1, 2)),
    ("põhikool", isced(1, 2)),
    ("основная школа", isced(2)),
    ("Основное общее образование", isced(2)),
    ("средняя школа", isced(3)),
    ("старшая школа", isced(3)),
    ("Среднее общее образование", isced(3)),
    ("Среднее (полное) общее образование", isced(3)),
    ("Школьники старших классов", isced(3)),
    ("upper secondary", isced(3)),
    ("vidusskola", isced(3)),
    ("gümnaasium", isced(3)),
    # Vocational (decisions documented in education_levels.toml)
    ("СПО", isced(3, 4, 5)),
    ("среднее профессиональное образование", isced(3, 4, 5)),
    ("професійна освіта", isced(3, 4)),
    ("фахова передвища освіта", isced(5)),
    ("vocational", []),
    # Higher education
    ("бакалавриат", isced(6)),
    ("бакалавр", isced(6)),
    ("бакалаврат", isced(6)),
    ("bachelor", isced(6)),
    ("Bachelor's degree", isced(6)),
    ("undergraduate", isced(6)),
    ("bakalaura", isced(6)),
    ("bakalaura studijas", isced(6)),
    ("bakalauras", isced(6)),
    ("bakalaureuseõpe", isced(6)),
    ("магистратура", isced(7)),
    ("магістратура", isced(7)),
    ("магистр", isced(7)),
    ("master", isced(7)),
    ("magistrantūra", isced(7)),
    ("magistratūra", isced(7)),
    ("magistriõpe", isced(7)),
    ("специалитет", isced(7)),
    ("аспирантура", isced(8)),
    ("докторантура", isced(8)),
    ("PhD", isced(8)),
    ("doctoral", isced(8)),
    ("doktorantūra", isced(8)),
    ("бакалавриат, магистратура", isced(6, 7)),
    ("Высшее образование - бакалавриат", isced(6)),
    ("высшее образование", isced(6, 7, 8)),
    # LOM educational context
    ("school", isced(1, 2, 3)),
    ("higher education", isced(6, 7, 8)),
    ("training", []),
    ("other", []),
    # LRMI / ISCED spellings
    ("Primary education", isced(1)),
    ("Lower secondary education", isced(2)),
    ("Upper secondary education", isced(3)),
    ("Early childhood education", isced(0)),
    ("Post-secondary non-tertiary education", isced(4)),
    ("Short-cycle tertiary education", isced(5)),
    ("ISCED 2", isced(2)),
    ("ISCED level 3", isced(3)),
    ("isced:6", isced(6)),
    ("ISCED 2011 level 1", isced(1)),
    ("ISCED 5-8", isced(5, 6, 7, 8)),
    ("ISCED 344", isced(3)),
    ("ISCED 2011", []),
    # A broad word next to a precise one gives the precise one
    ("школа, 5 класс", isced(2)),
    ("начальная школа, 1-11 классы", isced(1, 2, 3)),
    # Grades in the region's languages (post-Soviet structure unless said otherwise)
    ("5-9 класи", isced(2)),                  # uk
    ("для 10-го класу", isced(3)),
    ("V-IX класи", isced(2)),                 # Roman numerals
    ("XI класс", isced(3)),
    ("5-класс", isced(2)),                    # ru, ky: the hyphen before the word
    ("3 класы", isced(1)),                    # be
    ("7 класаў", isced(2)),
    ("1–4 сынып", isced(1)),                  # kk
    ("5-ші сынып", isced(2)),
    ("10-11 сыныптарға", isced(3)),
    ("9-класстын окуучулары", isced(2)),      # ky
    ("5-sinf", isced(2)),                     # uz
    ("10-11 sinflar", isced(3)),
    ("7-синф", isced(2)),                     # uz (Cyrillic), tg
    ("синфи 10", isced(3)),                   # tg
    ("5-ci sinif", isced(2)),                 # az
    ("10-cu siniflər", isced(3)),
    ("5-nji synp", isced(2)),                 # tk
    ("5-րդ դասարան", isced(2)),               # hy
    ("10-12 դասարաններ", isced(3)),
    ("clasa a 5-a", isced(2)),                # ro (Moldova)
    ("clasa a V-a", isced(2)),
    ("clasele a V-a – a IX-a", isced(2)),
    ("clasele V-VIII", isced(2)),
    ("clasa a XI-a", isced(3)),
    ("5 si 7 clasa", isced(2)),
    ("მე-5 კლასი", isced(1)),                 # ka (Georgia: 1–6 primary)
    ("მე-8 კლასისთვის", isced(2)),
    ("7.–9. klassile", isced(2)),             # et
    ("5.-8. klasēm", isced(1, 2)),            # lv
    ("5–8 klasių", isced(2)),                 # lt
    ("5-oji klasė", isced(2)),
    # English grade words follow the record's country (no country: the region's structure)
    ("Grade 5", isced(2)),
    ("5th grade", isced(2)),
    ("Form 3", isced(1)),
    ("class 11", isced(3)),
    # Stages in the region's languages
    ("мектепке чейинки билим берүү", isced(0)),  # ky
    ("башталгыч класстар", isced(1)),
    ("жогорку билим", isced(6, 7, 8)),
    ("maktabgacha ta'lim", isced(0)),         # uz
    ("umumiy o'rta ta'lim", isced(1, 2, 3)),  # grades 1-11
    ("məktəbəqədər təhsil", isced(0)),        # az
    ("ibtidai təhsil", isced(1)),
    ("ümumi orta təhsil", isced(2)),
    ("tam orta təhsil", isced(3)),
    ("ali təhsil", isced(6, 7, 8)),
    ("таҳсилоти олӣ", isced(6, 7, 8)),         # tg
    ("томактабӣ", isced(0)),
    ("ýokary bilim", isced(6, 7, 8)),         # tk
    ("mekdebe çenli", isced(0)),
    ("նախադպրոցական", isced(0)),              # hy
    ("տարրական դպրոց", isced(1)),
    ("ավագ դպրոց", isced(3)),
    ("բարձրագույն կրթություն", isced(6, 7, 8)),
    ("მაგისტრატურა", isced(7)),               # ka
    ("სკოლამდელი განათლება", isced(0)),
    ("დაწყებითი განათლება", isced(1)),
    ("საბაზო განათლება", isced(2)),
    ("საშუალო განათლება", isced(3)),
    ("învățământ preșcolar", isced(0)),       # ro
    ("învățământ primar", isced(1)),
    ("ciclul gimnazial", isced(2)),
    ("învățământ liceal", isced(3)),
    ("învățământ superior", isced(6, 7, 8)),
    ("masterat", isced(7)),
    ("doctorat", isced(8)),
    ("II kooliaste", isced(1)),               # et school stages
    ("III kooliaste", isced(2)),
    # Ages with an age word
    ("10-12 лет", isced(1, 2)),
    ("6-10 років", isced(1)),
    ("5-7 жас", isced(0, 1)),
    ("7-10 yosh", isced(1)),
    ("12-14 yaş", isced(2)),
    ("15-17 տարեկան", isced(3)),
    ("6-11 წლის", isced(1)),
    ("7-9 aastat", isced(1)),
    ("12-15 gadi", isced(2, 3)),
    ("ages 6-9", isced(1)),
    ("Age 13", isced(2)),
    ("возраст 3-5", isced(0)),
    ("18-25 лет", []),
    ("Bachelor, 4 years", isced(6)),            # a duration beside a level is no age
    ("5 класс, 10-11 лет", isced(2)),
    ("бакалавриат, срок обучения 4 года", isced(6)),
    # US (LRMI educationalLevel)
    ("Pre-K", isced(0)),
    ("PreK", isced(0)),
    ("Kindergarten", isced(0)),
    ("K-2", isced(0, 1)),
    ("K-5", isced(0, 1)),
    ("K-8", isced(0, 1, 2)),
    ("K-12", isced(1, 2, 3)),
    # UK key stages, Scotland's SCQF
    ("Key Stage 1", isced(1)),
    ("KS2", isced(1)),
    ("Key Stage 3", isced(2)),
    ("KS4", isced(3)),
    ("Key Stage 5", isced(3)),
    ("GCSE", isced(3)),
    ("A levels", isced(3)),
    ("GCE A Level", isced(3)),
    ("at a level of difficulty", []),
    ("EYFS", isced(0)),
    ("Reception class", isced(0)),
    ("SCQF level 2", isced(2)),
    ("SCQF level 5", isced(3)),
    ("SCQF 7", isced(5)),
    ("SCQF level 9", isced(6)),
    ("SCQF level 11", isced(7)),
    ("SCQF 12", isced(8)),
    # LOM contexts of the LRE/MELT profiles
    ("compulsory education", isced(1, 2)),
    ("pre-school", isced(0)),
    ("special education", []),
    ("continuous formation", []),
    ("professional development", []),
    ("distance education", []),
    # Nothing usable
    ("classic", []),
    ("Year 7", []),                           # a UK year only in a UK record
    ("master class", []),
    ("для всех", []),
    ("", []),
    (None, []),
]


@pytest.mark.parametrize(("raw", "expected"), EDUCATION_TABLE)
def test_normalize_education_levels(raw: str | None, expected: list[str]) -> None:
    assert normalize_education_levels(raw) == expected


COUNTRY_TABLE = [
    # English grade words with the structure of the record's country
    ("Grade 5", "US", isced(1)),
    ("Grades 6-8", "US", isced(2)),
    ("9th grade", "US", isced(3)),
    ("Grade 0", "US", isced(0)),
    ("grade 5", "LV", isced(1)),
    ("grade 5", "LT", isced(2)),
    ("grade 5", "GE", isced(1)),
    ("grade 5", "KZ", isced(2)),
    ("grade 5", "TR", isced(2)),             # no table of its own: the region's default
    ("5 класс", "US", isced(2)),             # a national word keeps its own structure
    # UK school years, only in UK records
    ("Year 7", "GB", isced(2)),
    ("Years 10-11", "GB", isced(3)),
    ("Year 3", "GB", isced(1)),
    ("Year 7", "KZ", []),
]


@pytest.mark.parametrize(("raw", "country", "expected"), COUNTRY_TABLE)
def test_grade_words_follow_the_records_country(raw, country, expected):
    assert normalize_education_levels(raw, country) == expected


AGE_TABLE = [
    # a typicalAgeRange field: bare numbers are ages (ISCED age bands, education_levels.toml)
    ("13 - 15", isced(2, 3)),
    ("10-12", isced(1, 2)),
    ("0-5", isced(0)),
    ("6-11", isced(1)),
    ("12-14", isced(2)),
    ("15-17", isced(3)),
    ("7", isced(1)),
    ("6 to 9", isced(1)),
    ("12+", isced(2, 3)),
    ("16-", isced(3)),
    ("18-", []),                             # LOM: 18 and over
    ("18+", []),
    ("5-99", []),                            # any age
    ("10-12 лет", isced(1, 2)),
    ("5-9 класс", isced(2)),                 # words are read as in any level field
    ("primary", isced(1)),
    ("", []),
    (None, []),
]


@pytest.mark.parametrize(("raw", "expected"), AGE_TABLE)
def test_age_range_levels(raw, expected):
    assert age_range_levels(raw) == expected


def test_every_phrase_of_the_vocabulary_maps_to_its_key():
    """Each row of education_levels.toml's [phrases], as written, gives its own levels."""
    for key, spellings in vocab.section("education_levels", "phrases").items():
        want = [] if key == "none" else isced(*(int(k) for k in key.split()))
        for spelling in spellings:
            written = spelling.replace("*", "")
            assert normalize_education_levels(written) == want, (key, spelling)
            assert fold_words(written), spelling


def _lom(educational: str) -> str:
    return ('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><title><string>T</string></title>'
            f'</general><educational>{educational}</educational></lom>')


@pytest.mark.parametrize(("educational", "country", "expected"), [
    ("<typicalAgeRange><string>13 - 15</string></typicalAgeRange>", "EE", isced(2, 3)),
    ("<typicalAgeRange><string language='x-t-lom-ageRange'>7-9</string></typicalAgeRange>",
     None, isced(1)),
    ("<typicalAgeRange><string>18-</string></typicalAgeRange>", None, []),
    ("<context><source>LOMv1.0</source><value>compulsory education</value></context>",
     None, isced(1, 2)),
    ("<context><value>higher education</value></context>"
     "<typicalAgeRange><string>18-</string></typicalAgeRange>", None, isced(6, 7, 8)),
    ("<context><value>school</value></context>"
     "<typicalAgeRange><string>10-12</string></typicalAgeRange>", None, isced(1, 2, 3)),
])
def test_lom_context_and_age_range(educational, country, expected):
    from oerhub.models import RawRecord
    from oerhub.normalize import normalize

    record = normalize(RawRecord("s", "oai:x.ee:1", None, False, "lom", _lom(educational)),
                       country)
    assert record.education_level == expected
    assert record.education_level_raw


@pytest.mark.parametrize(("node", "country", "expected"), [
    ({"name": "T", "typicalAgeRange": "10-12"}, None, isced(1, 2)),
    ({"name": "T", "typicalAgeRange": ["6-9", "10-12"]}, None, isced(1, 2)),
    ({"name": "T", "educationalLevel": "Grade 5"}, "US", isced(1)),
    ({"name": "T", "educationalLevel": {"@type": "DefinedTerm", "name": "Key Stage 3"}}, "GB",
     isced(2)),
    ({"name": "T", "educationalLevel": "Pre-K", "typicalAgeRange": "4-5"}, "US", isced(0)),
    ({"name": "T", "educationalLevel": "SCQF level 6"}, "GB", isced(3)),
])
def test_schema_org_level_and_age_range(node, country, expected):
    from oerhub.models import Record
    from oerhub.normalize.schema_org import map_into

    record = Record(source_id="s", identifier="https://oer.example/1", datestamp=None,
                    deleted=False, country=country)
    map_into(node, record)
    assert record.education_level == expected


def _grade_rows() -> list[tuple[str, str | None, list[str]]]:
    """Every grade word of every [grades] table (and the English and age words), written
    with a number of the table's first level after ISCED 0: what each must give."""
    rows = []
    grades = vocab.section("education_levels", "grades")
    for name, table in grades.items():
        levels = {int(k): v for k, v in table.get("levels", {}).items() if int(k) > 0}
        if not levels:
            continue
        level, (first, _) = min(levels.items())
        country = table["countries"][0] if table.get("country_only") else None
        rows += [(f"{first} {word}", country, isced(level)) for word in table.get("words", [])]
        rows += [(f"{word} {first}", country, isced(level))
                 for word in table.get("words_before", [])]
    english = vocab.section("education_levels", "english_grades")
    rows += [(f"{w} 5", "US", isced(1)) for w in english["words_before"]]
    rows += [(f"5 {w}", "US", isced(1)) for w in english["words"]]
    ages = vocab.section("education_levels", "ages")
    rows += [(f"7 {w}", None, isced(1)) for w in ages["words"]]
    rows += [(f"{w} 7", None, isced(1)) for w in ages["words_before"]]
    return rows


@pytest.mark.parametrize(("raw", "country", "expected"), _grade_rows())
def test_every_grade_and_age_word_of_the_vocabulary(raw, country, expected):
    assert normalize_education_levels(raw, country) == expected

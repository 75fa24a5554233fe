"""The spelling rules of script-aware search (oerhub/enrich/search.py), as tables of real words.

The end-to-end side (a harvested catalogue searched through Datasette) is in
test_search_scripts.py; here each rule is checked on its own, and so are the tokenizer's
behaviours the design stands on.
"""

from __future__ import annotations

import sqlite3

import pytest

from oerhub.enrich import search_index
from oerhub.enrich.search import cyrillic, fold, romanise, word_forms

# (language, Cyrillic word, Latin spellings it must be indexed under)
ROMANISED = [
    ("ru", "история", {"istoriya", "istoriia", "istorija", "istoria"}),
    ("ru", "химия", {"khimiya", "himiya", "khimiia", "himija", "ximiya"}),
    ("ru", "щука", {"shchuka", "schuka", "shhuka", "shuka"}),
    ("ru", "журнал", {"zhurnal", "jurnal"}),
    ("ru", "цой", {"tsoy", "tsoi", "coj"}),
    ("ru", "юрий", {"yuriy", "iurii", "jurij", "yury"}),
    ("ru", "хрущёв", {"khrushchev", "khrushchyov", "hruschev"}),
    ("ru", "пятьдесят", {"pyatdesyat", "piatdesiat", "pjat'desjat"}),
    ("ru", "язык", {"yazyk", "iazyk", "jazyk", "yazik"}),
    ("uk", "історія", {"istoriia", "istoriya", "istorija"}),
    ("uk", "київ", {"kyiv", "kyyiv", "kyjiv"}),
    ("uk", "згурський", {"zghurskyi", "zhurskyj"}),
    ("uk", "євген", {"yevhen", "ievgen", "jevhen"}),
    ("uk", "фізика", {"fizyka", "fizika"}),
    ("uk", "щоденник", {"shchodennyk", "schodennyk", "scodennyk"}),
    ("be", "гісторыя", {"historyja", "historyya", "gistoryja", "gistoryya"}),
    ("be", "беларусь", {"bielarus", "belarus"}),
    ("be", "ўладзімір", {"uladzimir"}),
    ("be", "хімія", {"chimija", "khimiya"}),
    ("be", "адукацыя", {"adukacyja", "adukatsyya"}),
    ("be", "мова", {"mova"}),
    ("kk", "қазақ", {"qazaq", "kazak"}),
    ("kk", "тілі", {"tili", "tılı"}),
    ("kk", "ғылым", {"gylym", "ghylym"}),
    ("kk", "оқулығы", {"oqulygy", "okulygy", "oqulyghy"}),
    ("kk", "өсімдіктер", {"osimdikter", "ösımdıkter"}),
    ("kk", "әдебиеті", {"adebieti"}),
    ("uz", "ўзбек", {"oʻzbek", "oʼzbek", "o'zbek", "ozbek", "uzbek"}),
    ("uz", "ўқитувчи", {"oʻqituvchi", "o'qituvchi", "oqituvchi"}),
    ("uz", "ғафур", {"gʻafur", "g'afur", "gafur", "ghafur"}),
    ("uz", "тарихи", {"tarixi", "tarihi"}),
    ("uz", "таълим", {"taʼlim", "ta'lim", "talim"}),
    ("uz", "кимё", {"kimyo"}),
    ("ky", "кыргыз", {"kyrgyz", "kirgiz"}),
    ("ky", "тарыхы", {"tarykhy", "taryhy", "taryxy"}),
    ("ky", "өнөр", {"onor"}),
    ("ky", "жаштар", {"jashtar", "zhashtar"}),
    ("ky", "үй", {"uy"}),
    ("ky", "мугалим", {"mugalim"}),
    ("tg", "тоҷикӣ", {"tojiki", "tochiki"}),
    ("tg", "таърих", {"ta'rikh", "tarikh", "tarix"}),
    ("tg", "халқ", {"khalq", "xalq", "halk"}),
    ("tg", "ғалла", {"ghalla", "galla"}),
    ("tg", "ҳикоя", {"hikoya"}),
    ("tg", "забон", {"zabon"}),
    ("mn", "монгол", {"mongol"}),
]


@pytest.mark.parametrize(("language", "word", "spellings"), ROMANISED)
def test_cyrillic_words_are_romanised_in_the_usual_ways(language: str, word: str,
                                                        spellings: set[str]) -> None:
    found = romanise(word, language)
    assert spellings <= {s.replace("'", "'") for s in found}, spellings - found


# (the language a Latin word is read in, the word, the Cyrillic form it must be indexed under)
CYRILLIC = [
    ("uz", "oʻzbekiston", "ўзбекистон"),
    ("uz", "o'zbekiston", "ўзбекистон"),
    ("uz", "o‘qituvchi", "ўқитувчи"),
    ("uz", "gʻafur", "ғафур"),
    ("uz", "tarixi", "тарихи"),
    ("uz", "sheʼr", "шеър"),
    ("uz", "hikoya", "ҳикоя"),
    ("uz", "ekologiya", "экология"),
    ("kk", "qazaq", "қазақ"),
    ("kk", "tılı", "тілі"),
    ("kk", "tili", "тілі"),
    ("kk", "ädebiet", "әдебиет"),
    ("kk", "ğylym", "ғылым"),
    ("kk", "oqulyğy", "оқулығы"),
    ("kk", "shakirt", "шакирт"),
    ("az", "dərslik", "дәрслик"),
    ("az", "azərbaycan", "азәрбајҹан"),  # y is ј in Azerbaijani Cyrillic
    ("tk", "türkmenistanyň", "түркменистаның"),
    ("ru", "istoriya", "история"),
    ("ru", "istoriia", "история"),
    ("ru", "istorija", "история"),
    ("ru", "khimiya", "химия"),
    ("ru", "obshchestvo", "общество"),
    ("ru", "yuriy", "юрий"),
    ("ru", "ekonomika", "экономика"),
    ("ru", "jurnal", "журнал"),
    ("ru", "khrushchev", "хрущёв"),
    ("ru", "gorbachev", "горбачев"),
    ("uk", "istoriia", "історія"),
    ("uk", "kyiv", "київ"),
    ("uk", "yevhen", "євген"),
    ("uk", "shevchenko", "шевченко"),
    ("uk", "gruntoznavstvo", "ґрунтознавство"),
    ("be", "bielaruś", "беларусь"),
    ("be", "historyja", "гісторыя"),
    ("be", "ŭladzimir", "ўладзімір"),
    ("be", "chimija", "хімія"),
    ("ky", "jashtar", "жаштар"),
    ("ky", "üy", "үй"),
    ("ky", "önör", "өнөр"),
    ("tg", "tojikī", "тоҷикӣ"),
    ("tg", "tojiki", "тоҷикӣ"),
    ("tg", "ghalla", "ғалла"),
    ("tg", "khalq", "халқ"),
]


@pytest.mark.parametrize(("language", "word", "form"), CYRILLIC)
def test_latin_words_are_spelled_in_cyrillic(language: str, word: str, form: str) -> None:
    assert form in cyrillic(word, language)


# (word as the record has it, declared language, Latin read as, spellings that must be there,
#  spellings that must not)
FORMS = [
    # an apostrophe in every form a reader types it: split (o'zbek, o‘zbek, o’zbek are the
    # tokens o + zbek), one token (oʻzbek, oʼzbek) or none (ozbek)
    ("O‘zbekiston", "uz", "uz", {"o'zbekiston", "oʻzbekiston", "oʼzbekiston", "ozbekiston",
                                 "ўзбекистон"}, set()),
    ("Ta’lim", "uz", "uz", {"ta'lim", "taʻlim", "taʼlim", "talim", "таълим"}, set()),
    # ё is also е; the word itself is not repeated
    ("Ёлка", "ru", None, {"елка", "yolka", "elka"}, {"ёлка"}),
    # a Cyrillic word typed with Latin look-alikes (Ukrainian keyboards): its Cyrillic form
    ("хiмiя", "uk", None, {"хімія", "khimiia", "khimiya"}, set()),
    # letters the tokenizer does not fold get an ASCII form; folded ones need none
    ("dərsliyi", "az", None, {"dersliyi"}, set()),
    ("Ķīmija", "lv", None, set(), {"kimija"}),
    ("Türkmenistanyň", "tk", "tk", {"түркменистаның"}, set()),
    # Georgian and Armenian in Latin (anyascii: the national systems), ու also as u
    ("ქართული", "ka", None, {"kartuli"}, set()),
    ("ისტორია", "ka", None, {"istoria", "ist'oria"}, set()),
    ("պատմություն", "hy", None, {"patmutyun", "patmut'yun", "patmowtyown"}, set()),
    # an English word of an English record stays as it is
    ("Chemistry", "en", None, set(), {"чемистры", "chemistry"}),
]


@pytest.mark.parametrize(("word", "language", "latin_as", "present", "absent"), FORMS)
def test_word_forms(word: str, language: str, latin_as: str | None, present: set[str],
                    absent: set[str]) -> None:
    found = word_forms(word, language, latin_as)
    assert present <= found, present - found
    assert not absent & found


def test_a_record_is_folded_whole() -> None:
    """Title, subjects and creators: what readers look for by name (descriptions are
    searched as written)."""
    folded = fold("Учебное пособие по физике", ["История России"],
                  ["Tkachenko, Olena", "Иванов И."], "ru", "UA").split()
    for form in ("uchebnoe", "posobie", "fizike", "istoriya", "istoriia", "rossii",
                 "ivanov", "ткаченко", "олена"):
        assert form in folded, form
    assert len(folded) == len(set(folded))  # each form once
    assert "учебное" not in folded  # the word as written is in its own column


def test_a_latin_record_of_a_latin_using_country_without_language() -> None:
    assert "ўзбекистон" in fold("Oʻzbekiston tarixi", [], [], None, "UZ").split()
    assert "ўзбекистон" not in fold("Oʻzbekiston tarixi", [], [], None, "EE").split()
    assert fold(None, [], [], None, None) == ""


def test_the_tokenizer_works_as_the_design_expects() -> None:
    """unicode61 remove_diacritics 2: ' ‘ ’ split a word, ʻ ʼ do not; Latin diacritics
    fold, Cyrillic ё й ї ў do not. The folded forms are written for exactly this."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = "
                 "'unicode61 remove_diacritics 2')")
    for n, text in enumerate(["o zbek", "oʻzbek", "ķīmija", "ёлка"]):
        conn.execute("INSERT INTO t (rowid, x) VALUES (?, ?)", (n, text))

    def found(query: str) -> list[int]:
        return [r[0] for r in conn.execute(
            "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", (f'"{query}"',))]

    assert found("o'zbek") == found("o‘zbek") == found("o’zbek") == [0]
    assert found("oʻzbek") == [1] and found("oʼzbek") == []
    assert found("kimija") == found("Ķīmija") == [2]
    assert found("елка") == [] and found("Ёлка") == [3]


def test_an_older_catalogue_is_searchable_at_once_and_folded_by_the_next_step(tmp_path
                                                                              ) -> None:
    from oerhub.catalogue import Catalogue
    from oerhub.enrich.search_step import update_search

    db = tmp_path / "old.db"
    with Catalogue(db) as catalogue:  # made as schema 6 left it: no records_search
        catalogue.conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                               "VALUES ('s', 'S', 'RU', 'oai-pmh', 'http://127.0.0.1/oai')")
        for identifier, title, deleted in (("a", "Физика", 0), ("b", "Химия", 1)):
            catalogue.conn.execute(
                "INSERT INTO records (source_id, identifier, title, language, deleted, "
                "first_harvested, last_changed) VALUES ('s', ?, ?, 'ru', ?, 't', 't')",
                (identifier, title, deleted))
        for table in ("records_search", "records_search_state", "records_search_pending",
                      "records_search_folding"):
            catalogue.conn.execute(f"DROP TABLE {table}")
        catalogue.conn.execute("DROP TRIGGER records_search_au")
        catalogue.conn.execute("PRAGMA user_version = 6")
    with Catalogue(db) as catalogue:  # the upgrade
        assert [r["title"] for r in search_index.search_records(catalogue, "физика")] == ["Физика"]
        assert search_index.search_records(catalogue, "fizika") == []  # not folded yet
        assert search_index.search_records(catalogue, "химия") == []  # tombstones: never
        assert update_search(catalogue) == (1, 0)
        assert [r["title"] for r in search_index.search_records(catalogue, "fizika")] == ["Физика"]
        assert [r["title"] for r in search_index.search_records(catalogue, "физика")] == ["Физика"]
        assert update_search(catalogue) == (0, 0)


def test_the_index_holds_no_copy_of_the_text_and_forgets_old_values(tmp_path) -> None:
    """records_search is contentless: changed records are taken out of it with the values
    they were indexed with (kept by a trigger), so no old word is ever found again."""
    from oerhub.catalogue import Catalogue
    from oerhub.enrich.search_step import update_search

    with Catalogue(tmp_path / "c.db") as catalogue:
        conn = catalogue.conn
        conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                     "VALUES ('s', 'S', 'RU', 'oai-pmh', 'http://127.0.0.1/oai')")
        conn.execute("INSERT INTO records (source_id, identifier, title, description, language, "
                     "first_harvested, last_changed) VALUES ('s', 'a', 'Химия', 'Опыты', 'ru', "
                     "'t', 't')")
        # as store_batch does: records_fts follows new rows per batch, not by trigger
        conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
        assert update_search(catalogue) == (1, 0)
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name LIKE "
                                "'records_search_content'").fetchone()
        conn.execute("UPDATE records SET title = 'Физика', language = 'uk'")
        assert update_search(catalogue) == (1, 0)
        for gone in ("химия", "himiya", "khimiya"):
            assert search_index.search_records(catalogue, gone) == [], gone
        for found in ("физика", "fyzyka", "fizika", "опыты"):  # и read as Ukrainian: y
            assert len(search_index.search_records(catalogue, found)) == 1, found
        conn.execute("DELETE FROM records")
        assert update_search(catalogue) == (0, 1)
        assert search_index.search_records(catalogue, "физика") == []
        assert conn.execute("INSERT INTO records_search (records_search, rank) "
                            "VALUES ('integrity-check', 0)")

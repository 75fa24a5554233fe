"""Language spellings seen in the region's repositories → ISO 639 codes; and the vocab loader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oerhub.errors import ConfigError
from oerhub.normalize import language, vocab
from oerhub.normalize.language import normalize_language, normalize_languages

LANGUAGE_TABLE = [
    # Russian
    ("rus", "ru"), ("ru_RU", "ru"), ("ru-RU", "ru"), ("RU", "ru"), ("Russian", "ru"),
    ("russian", "ru"), ("русский", "ru"), ("русский язык", "ru"), ("Русский язык", "ru"),
    ("рус", "ru"), ("рус.", "ru"), ("на русском языке", "ru"), ("Russian (ru)", "ru"),
    (" RUS ", "ru"), ("ru;", "ru"), ("російська", "ru"),
    ("http://id.loc.gov/vocabulary/iso639-2/rus", "ru"), ("ru_RU.UTF-8", "ru"),
    # Ukrainian
    ("ukr", "uk"), ("ua", "uk"), ("uk_UA", "uk"), ("українська", "uk"), ("українська мова", "uk"),
    ("украинский", "uk"), ("укр.", "uk"), ("Ukrainian", "uk"),
    # Belarusian
    ("bel", "be"), ("be", "be"), ("беларуская", "be"), ("беларуская мова", "be"),
    ("белорусский", "be"), ("Belarusian", "be"),
    # Kazakh
    ("kaz", "kk"), ("kk", "kk"), ("қазақ", "kk"), ("қазақ тілі", "kk"), ("Қазақ тілі", "kk"),
    ("казахский", "kk"), ("Kazakh", "kk"),
    # Estonian, Latvian, Lithuanian
    ("est", "et"), ("et", "et"), ("eesti", "et"), ("eesti keel", "et"), ("ekk", "et"),
    ("lav", "lv"), ("lvs", "lv"), ("latviešu", "lv"), ("latviešu valoda", "lv"),
    ("Standard Latvian", "lv"), ("ltg", "ltg"),
    ("lit", "lt"), ("lietuvių", "lt"), ("lietuvių kalba", "lt"), ("Lithuanian", "lt"),
    # Georgian, Armenian, Azerbaijani
    ("geo", "ka"), ("kat", "ka"), ("ქართული", "ka"), ("грузинский", "ka"), ("Georgian", "ka"),
    ("arm", "hy"), ("hye", "hy"), ("հայերեն", "hy"), ("армянский", "hy"),
    ("aze", "az"), ("azərbaycan", "az"), ("azərbaycan dili", "az"), ("азербайджанский", "az"),
    ("azj", "az"),
    # Central Asia
    ("uzb", "uz"), ("uzn", "uz"), ("o'zbek", "uz"), ("oʻzbek", "uz"), ("o‘zbek tili", "uz"),
    ("ўзбек", "uz"), ("узбекский", "uz"),
    ("kir", "ky"), ("кыргызча", "ky"), ("киргизский", "ky"), ("кыргызский", "ky"), ("Kyrgyz", "ky"),
    ("tgk", "tg"), ("тоҷикӣ", "tg"), ("забони тоҷикӣ", "tg"), ("таджикский", "tg"),
    ("tuk", "tk"), ("türkmen", "tk"), ("туркменский", "tk"),
    # Romanian / Moldovan
    ("rum", "ro"), ("ron", "ro"), ("mol", "ro"), ("mo", "ro"), ("română", "ro"),
    ("limba română", "ro"), ("moldovenească", "ro"), ("молдавский", "ro"), ("румынский", "ro"),
    # English and other European languages
    ("eng", "en"), ("en", "en"), ("en_US", "en"), ("en-GB", "en"), ("English", "en"),
    ("in English", "en"), ("англ.", "en"), ("англ. яз.", "en"), ("английский", "en"),
    ("англійська", "en"),
    ("deu", "de"), ("ger", "de"), ("German", "de"), ("немецкий", "de"),
    ("fra", "fr"), ("fre", "fr"), ("French", "fr"),
    ("pol", "pl"), ("Polish", "pl"),
    # Minority and historical languages
    ("tat", "tt"), ("tt", "tt"), ("татарский", "tt"),
    ("crh", "crh"), ("Crimean Tatar", "crh"), ("крымскотатарский", "crh"),
    ("oty", "oty"),
    # Real ISO 639-1 codes that look like the region's country codes keep their meaning
    ("ee", "ee"), ("kg", "kg"), ("am", "am"),
    # A value listing several: the first
    ("rus; eng", "ru"),
    # Nothing usable
    ("xx-nonsense", None), ("other", None), ("", None), ("   ", None), (None, None),
    ("und", None), ("mul", None), ("zxx", None), ("mis", None), ("unknown", None),
    ("другой", None), ("qaa", None),
]


@pytest.mark.parametrize(("raw", "expected"), LANGUAGE_TABLE)
def test_normalize_language(raw: str | None, expected: str | None) -> None:
    assert normalize_language(raw) == expected


LANGUAGES_TABLE = [
    ("rus; eng", ["ru", "en"]),
    ("ru, en", ["ru", "en"]),
    ("ru/en", ["ru", "en"]),
    ("ru|uk", ["ru", "uk"]),
    ("русский, английский", ["ru", "en"]),
    ("русский и английский", ["ru", "en"]),
    ("Russian English", ["ru", "en"]),
    ("рус., англ.", ["ru", "en"]),
    ("kaz; rus; eng", ["kk", "ru", "en"]),
    ("ru; rus; русский", ["ru"]),
    ("ru;", ["ru"]),
    ("eesti keel", ["et"]),
    ("xx; en", ["en"]),
    ("xx-nonsense", []),
    ("und; mul", []),
    ("", []),
    (None, []),
]


@pytest.mark.parametrize(("raw", "expected"), LANGUAGES_TABLE)
def test_normalize_languages(raw: str | None, expected: list[str]) -> None:
    assert normalize_languages(raw) == expected


# --- the vocabulary loader ----------------------------------------------------------


def test_vocab_dir_is_the_project_data_dir() -> None:
    assert vocab.VOCAB_DIR == Path(language.__file__).resolve().parents[2] / "data" / "vocab"
    for name in ("languages", "licenses", "resource_types", "education_levels"):
        assert vocab.vocab_path(name).is_file()


def test_missing_vocab_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(vocab.VocabError, match="nowhere.toml") as info:
        vocab.load_file(path)
    assert isinstance(info.value, ConfigError)
    assert info.value.path == str(path)


def test_broken_vocab_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[aliases\nru = ["русский"', encoding="utf-8")
    with pytest.raises(vocab.VocabError, match=r"broken\.toml.*not valid TOML"):
        vocab.load_file(path)


@pytest.fixture
def fake_vocab_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at an empty directory; rebuild the real tables afterwards."""
    monkeypatch.setattr(vocab, "VOCAB_DIR", tmp_path)
    language._index.cache_clear()
    yield tmp_path
    language._index.cache_clear()


def test_missing_languages_vocab_is_a_clear_error(fake_vocab_dir: Path) -> None:
    with pytest.raises(vocab.VocabError, match="languages.toml.*missing"):
        normalize_language("русский")


def test_alias_to_an_unknown_code_names_the_field(fake_vocab_dir: Path) -> None:
    (fake_vocab_dir / "languages.toml").write_text(
        '[codes]\n[aliases]\nxx = ["ксикс"]\n[rules]\nfiller_words = []\nignore = []\n',
        encoding="utf-8",
    )
    with pytest.raises(vocab.VocabError, match=r"languages\.toml: field 'aliases\.xx'"):
        normalize_language("ксикс")


def test_wrongly_shaped_field_names_the_field(fake_vocab_dir: Path) -> None:
    (fake_vocab_dir / "languages.toml").write_text(
        '[codes]\n[aliases]\nru = "русский"\n[rules]\nfiller_words = []\nignore = []\n',
        encoding="utf-8",
    )
    with pytest.raises(vocab.VocabError, match="aliases.ru.*list of strings"):
        normalize_language("русский")

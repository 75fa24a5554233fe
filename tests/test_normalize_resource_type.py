"""dc:type / LOM learningResourceType spellings → the controlled resource type."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from oerhub.normalize import resource_type, vocab
from oerhub.normalize.resource_type import (
    RESOURCE_TYPES,
    normalize_resource_type,
    pick_resource_type,
)

RESOURCE_TYPE_TABLE = [
    # DCMI Type, bare and as URI
    ("Text", None),
    ("Image", "image"),
    ("StillImage", "image"),
    ("MovingImage", "video"),
    ("Sound", "audio"),
    ("Dataset", "dataset"),
    ("Software", "software"),
    ("InteractiveResource", "interactive"),
    ("Collection", "collection"),
    ("Event", None),
    ("http://purl.org/dc/dcmitype/MovingImage", "video"),
    ("http://purl.org/dc/dcmitype/Text", None),
    ("https://purl.org/dc/dcmitype/StillImage", "image"),
    # info:eu-repo/semantics
    ("info:eu-repo/semantics/article", "article"),
    ("info:eu-repo/semantics/bachelorThesis", "thesis"),
    ("info:eu-repo/semantics/masterThesis", "thesis"),
    ("info:eu-repo/semantics/doctoralThesis", "thesis"),
    ("info:eu-repo/semantics/book", "book"),
    ("info:eu-repo/semantics/bookPart", "book_part"),
    ("info:eu-repo/semantics/conferenceObject", "conference_paper"),
    ("info:eu-repo/semantics/lecture", "lecture"),
    ("info:eu-repo/semantics/report", "report"),
    ("info:eu-repo/semantics/workingPaper", "report"),
    ("info:eu-repo/semantics/preprint", "preprint"),
    ("info:eu-repo/semantics/review", "review"),
    ("info:eu-repo/semantics/contributionToPeriodical", "article"),
    ("info:eu-repo/semantics/other", None),
    ("info:eu-repo/semantics/annotation", None),
    # COAR resource types
    ("http://purl.org/coar/resource_type/c_6501", "article"),
    ("http://purl.org/coar/resource_type/c_2f33", "book"),
    ("http://purl.org/coar/resource_type/c_db06", "thesis"),
    ("http://purl.org/coar/resource_type/c_8544", "lecture"),
    ("http://purl.org/coar/resource_type/c_e059", "learning_object"),
    ("http://purl.org/coar/resource_type/c_12ce", "video"),
    ("http://purl.org/coar/resource_type/c_18cf", None),  # text
    # English words
    ("Textbook", "textbook"),
    ("Course", "course"),
    ("Lecture notes", "lecture"),
    ("Exercise", "exercise"),
    ("Quiz", "assessment"),
    ("Lesson plan", "lesson"),
    ("video", "video"),
    ("presentation", "presentation"),
    ("Slides", "presentation"),
    ("Simulation", "interactive"),
    ("Book chapter", "book_part"),
    ("Journal article", "article"),
    ("Peer reviewed article", "article"),
    ("Conference paper", "conference_paper"),
    ("Learning Object", "learning_object"),
    ("Article.", "article"),
    # Russian
    ("учебное пособие", "textbook"),
    ("Учебник", "textbook"),
    ("Учебное пособие для студентов вузов.", "textbook"),
    ("Учебные пособия", "textbook"),
    ("учебно-методическое пособие", "guide"),
    ("методические указания", "guide"),
    ("Методические указания к лабораторным работам", "guide"),
    ("Методические рекомендации", "guide"),
    ("конспект лекций", "lecture"),
    ("курс лекций", "lecture"),
    ("лекция", "lecture"),
    ("практикум", "exercise"),
    ("лабораторный практикум", "exercise"),
    ("Лабораторная работа", "exercise"),
    ("Сборник задач", "exercise"),
    ("Тест", "assessment"),
    ("Фонд оценочных средств", "assessment"),
    ("Электронное учебное издание", "textbook"),
    ("Урок", "lesson"),
    ("Lecție", "lesson"),  # Romanian (Moldova), with comma-below ț
    ("Lecţie", "lesson"),  # and with the cedilla ţ older keyboards type
    ("Lecții de matematică", "lesson"),
    ("статья", "article"),
    ("Научная статья", "article"),
    ("диссертация", "thesis"),
    ("автореферат диссертации", "thesis"),
    ("Курсовая работа", "thesis"),
    ("Выпускная квалификационная работа", "thesis"),
    ("тезисы доклада", "conference_paper"),
    ("Монография", "book"),
    ("Отчёт о НИР", "report"),
    ("Препринт", "preprint"),
    ("Рецензия", "review"),
    ("Журнал", "periodical"),
    ("видеолекция", "video"),
    ("Видео", "video"),
    ("презентация", "presentation"),
    ("Электронный учебно-методический комплекс", "course"),
    ("Электронный курс", "course"),
    ("курс", "course"),
    ("Интерактивный тренажёр", "interactive"),
    # Ukrainian, Belarusian
    ("методичні рекомендації", "guide"),
    ("Методичні вказівки до виконання лабораторних робіт", "guide"),
    ("навчальний посібник", "textbook"),
    ("підручник", "textbook"),
    ("лекція", "lecture"),
    ("стаття", "article"),
    ("дисертація", "thesis"),
    ("Тези доповіді", "conference_paper"),
    ("дапаможнік", "textbook"),
    ("падручнік", "textbook"),
    # Kazakh, Uzbek
    ("оқулық", "textbook"),
    ("оқу құралы", "textbook"),
    ("Oʻquv qoʻllanma", "textbook"),
    # Baltic
    ("mācību grāmata", "textbook"),
    ("mācību līdzeklis", "textbook"),
    ("õpik", "textbook"),
    ("õppematerjal", "learning_object"),
    ("vadovėlis", "textbook"),
    ("mokomoji priemonė", "textbook"),
    ("Magistritöö", "thesis"),
    # Other vocabularies' classes, as URI, CURIE or bare word (issue 13)
    ("http://purl.org/ontology/bibo/AcademicArticle", "article"),  # CyberLeninka rdf:type
    ("bibo:AcademicArticle", "article"),
    ("http://schema.org/ScholarlyArticle", "article"),
    ("JournalArticle", "article"),  # DataCite
    ("Text; JournalArticle", "article"),
    ("Journal Article", "article"),
    ("BookChapter", "book_part"),
    ("ConferenceProceeding", "conference_paper"),
    ("Dissertation", "thesis"),
    ("Audiovisual", "video"),
    ("Text; Standard", None),
    ("info:eu-repo/semantics/conferenceProceedings", "conference_paper"),  # Zenodo
    ("info:eu-repo/semantics/technicalDocumentation", "guide"),
    ("Proceedings", "conference_paper"),
    ("Conference proceedings", "conference_paper"),
    ("Conference or Workshop Item", "conference_paper"),  # EPrints
    ("Conference or Workshop Item (Paper)", "conference_paper"),
    ("Труды конференции", "conference_paper"),
    ("Konferans bildirisi", "conference_paper"),
    ("Postprint", "article"),
    ("Accepted manuscript", "article"),
    ("Makale", "article"),
    # Theses in the region's languages
    ("Yüksek lisans", "thesis"),
    ("YÜKSEK LİSANS TEZİ", "thesis"),
    ("Doktora", "thesis"),
    ("Doktora Tezi", "thesis"),
    ("Tıpta Uzmanlık", "thesis"),
    ("Магистерская диссертация", "thesis"),
    ("Выпускная работа бакалавра", "thesis"),
    ("Дипломна робота", "thesis"),
    ("Бакалаврська робота", "thesis"),
    ("Магістерська робота", "thesis"),
    ("Дыпломная праца", "thesis"),
    ("Магістарская праца", "thesis"),
    ("Бітіру жұмысы", "thesis"),
    ("Магистрлік диссертация", "thesis"),
    ("Дипломдук иш", "thesis"),
    ("Bitiruv malakaviy ishi", "thesis"),
    ("Magistrlik dissertatsiyasi", "thesis"),
    ("Magistr dissertasiyası", "thesis"),
    ("Buraxılış işi", "thesis"),
    ("Рисолаи магистрӣ", "thesis"),
    ("Диссертатсия", "thesis"),
    ("Magistr dissertasiýasy", "thesis"),
    ("Մագիստրոսական թեզ", "thesis"),
    ("Ատենախոսություն", "thesis"),
    ("სამაგისტრო ნაშრომი", "thesis"),
    ("სადოქტორო დისერტაცია", "thesis"),
    ("Bakalaureusetöö", "thesis"),
    ("Maģistra darbs", "thesis"),
    ("Magistro darbas", "thesis"),
    ("Teză de doctorat", "thesis"),
    ("Lucrare de licență", "thesis"),
    ("Master's thesis", "thesis"),
    # A DOI in dc:type is an identifier, not a type
    ("10.1234/journal.article.55", None),
    ("doi:10.5281/zenodo.1234", None),
    ("https://doi.org/10.1016/j.article.2015.01.001", None),
    ("https://example.org/types/Thing", None),
    # Nothing usable
    ("TEXTO", None),
    ("other", None),
    ("Электронный ресурс", None),
    ("zzz", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), RESOURCE_TYPE_TABLE)
def test_normalize_resource_type(raw: str | None, expected: str | None) -> None:
    assert normalize_resource_type(raw) == expected


PICK_TABLE = [
    (["Text", "info:eu-repo/semantics/article", "Учебное пособие"], "textbook"),
    (["info:eu-repo/semantics/lecture", "MovingImage"], "lecture"),
    (["Learning Object", "Book"], "book"),
    (["Text", "other", None], None),
    (["text", "http://purl.org/ontology/bibo/AcademicArticle"], "article"),
    (["Text", "JournalArticle"], "article"),
    (["10.5281/zenodo.1234", "Dataset"], "dataset"),
    ([], None),
]


@pytest.mark.parametrize(("values", "expected"), PICK_TABLE)
def test_pick_resource_type(values: list[str | None], expected: str | None) -> None:
    assert pick_resource_type(values) == expected


def _rows(section: str) -> list[tuple[str, str]]:
    with vocab.vocab_path("resource_types").open("rb") as fh:
        data = tomllib.load(fh)[section]
    return [(spelling, term) for term, spellings in data.items() for spelling in spellings]


@pytest.mark.parametrize(("token", "term"), _rows("tokens"))
def test_every_token_row(token: str, term: str) -> None:
    expected = None if term == "unmapped" else term
    assert normalize_resource_type(token) == expected
    assert normalize_resource_type(f"http://example.org/vocab/{token}") == expected


@pytest.mark.parametrize(("phrase", "term"), _rows("phrases"))
def test_every_phrase_row(phrase: str, term: str) -> None:
    assert normalize_resource_type(phrase.replace("*", "")) == term


def test_every_output_is_a_controlled_term() -> None:
    outputs = {expected for _, expected in RESOURCE_TYPE_TABLE if expected}
    assert outputs <= set(RESOURCE_TYPES)


def test_vocabulary_documents_every_term_in_priority_order() -> None:
    with vocab.vocab_path("resource_types").open("rb") as fh:
        data = tomllib.load(fh)
    assert tuple(data["terms"]) == RESOURCE_TYPES
    assert all(data["terms"][term].strip() for term in RESOURCE_TYPES)


@pytest.fixture
def fake_vocab_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at a scratch directory; rebuild the real tables afterwards."""
    monkeypatch.setattr(vocab, "VOCAB_DIR", tmp_path)
    resource_type._rules.cache_clear()
    yield tmp_path
    resource_type._rules.cache_clear()


def test_terms_out_of_order_is_a_clear_error(fake_vocab_dir: Path) -> None:
    terms = "\n".join(f'{t} = "x"' for t in reversed(RESOURCE_TYPES))
    (fake_vocab_dir / "resource_types.toml").write_text(
        f"[terms]\n{terms}\n[phrases]\n[tokens]\n[coar]\n", encoding="utf-8"
    )
    with pytest.raises(vocab.VocabError, match=r"resource_types\.toml: field 'terms'"):
        normalize_resource_type("Учебник")


def test_phrase_under_two_terms_is_a_clear_error(fake_vocab_dir: Path) -> None:
    terms = "\n".join(f'{t} = "x"' for t in RESOURCE_TYPES)
    (fake_vocab_dir / "resource_types.toml").write_text(
        f'[terms]\n{terms}\n[phrases]\ntextbook = ["учебник*"]\nbook = ["Учебник*"]\n'
        "[tokens]\n[coar]\n",
        encoding="utf-8",
    )
    with pytest.raises(vocab.VocabError, match="also listed under 'textbook'"):
        normalize_resource_type("Учебник")

"""Education level spellings → ISCED 2011 levels."""

from __future__ import annotations

import pytest

from oerhub.normalize.education import normalize_education_levels


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
    # Nothing usable
    ("master class", []),
    ("для всех", []),
    ("", []),
    (None, []),
]


@pytest.mark.parametrize(("raw", "expected"), EDUCATION_TABLE)
def test_normalize_education_levels(raw: str | None, expected: list[str]) -> None:
    assert normalize_education_levels(raw) == expected

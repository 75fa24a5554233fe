"""Subjects joined in one string → one subject each."""

from __future__ import annotations

import pytest

from oerhub.normalize.subjects import split_subjects

SUBJECT_TABLE = [
    # one subject
    ("Mathematics", ["Mathematics"]),
    ("  химия  ", ["химия"]),
    # commas (CyberLeninka keyword lists, any language)
    ("химия, химическая кинетика", ["химия", "химическая кинетика"]),
    ("черкаскульское население, керамика, палеокарпологический анализ",
     ["черкаскульское население", "керамика", "палеокарпологический анализ"]),
    ("транспортні потоки, інтенсивність руху", ["транспортні потоки", "інтенсивність руху"]),
    ("STABILIZATION,VARIABLE STRUCTURE,HYBRID SYSTEM",
     ["STABILIZATION", "VARIABLE STRUCTURE", "HYBRID SYSTEM"]),
    ("yolov5, cloth wrinkle", ["yolov5", "cloth wrinkle"]),
    ("a ,b , c", ["a", "b", "c"]),
    # tight commas between headings, spaced ones inside an inverted heading (MeSH)
    ("СЕРДЕЧНО-СОСУДИСТАЯ НЕДОСТАТОЧНОСТЬ,ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ,CARDIAC OUTPUT, LOW,HUMAN",
     ["СЕРДЕЧНО-СОСУДИСТАЯ НЕДОСТАТОЧНОСТЬ", "ДЫХАТЕЛЬНАЯ НЕДОСТАТОЧНОСТЬ", "CARDIAC OUTPUT, LOW",
      "HUMAN"]),
    # semicolons; commas then belong to the subject
    ("bedrijfskunde;bedrijfseconomie;", ["bedrijfskunde", "bedrijfseconomie"]),
    ("Neuoftalmologia; Oculoplastica", ["Neuoftalmologia", "Oculoplastica"]),
    ("85.00;85.05;85.08", ["85.00", "85.05", "85.08"]),
    ("Smith, John; Mathematics", ["Smith, John", "Mathematics"]),
    ("Accountancy, financieel management, bedrijfsfinanciering;",  # EUR DSpace
     ["Accountancy", "financieel management", "bedrijfsfinanciering"]),
    # one comma and a single word after it: an inverted heading or a name, kept whole
    ("Education, Higher", ["Education, Higher"]),
    ("DIAGNOSIS, DIFFERENTIAL", ["DIAGNOSIS, DIFFERENTIAL"]),
    ("Иванов, И. И.", ["Иванов, И. И."]),
    # a decimal comma is no separator
    ("5,2 % solution", ["5,2 % solution"]),
    ("ФИЗИКА,5,2", ["ФИЗИКА", "5,2"]),
    ("x,1990,y", ["x", "1990", "y"]),
    # nothing
    ("", []),
    (" ; ,", []),
]


@pytest.mark.parametrize(("value", "expected"), SUBJECT_TABLE)
def test_split_subjects(value: str, expected: list[str]) -> None:
    assert split_subjects(value) == expected


@pytest.mark.parametrize(("value", "expected"), SUBJECT_TABLE)
def test_a_split_subject_stays_whole(value: str, expected: list[str]) -> None:
    """Published one per dc:subject and harvested back, subjects stay as they were."""
    assert all(split_subjects(subject) == [subject] for subject in expected)

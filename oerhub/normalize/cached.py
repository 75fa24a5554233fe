"""Memoised forms of the vocabulary lookups, for the mappers.

Repositories repeat the same few spellings of languages, licences and types across thousands
of records, so each distinct spelling is mapped once per process. The lookups stay plain pure
functions (and are tested as such); only the mappers go through these.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from oerhub.normalize import dates, education, language, license, resource_type

_SIZE = 8192


@lru_cache(maxsize=_SIZE)
def _languages(value: str) -> tuple[str, ...]:
    return tuple(language.normalize_languages(value))


def languages(value: str) -> list[str]:
    return list(_languages(value))


@lru_cache(maxsize=_SIZE)
def language_code(value: str) -> str | None:
    return language.normalize_language(value)


@lru_cache(maxsize=_SIZE)
def _licence(values: tuple[str, ...]) -> license.License:
    return license.pick_license(values)


def pick_license(values: Iterable[str]) -> license.License:
    return _licence(tuple(values))


@lru_cache(maxsize=_SIZE)
def _resource_type(values: tuple[str, ...]) -> str | None:
    return resource_type.pick_resource_type(values)


def pick_resource_type(values: Iterable[str]) -> str | None:
    return _resource_type(tuple(values))


@lru_cache(maxsize=_SIZE)
def _levels(value: str, country: str | None) -> tuple[str, ...]:
    return tuple(education.normalize_education_levels(value, country))


def education_levels(value: str, country: str | None = None) -> list[str]:
    return list(_levels(value, country))


@lru_cache(maxsize=_SIZE)
def _age_levels(value: str, country: str | None) -> tuple[str, ...]:
    return tuple(education.age_range_levels(value, country))


def age_levels(value: str, country: str | None = None) -> list[str]:
    """The levels of a typical age range (bare numbers are ages)."""
    return list(_age_levels(value, country))


date = lru_cache(maxsize=_SIZE)(dates.normalize_date)

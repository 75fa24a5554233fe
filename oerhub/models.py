"""The records that flow between the stages: harvester → normaliser → store."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawRecord:
    """One record as a harvester got it, before any interpretation.

    `raw` is the metadata exactly as the repository sent it (the XML of the <metadata>
    element's child for OAI-PMH; JSON text for web harvesters), so the normaliser can be
    run again later without harvesting again.
    """

    source_id: str
    identifier: str
    datestamp: str | None
    deleted: bool
    format: str  # metadata format: "oai_dc", "lom", ...
    raw: str | None
    sets: tuple[str, ...] = ()


@dataclass
class Record:
    """One normalised catalogue record: controlled values plus the raw spellings kept beside them."""

    source_id: str
    identifier: str
    datestamp: str | None
    deleted: bool = False
    title: str | None = None
    description: str | None = None
    url: str | None = None
    language: str | None = None
    language_raw: str | None = None
    country: str | None = None
    license: str | None = None
    license_url: str | None = None
    license_raw: str | None = None
    access: str | None = None
    resource_type: str | None = None
    resource_type_raw: str | None = None
    education_level: list[str] = field(default_factory=list)
    education_level_raw: str | None = None
    subjects: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    publisher: str | None = None
    date: str | None = None
    identifiers: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    format: str | None = None

"""config/sources.toml: the shipped registry, and its agreement with the research it came from.

The registry holds every `oai-pmh` entry of ../shared/research/cis-baltic-sources.yaml. The tests
in `TestAgainstResearch` compare the two and need ../shared beside the project (and PyYAML); they
skip with the reason when either is missing. The other tests need only the registry.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from oerhub.config import Config, Source, load_config

REGISTRY = Path(__file__).resolve().parents[1] / "config" / "sources.toml"
RESEARCH = Path(__file__).resolve().parents[2] / "shared" / "research" / "cis-baltic-sources.yaml"

# The 15 countries oerhub covers: the CIS (and former CIS) and the Baltic states.
COUNTRIES = {"AM", "AZ", "BY", "EE", "GE", "KZ", "KG", "LV", "LT", "MD", "RU", "TJ", "TM", "UA",
             "UZ"}
ISSUE_COUNT = 103  # what the research summary (cis-baltic-sources.md) counts
DISABLED_PREFIX = "Disabled until `oerhub sources check` confirms it on a machine with internet: "

Entry = dict[str, Any]  # one entry of the research YAML
Pair = tuple[Entry, Source]


def _read_research() -> tuple[list[Entry] | None, str]:
    """The oai-pmh entries of the research file, or None and why they cannot be read."""
    try:
        import yaml
    except ModuleNotFoundError:
        return None, "PyYAML is not installed (pip install -e '.[test]')"
    if not RESEARCH.is_file():
        return None, f"needs ../shared beside the project: {RESEARCH} not found"
    entries = yaml.safe_load(RESEARCH.read_text(encoding="utf-8"))
    return [e for e in entries if e.get("protocol") == "oai-pmh"], ""


OAI_ENTRIES, SKIP_REASON = _read_research()


@pytest.fixture(scope="module")
def registry() -> Config:
    return load_config(REGISTRY)


@pytest.fixture(scope="module")
def by_id(registry: Config) -> dict[str, Source]:
    return {source.id: source for source in registry.sources}


@pytest.fixture
def entries() -> list[Entry]:
    """The oai-pmh entries of the research file."""
    if OAI_ENTRIES is None:
        pytest.skip(SKIP_REASON)
    return OAI_ENTRIES


@pytest.fixture
def pairs(by_id: dict[str, Source], entries: list[Entry]) -> list[Pair]:
    """(research entry, registry source) for every entry the registry holds (test_same_ids
    reports the others)."""
    return [(e, by_id[e["id"]]) for e in entries if e["id"] in by_id]


def _squash(text: str | None) -> str:
    return " ".join(str(text).split()) if text else ""


# -- the registry on its own ----------------------------------------------------------------


def test_registry_loads(registry: Config) -> None:
    assert registry.sources, "config/sources.toml holds no [[sources]]"
    assert registry.enabled, "every source is disabled"
    assert registry.settings.contact.startswith(("https://", "mailto:"))
    assert registry.settings.timeout == 60
    assert registry.settings.delay == 1.0


def test_ids_are_unique(registry: Config) -> None:
    repeated = [i for i, n in Counter(s.id for s in registry.sources).items() if n > 1]
    assert repeated == []


def test_every_country_is_one_of_the_fifteen(registry: Config) -> None:
    assert {s.country for s in registry.sources} <= COUNTRIES


def test_ids_start_with_the_country(registry: Config) -> None:
    wrong = [s.id for s in registry.sources if not s.id.startswith(s.country.lower() + "-")]
    assert wrong == []


def test_grouped_by_country_in_alphabetical_order(registry: Config) -> None:
    countries = [s.country for s in registry.sources]
    assert countries == sorted(countries)


def test_every_disabled_source_says_why(registry: Config) -> None:
    silent = [s.id for s in registry.sources
              if not s.enabled and not (s.note or "").startswith(DISABLED_PREFIX)]
    assert silent == []


def test_every_source_cites_evidence(registry: Config) -> None:
    assert [s.id for s in registry.sources if not s.evidence] == []


# Rough bounding box of each country the registry covers: (min_lat, max_lat, min_lon, max_lon),
# a little wider than the borders. Russia runs from Kaliningrad (19 E) to the antimeridian.
BOUNDING_BOXES = {
    "AM": (38.8, 41.4, 43.4, 46.7),
    "AZ": (38.3, 42.0, 44.7, 50.9),
    "BY": (51.2, 56.2, 23.1, 32.8),
    "EE": (57.5, 59.8, 21.7, 28.3),
    "GE": (41.0, 43.6, 40.0, 46.8),
    "KG": (39.1, 43.3, 69.2, 80.3),
    "KZ": (40.5, 55.5, 46.4, 87.4),
    "LT": (53.8, 56.5, 20.9, 26.9),
    "LV": (55.6, 58.1, 20.9, 28.3),
    "MD": (45.4, 48.5, 26.6, 30.2),
    "RU": (41.1, 82.0, 19.0, 180.0),
    "UA": (44.3, 52.4, 22.1, 40.3),
    "UZ": (37.1, 45.6, 55.9, 73.2),
}
MIN_SHARE_WITH_COORDINATES = 0.9


def test_coordinates_come_in_pairs(registry: Config) -> None:
    half = [s.id for s in registry.sources if (s.latitude is None) != (s.longitude is None)]
    assert half == [], "latitude without longitude, or the reverse"


def test_coordinates_lie_in_the_country(registry: Config) -> None:
    outside = []
    for s in registry.sources:
        if s.latitude is None or s.longitude is None:
            continue
        assert s.country in BOUNDING_BOXES, f"{s.id}: no bounding box for {s.country} in the test"
        min_lat, max_lat, min_lon, max_lon = BOUNDING_BOXES[s.country]
        if not (min_lat <= s.latitude <= max_lat and min_lon <= s.longitude <= max_lon):
            outside.append((s.id, s.country, s.latitude, s.longitude))
    assert outside == []


def test_most_sources_have_coordinates(registry: Config) -> None:
    located = [s for s in registry.sources if s.latitude is not None and s.longitude is not None]
    without = [s.id for s in registry.sources if s.latitude is None or s.longitude is None]
    share = len(located) / len(registry.sources)
    assert share >= MIN_SHARE_WITH_COORDINATES, f"{share:.0%} have coordinates; without: {without}"


# -- the registry against the research --------------------------------------------------------


@pytest.mark.shared
@pytest.mark.skipif(OAI_ENTRIES is None, reason=SKIP_REASON)
class TestAgainstResearch:
    def test_count_matches_research(self, registry: Config, entries: list[Entry]) -> None:
        in_registry, in_research = len(registry.sources), len(entries)
        assert in_registry == in_research
        assert in_research == ISSUE_COUNT

    def test_same_ids(self, by_id: dict[str, Source], entries: list[Entry]) -> None:
        research_ids = {e["id"] for e in entries}
        assert sorted(research_ids - set(by_id)) == [], "in the research, missing from the registry"
        assert sorted(set(by_id) - research_ids) == [], "in the registry, not in the research"

    def test_same_country_and_url(self, pairs: list[Pair]) -> None:
        wrong = []
        for e, source in pairs:
            if source.country != e["country"]:
                wrong.append((e["id"], "country", source.country, e["country"]))
            if e.get("base_url") and source.url != e["base_url"]:
                wrong.append((e["id"], "url", source.url, e["base_url"]))
            if e.get("url") and source.homepage != e["url"]:
                wrong.append((e["id"], "homepage", source.homepage, e["url"]))
            if source.confidence != e["confidence"]:
                wrong.append((e["id"], "confidence", source.confidence, e["confidence"]))
        assert wrong == []

    def test_missing_base_url_is_inferred_and_disabled(
            self, pairs: list[Pair]) -> None:
        wrong = [e["id"] for e, source in pairs
                 if not e.get("base_url")
                 and (source.enabled or "inferred" not in (source.note or ""))]
        assert wrong == []

    def test_enabled_only_when_confidence_high(self, pairs: list[Pair]) -> None:
        wrong = [(e["id"], e["confidence"], f"base_url={e.get('base_url')}",
                  f"enabled={source.enabled}")
                 for e, source in pairs
                 if source.enabled != (e["confidence"] == "high" and bool(e.get("base_url")))]
        assert wrong == []

    def test_disabled_notes_give_the_reason(self, pairs: list[Pair]) -> None:
        for e, source in pairs:
            if source.enabled:
                continue
            note = source.note or ""
            assert note.startswith(DISABLED_PREFIX), e["id"]
            assert f"{e['confidence']} confidence" in note, e["id"]
            assert _squash(e.get("notes")) in note, e["id"]

    def test_enabled_sources_keep_the_research_notes(
            self, pairs: list[Pair]) -> None:
        wrong = [e["id"] for e, source in pairs
                 if source.enabled and (source.note or "") != _squash(e.get("notes"))]
        assert wrong == []

    def test_evidence_is_kept(self, pairs: list[Pair]) -> None:
        lost = [(e["id"], item) for e, source in pairs for item in e.get("evidence") or []
                if item not in source.evidence]
        assert lost == []

    def test_every_country_with_oai_sources_appears(self, registry: Config,
                                                    entries: list[Entry]) -> None:
        research_countries = {e["country"] for e in entries}
        assert research_countries <= COUNTRIES
        assert {s.country for s in registry.sources} == research_countries

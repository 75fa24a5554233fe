"""config/sources.toml: the shipped registry, and its agreement with the research it came from.

The registry holds every `oai-pmh` entry of ../shared/research/cis-baltic-sources.yaml, and the
research's `json-api` and `html` entries that a web protocol can reach; the others are named in
`EXCLUDED` with the reason. The tests in `TestAgainstResearch` and `TestWebAgainstResearch`
compare the two and need ../shared beside the project (and PyYAML); they skip with the reason
when either is missing. The other tests need only the registry.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harvesters.web import WebFetcher
from oerhub.normalize.adapters import ADAPTERS
from oerhub.registry import WEB_PROTOCOLS, Config, Source, load_config

REGISTRY = Path(__file__).resolve().parents[1] / "config" / "sources.toml"
RESEARCH = Path(__file__).resolve().parents[2] / "shared" / "research" / "cis-baltic-sources.yaml"

# The 15 countries oerhub covers: the CIS (and former CIS) and the Baltic states.
COUNTRIES = {"AM", "AZ", "BY", "EE", "GE", "KZ", "KG", "LV", "LT", "MD", "RU", "TJ", "TM", "UA",
             "UZ"}
ISSUE_COUNT = 103  # what the research summary (cis-baltic-sources.md) counts
WEB_COUNT = 39  # json-api and html entries of the research (7 + 32)
DISABLED_PREFIX = "Disabled until `oerhub sources check` confirms it on a machine with internet: "
# Nobody has seen the html portals' markup (the research was done without internet), so their
# selectors are generic and every html source waits for someone to check them.
HTML_PREFIX = "Disabled until its selectors are checked against the live markup: "

# Sources per protocol: the 103 OAI-PMH endpoints, 31 research portals (39 less EXCLUDED) and
# e-Koolikott's feed and sitemap as sources of their own.
PROTOCOL_COUNTS = {"oai-pmh": 103, "json-api": 4, "feed": 1, "sitemap": 1, "html": 27}
# The only web source whose research confidence is high with nothing inferred, and not html.
WEB_ENABLED = {"ru-stepik"}

# Research entries no web protocol can reach: id -> why. sources.toml lists the same at its end.
EXCLUDED = {
    "ru-fcior": "probably defunct (host reported not resolving)",
    "ru-mes-library": "the JSON API needs a session",
    "az-virtual-school": "login-based (Microsoft Teams)",
    "kz-bilimland": "much of the content needs an account; commercial, not openly licensed",
    "kg-ilimbox": "no portal hostname: videos on YouTube, offline boxes",
    "tm-science-gov": "information pages, no collection of resources",
    "tm-turkmenmetbugat": "state periodicals, not OER",
    "ee-koolielu": "possibly defunct; its content reached e-Koolikott via the Waramu feed",
}
# Reached by another protocol than the research's main one (which must be in its `also`).
PROTOCOL_CHANGES = {
    "ru-openedu": "the catalogue export needs OAuth client credentials; the pages are crawled",
    "uz-ziyonet": "the mobile JSON API is undocumented (no adapter); the library is crawled",
}
# A url that differs from the research's base_url, and why (it must appear in the evidence).
URL_CHANGES = {
    "ru-stepik": "the research notes say stepik.org is the current host of the stepic.org API",
}
# Sources that are a second channel of a research entry (its `also`), not entries themselves.
DERIVED = {"ee-ekoolikott-feed": "ee-ekoolikott", "ee-ekoolikott-sitemap": "ee-ekoolikott"}
ALSO = {"rss": "feed"}  # the research's word for a channel -> our protocol

Entry = dict[str, Any]  # one entry of the research YAML
Pair = tuple[Entry, Source]


def _read_research() -> tuple[list[Entry] | None, str]:
    """The entries of the research file, or None and why they cannot be read."""
    try:
        import yaml
    except ModuleNotFoundError:
        return None, "PyYAML is not installed (pip install -e '.[test]')"
    if not RESEARCH.is_file():
        return None, f"needs ../shared beside the project: {RESEARCH} not found"
    return yaml.safe_load(RESEARCH.read_text(encoding="utf-8")), ""


ALL_ENTRIES, SKIP_REASON = _read_research()
OAI_ENTRIES = None if ALL_ENTRIES is None else [
    e for e in ALL_ENTRIES if e.get("protocol") == "oai-pmh"]
WEB_ENTRIES = None if ALL_ENTRIES is None else [
    e for e in ALL_ENTRIES if e.get("protocol") != "oai-pmh"]


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
    prefixes = {protocol: (DISABLED_PREFIX,) for protocol in ("oai-pmh", *WEB_PROTOCOLS)}
    prefixes["html"] = (HTML_PREFIX,)
    silent = [s.id for s in registry.sources
              if not s.enabled and not (s.note or "").startswith(prefixes[s.protocol])]
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
    "TJ": (36.6, 41.1, 67.3, 75.2),
    "TM": (35.1, 42.8, 52.4, 66.7),
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


# -- the web sources --------------------------------------------------------------------------


def _web(registry: Config, protocol: str | None = None) -> list[Source]:
    return [s for s in registry.sources
            if s.is_web and (protocol is None or s.protocol == protocol)]


def test_counts_per_protocol(registry: Config) -> None:
    assert dict(Counter(s.protocol for s in registry.sources)) == PROTOCOL_COUNTS


def test_web_sources_enabled_only_where_nothing_is_unverified(registry: Config) -> None:
    assert {s.id for s in _web(registry) if s.enabled} == WEB_ENABLED


def test_every_json_api_source_names_a_known_adapter(registry: Config) -> None:
    sources = _web(registry, "json-api")
    assert [(s.id, s.adapter) for s in sources if s.adapter not in ADAPTERS] == []
    assert {s.adapter for s in sources} == set(ADAPTERS), "an adapter no real portal uses"


def test_every_html_source_is_disabled_until_its_selectors_are_checked(
        registry: Config) -> None:
    wrong = [s.id for s in _web(registry, "html")
             if s.enabled or not (s.note or "").startswith(HTML_PREFIX)
             or "selectors are generic" not in (s.note or "")]
    assert wrong == []


def test_every_html_source_has_rules_and_keeps_to_its_portal(registry: Config) -> None:
    for source in _web(registry, "html"):
        assert source.html is not None and "title" in source.html.fields, source.id
        assert source.include, f"{source.id}: no include pattern keeps the crawl on the portal"
        fetcher = WebFetcher(source, client=None)  # type: ignore[arg-type]  # no request made
        elsewhere = "https://example.org/resource/1"
        assert not fetcher.wanted(elsewhere), f"{source.id} would crawl {elsewhere}"


def test_every_web_source_bounds_its_runs(registry: Config) -> None:
    unbounded = [(s.id, s.max_pages) for s in _web(registry)
                 if s.max_pages is None or not 1 <= s.max_pages <= 5000]
    assert unbounded == []


# Item pages of the URL schemes the research gives (from its evidence), and what must stay out.
ITEM_PAGES = [
    ("am-lib-armedu", "https://lib.armedu.am/resource/1234", True),
    ("am-lib-armedu", "https://lib.armedu.am/about", False),
    ("az-e-derslik", "https://e-derslik.edu.az/books/305/", True),
    ("by-eior", "https://eior.by/catalog_lecture/11-klass/informatika/19.php", True),
    ("by-eior", "https://eior.by/catalog_lecture/11-klass/informatika/", False),
    ("by-profil-adu", "http://profil.adu.by/mod/book/view.php?id=4251", True),
    ("by-profil-adu", "http://profil.adu.by/mod/book/view.php?id=4251&chapterid=13203", False),
    ("lt-ugdymo-sodas", "https://sodas.ugdome.lt/viesieji-puslapiai/5", True),
    ("md-ibn", "https://ibn.idsi.md/vizualizare_articol/140531", True),
    ("md-ibn", "https://ibn.idsi.md/sites/default/files/imag_file/45-52_7.pdf", False),
    ("ru-resh", "https://resh.edu.ru/subject/lesson/7876/main/", True),
    ("ru-resh", "https://resh.edu.ru/subject/lesson/7876/train/", False),
    ("ua-imzo-lib", "https://lib.imzo.gov.ua/yelektronn-vers-pdruchnikv/5-klas/", True),
    ("ua-imzo-lib", "https://lib.imzo.gov.ua/wa-data/public/site/books2/5-klas/x.pdf", False),
    ("tm-kamilbilim", "https://kamilbilim.edu.tm/media/books/algebra.PDF", False),
    ("ge-el-ge", "https://www.el.ge/", True),
]


@pytest.mark.parametrize(("source_id", "url", "wanted"), ITEM_PAGES)
def test_include_and_exclude_follow_the_url_schemes(by_id: dict[str, Source], source_id: str,
                                                    url: str, wanted: bool) -> None:
    fetcher = WebFetcher(by_id[source_id], client=None)  # type: ignore[arg-type]
    assert fetcher.wanted(url) is wanted


def test_web_sources_follow_the_oai_sources_of_their_country(registry: Config) -> None:
    for country in {s.country for s in registry.sources}:
        protocols = [s.protocol for s in registry.sources if s.country == country]
        first_web = next((i for i, p in enumerate(protocols) if p != "oai-pmh"), len(protocols))
        assert "oai-pmh" not in protocols[first_web:], country


def test_the_exclusions_are_listed_in_the_registry_file() -> None:
    text = REGISTRY.read_text(encoding="utf-8")
    block = text.split("# ═══ Not in the registry", 1)[1]
    listed = set(re.findall(r"^#   ([a-z]{2}-[a-z0-9-]+)\s", block, re.M))
    assert listed == set(EXCLUDED)


# -- the registry against the research --------------------------------------------------------


@pytest.mark.shared
@pytest.mark.skipif(OAI_ENTRIES is None, reason=SKIP_REASON)
class TestAgainstResearch:
    def test_count_matches_research(self, registry: Config, entries: list[Entry]) -> None:
        in_registry = len([s for s in registry.sources if s.protocol == "oai-pmh"])
        assert in_registry == len(entries) == ISSUE_COUNT

    def test_same_ids(self, registry: Config, entries: list[Entry]) -> None:
        research_ids = {e["id"] for e in entries}
        oai_ids = {s.id for s in registry.sources if s.protocol == "oai-pmh"}
        assert sorted(research_ids - oai_ids) == [], "in the research, missing from the registry"
        assert sorted(oai_ids - research_ids) == [], "in the registry, not in the research"

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
        assert {s.country for s in registry.sources if s.protocol == "oai-pmh"} == \
            research_countries


@pytest.fixture
def web_entries() -> list[Entry]:
    """The json-api and html entries of the research file."""
    if WEB_ENTRIES is None:
        pytest.skip(SKIP_REASON)
    return WEB_ENTRIES


@pytest.fixture
def web_pairs(registry: Config, web_entries: list[Entry]) -> list[Pair]:
    """(research entry, registry source) for every web source; a second channel gets the
    entry it belongs to."""
    research = {e["id"]: e for e in web_entries}
    return [(research[DERIVED.get(s.id, s.id)], s) for s in _web(registry)
            if DERIVED.get(s.id, s.id) in research]


@pytest.mark.shared
@pytest.mark.skipif(WEB_ENTRIES is None, reason=SKIP_REASON)
class TestWebAgainstResearch:
    def test_every_entry_is_registered_or_excluded_with_a_reason(
            self, by_id: dict[str, Source], web_entries: list[Entry]) -> None:
        research_ids = {e["id"] for e in web_entries}
        assert len(web_entries) == WEB_COUNT
        assert sorted(research_ids - set(by_id) - set(EXCLUDED)) == [], "neither registered " \
            "nor excluded"
        assert sorted(set(EXCLUDED) & set(by_id)) == [], "both registered and excluded"
        assert sorted(set(EXCLUDED) - research_ids) == [], "excluded, not a web research entry"
        assert [i for i, why in EXCLUDED.items() if len(why.split()) < 2] == []

    def test_every_web_source_comes_from_the_research(self, registry: Config,
                                                      web_entries: list[Entry]) -> None:
        research_ids = {e["id"] for e in web_entries}
        assert sorted(s.id for s in _web(registry)
                      if DERIVED.get(s.id, s.id) not in research_ids) == []
        assert len(_web(registry)) == WEB_COUNT - len(EXCLUDED) + len(DERIVED)

    def test_same_country_homepage_and_confidence(self, web_pairs: list[Pair]) -> None:
        wrong = []
        for e, source in web_pairs:
            for field_name, ours, theirs in (("country", source.country, e["country"]),
                                             ("homepage", source.homepage, e.get("url")),
                                             ("confidence", source.confidence, e["confidence"])):
                if ours != theirs:
                    wrong.append((source.id, field_name, ours, theirs))
        assert wrong == []

    def test_protocol_is_the_research_one_or_one_of_its_channels(
            self, web_pairs: list[Pair]) -> None:
        wrong = []
        for e, source in web_pairs:
            also = {ALSO.get(word, word) for word in
                    (str(a).split()[0] for a in e.get("also") or [])}
            changed = source.id in PROTOCOL_CHANGES or source.id in DERIVED
            expected = also if changed else {e["protocol"]}
            if source.protocol not in expected or (changed and source.protocol == e["protocol"]):
                wrong.append((source.id, source.protocol, e["protocol"], sorted(also)))
        assert wrong == []

    def test_url_was_seen_in_the_research(self, web_pairs: list[Pair]) -> None:
        wrong = []
        for e, source in web_pairs:
            if source.id in DERIVED:
                continue  # a channel's URL: its own evidence and note say where it comes from
            quoted = any(source.url in item for item in e["evidence"])
            if source.protocol == "json-api":
                seen = (source.url == e["base_url"] if source.id not in URL_CHANGES
                        else quoted)
            else:  # html: the portal's address, or a list page quoted in the evidence
                seen = source.url == e["url"] or quoted
            if not seen:
                wrong.append((source.id, source.url, e.get("base_url"), e.get("url")))
        assert wrong == []

    def test_enabled_only_when_confidence_high_and_nothing_inferred(
            self, web_pairs: list[Pair]) -> None:
        wrong = [(source.id, e["confidence"], f"enabled={source.enabled}")
                 for e, source in web_pairs
                 if source.enabled != (source.protocol != "html" and source.id not in DERIVED
                                       and e["confidence"] == "high"
                                       and "inferred" not in _squash(e.get("notes")))]
        assert wrong == []

    def test_notes_give_the_confidence_and_keep_the_research_notes(
            self, web_pairs: list[Pair]) -> None:
        for e, source in web_pairs:
            note = source.note or ""
            if not source.enabled:
                assert f"{e['confidence']} confidence" in note, source.id
            if source.id not in DERIVED:
                assert _squash(e.get("notes")) in note, source.id

    def test_evidence_is_kept(self, web_pairs: list[Pair]) -> None:
        lost = [(source.id, item) for e, source in web_pairs if source.id not in DERIVED
                for item in e["evidence"] if item not in source.evidence]
        assert lost == []

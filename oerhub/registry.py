"""The sources registry: read `config/sources.toml`, check every field, name what is wrong.

A bad registry stops everything before any request is made: a harvest that silently skips a
misspelt source is worse than one that refuses to start.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pycountry

from oerhub.bodies import DEFAULT_MAX_BODY
from oerhub.errors import ConfigError
from oerhub.http import MAX_RETRY_AFTER

DEFAULT_CONFIG = Path("config/sources.toml")
DEFAULT_DB = Path("data/oerhub.db")
DEFAULT_CONTACT = "https://github.com/oerhub/oerhub"

PROTOCOLS = ("oai-pmh", "sitemap", "feed", "json-api", "html")
WEB_PROTOCOLS = ("sitemap", "feed", "json-api", "html")
# Web portals are crawled page by page: a second between two requests to a host unless the
# registry says otherwise (robots.txt's Crawl-delay can only make it longer).
WEB_DEFAULT_DELAY = 1.0
HTML_FIELDS = ("title", "description", "url", "language", "license", "resource_type",
               "education_level", "subjects", "creators", "publisher", "date", "identifiers")
CONFIDENCE = ("high", "medium", "low")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

REQUIRED = ("id", "name", "country", "protocol", "url")
# key -> (type(s), description used in messages)
OPTIONAL: dict[str, tuple[type | tuple[type, ...], str]] = {
    "metadata_prefix": (str, "a string such as 'oai_dc'"),
    "sets": (list, "a list of set specs"),
    "enabled": (bool, "true or false"),
    "platform": (str, "a string"),
    "institution": (str, "a string"),
    "homepage": (str, "a URL"),
    "evidence": (list, "a list of strings: where the URL was found"),
    "confidence": (str, "one of high, medium, low"),
    "note": (str, "a string"),
    "languages": (list, "a list of ISO 639-1 codes"),
    "delay": ((int, float), "seconds between two requests to this source's host, a number"),
    "window": (str, "one of year, month, day, none"),
    "latitude": ((int, float), "a number"),
    "longitude": ((int, float), "a number"),
    "max_pages": (int, "the most pages one run fetches, a whole number"),
    "include": (list, "a list of regular expressions: only page URLs matching one are fetched"),
    "exclude": (list, "a list of regular expressions: page URLs matching one are skipped"),
    "adapter": (str, "the JSON API's shape: one of openedx, stepik, ekoolikott"),
    "max_minutes": ((int, float), "the longest one run of this source may take, in minutes"),
    "allow_hosts": (list, "a list of other host names this source's redirects and page URLs "
                          "may lead to"),
    "html": (dict, "a table with 'items', 'next' and [sources.html.fields] selectors"),
}
SETTINGS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "contact": (str, "a URL or mailto: address people can reach you at"),
    "timeout": ((int, float), "seconds, a number"),
    "delay": ((int, float), "seconds between two requests to one host, a number (default 0 "
                            "for OAI-PMH, 1 for web protocols)"),
    "retries": (int, "how many times a failed request is tried again, a whole number"),
    "backoff": ((int, float), "seconds before the first retry (doubling after), a number"),
    "max_wait": ((int, float), "the longest Retry-After we honour, in seconds, a number"),
    "workers": (int, "how many sources are harvested at once, a whole number"),
    "processes": (int, "how many worker processes read and normalise pages, a whole number "
                       "(0: none, all in the harvest's own process; default: one per CPU)"),
    "max_deletions": ((int, float), "the share of a source's live records one run may delete "
                                    "before the deletions are held for review (0 to 1)"),
    "max_body_mb": ((int, float), "the largest answer read, in MB once decompressed"),
    "max_request_seconds": ((int, float), "the longest one request may take in total, body "
                                          "included, in seconds"),
    "max_pages": (int, "the most pages one run of a source fetches, a whole number"),
    "max_minutes": ((int, float), "the longest one run of a source may take, in minutes"),
}
WINDOWS = ("year", "month", "day", "none")
# OAI-PMH.xsd's emailType: what /oai's Identify may give as adminEmail.
EMAIL = re.compile(r"\S+@(\S+\.)+\S+")


@dataclass(frozen=True)
class Source:
    """One repository or portal to harvest."""

    id: str
    name: str
    country: str
    protocol: str
    url: str
    metadata_prefix: str = "oai_dc"
    sets: tuple[str, ...] = ()
    enabled: bool = True
    platform: str | None = None
    institution: str | None = None
    homepage: str | None = None
    evidence: tuple[str, ...] = ()
    confidence: str | None = None
    note: str | None = None
    languages: tuple[str, ...] = ()
    delay: float | None = None  # overrides [harvest] delay for this source's host
    window: str = "year"  # date windows of a full harvest: an expired token costs one window
    latitude: float | None = None
    longitude: float | None = None
    max_pages: int | None = None  # web protocols: the most pages one run fetches
    include: tuple[str, ...] = ()  # web protocols: regexes a page URL must match (one of)
    exclude: tuple[str, ...] = ()  # web protocols: regexes that skip a page URL
    adapter: str | None = None  # json-api: which platform's API shape
    max_minutes: float | None = None  # overrides [harvest] max_minutes for this source
    allow_hosts: tuple[str, ...] = ()  # other hosts its redirects and page URLs may lead to
    html: HtmlRules | None = None  # html: where the fields are on the pages

    @property
    def is_web(self) -> bool:
        return self.protocol in WEB_PROTOCOLS


@dataclass(frozen=True)
class HtmlRules:
    """Selectors for a portal with no metadata: list pages link to item pages.

    A selector is CSS, or XPath when it starts with '/' or '(' ; CSS may end in ' @attr' to
    take an attribute instead of the text (`meta[name=description] @content`).
    """

    items: str  # on a list page: the links to item pages
    fields: dict[str, str]  # record field -> selector on an item page; 'title' is required
    next: str | None = None  # on a list page: the link to the next list page
    start: tuple[str, ...] = ()  # more list pages to start from besides the source's url


@dataclass(frozen=True)
class Settings:
    """How oerhub talks to servers."""

    contact: str = DEFAULT_CONTACT
    timeout: float = 60.0
    delay: float | None = None  # None: 0 for OAI-PMH, WEB_DEFAULT_DELAY for web protocols
    retries: int = 3
    backoff: float = 2.0
    max_wait: float = MAX_RETRY_AFTER
    workers: int = 8
    processes: int | None = None  # None: one per CPU (oerhub/workers.py)
    max_deletions: float = 0.15
    # Limits against hostile or broken servers (oerhub/limits.py): generous by default.
    max_body_mb: float = DEFAULT_MAX_BODY >> 20
    max_request_seconds: float = 600.0
    max_pages: int = 100_000
    max_minutes: float = 720.0


@dataclass(frozen=True)
class SiteSettings:
    """What the published site says about who runs it ([site] table)."""

    admin_email: str | None = None  # /oai's adminEmail (oerhub/publish/oai.py says the order)


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)
    site: SiteSettings = field(default_factory=SiteSettings)

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources[:10])
        more = "…" if len(self.sources) > 10 else ""
        raise ConfigError(f"no source with id {source_id!r} (known: {known}{more})",
                          path=str(self.path))

    @property
    def enabled(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)


def config_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The registry to read: the option, else $OERHUB_CONFIG, else config/sources.toml."""
    return Path(option or os.environ.get("OERHUB_CONFIG") or DEFAULT_CONFIG)


def db_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The catalogue to write: the option, else $OERHUB_DB, else data/oerhub.db."""
    return Path(option or os.environ.get("OERHUB_DB") or DEFAULT_DB)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and check the registry; raise ConfigError naming file, source and field."""
    path = config_path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found (give --config FILE or set OERHUB_CONFIG)",
                          path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Check an already-parsed registry (split out so tests can feed dicts)."""
    unknown = set(data) - {"sources", "harvest", "site"}
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}; expected [[sources]] "
                          "and optional [harvest] and [site] tables", path=str(path))
    settings = _parse_settings(data.get("harvest", {}), path)
    site = _parse_site(data.get("site", {}), path)
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError("'sources' must be an array of tables ([[sources]])", path=str(path))
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_sources, start=1):
        source = _parse_source(raw, index, path)
        if source.id in seen:
            raise ConfigError(f"duplicate id: source #{index} repeats the id of source "
                              f"#{seen[source.id]}", path=str(path), source=source.id, field="id")
        seen[source.id] = index
        sources.append(source)
    return Config(path=path, sources=tuple(sources), settings=settings, site=site)


def _parse_site(raw: Any, path: Path) -> SiteSettings:
    if not isinstance(raw, dict):
        raise ConfigError("[site] must be a table", path=str(path))
    for key, value in raw.items():
        if key != "admin_email":
            raise ConfigError("unknown setting (known: admin_email)", path=str(path),
                              field=f"site.{key}")
        if not isinstance(value, str) or not EMAIL.fullmatch(value):
            raise ConfigError(f"must be an e-mail address, not {value!r}", path=str(path),
                              field=f"site.{key}")
    return SiteSettings(**raw)


def _parse_settings(raw: Any, path: Path) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError("[harvest] must be a table", path=str(path))
    for key, value in raw.items():
        if key not in SETTINGS:
            raise ConfigError(f"unknown setting (known: {', '.join(SETTINGS)})",
                              path=str(path), field=f"harvest.{key}")
        kind, what = SETTINGS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"must be {what}, not {value!r}", path=str(path),
                              field=f"harvest.{key}")
    for key in ("timeout", "delay", "backoff", "max_wait", "max_deletions", "max_body_mb",
                "max_request_seconds", "max_minutes"):
        if key in raw and not math.isfinite(raw[key]):
            raise ConfigError("must be a finite number", path=str(path), field=f"harvest.{key}")
    if raw.get("timeout", 1) <= 0:
        raise ConfigError("must be more than 0 seconds", path=str(path), field="harvest.timeout")
    for key in ("delay", "retries", "backoff", "max_wait"):
        if raw.get(key, 0) < 0:
            raise ConfigError("must not be negative", path=str(path), field=f"harvest.{key}")
    for key in ("max_body_mb", "max_request_seconds", "max_pages", "max_minutes"):
        if raw.get(key, 1) <= 0:
            raise ConfigError("must be more than 0", path=str(path), field=f"harvest.{key}")
    if raw.get("processes", 0) < 0:
        raise ConfigError("must be 0 or more", path=str(path), field="harvest.processes")
    if raw.get("workers", 1) < 1:
        raise ConfigError("must be 1 or more", path=str(path), field="harvest.workers")
    if not 0 <= raw.get("max_deletions", 0) <= 1:
        raise ConfigError("must be between 0 and 1 (0.15 means 15%)", path=str(path),
                          field="harvest.max_deletions")
    if "contact" in raw and not _is_contact(raw["contact"]):
        raise ConfigError(f"must be an http(s) URL or a mailto: address, not {raw['contact']!r}",
                          path=str(path), field="harvest.contact")
    floats = ("timeout", "delay", "backoff", "max_wait", "max_deletions", "max_body_mb",
              "max_request_seconds", "max_minutes")
    return Settings(**{k: (float(v) if k in floats else v) for k, v in raw.items()})


def _parse_source(raw: Any, index: int, path: Path) -> Source:
    label = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"#{index}"

    def fail(message: str, key: str | None = None) -> ConfigError:
        return ConfigError(message, path=str(path), source=label, field=key)

    if not isinstance(raw, dict):
        raise fail("each [[sources]] entry must be a table")
    for key in REQUIRED:
        if key not in raw:
            raise fail("missing required field", key)
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(f"must be a non-empty string, not {raw[key]!r}", key)
    for key, value in raw.items():
        if key in REQUIRED:
            continue
        if key not in OPTIONAL:
            raise fail(f"unknown field (known: {', '.join(REQUIRED + tuple(OPTIONAL))})", key)
        kind, what = OPTIONAL[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise fail(f"must be {what}, not {value!r}", key)
    for key in ("sets", "evidence", "languages", "include", "exclude", "allow_hosts"):
        if any(not isinstance(item, str) or not item for item in raw.get(key, [])):
            raise fail("must contain only non-empty strings", key)

    if not SLUG.match(raw["id"]):
        raise fail("must be a slug: lower-case letters, digits, '-', '_' or '.'", "id")
    country = raw["country"].strip().upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        raise fail(f"{raw['country']!r} is not an ISO 3166-1 alpha-2 country code", "country")
    protocol = raw["protocol"].strip().lower()
    if protocol not in PROTOCOLS:
        raise fail(f"unknown protocol {raw['protocol']!r} (known: {', '.join(PROTOCOLS)})",
                   "protocol")
    if not _is_http_url(raw["url"]):
        raise fail(f"{raw['url']!r} is not an http(s) URL with a host", "url")
    if "homepage" in raw and not _is_http_url(raw["homepage"]):
        raise fail(f"{raw['homepage']!r} is not an http(s) URL with a host", "homepage")
    if "confidence" in raw and raw["confidence"] not in CONFIDENCE:
        raise fail(f"must be one of {', '.join(CONFIDENCE)}", "confidence")
    if "latitude" in raw and not -90 <= raw["latitude"] <= 90:
        raise fail("must be between -90 and 90", "latitude")
    if "longitude" in raw and not -180 <= raw["longitude"] <= 180:
        raise fail("must be between -180 and 180", "longitude")
    if "delay" in raw and not (math.isfinite(raw["delay"]) and raw["delay"] >= 0):
        raise fail("must be 0 or more seconds", "delay")
    if "window" in raw and raw["window"] not in WINDOWS:
        raise fail(f"must be one of {', '.join(WINDOWS)}", "window")
    for key in ("include", "exclude"):
        for pattern in raw.get(key, []):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(f"{pattern!r} is not a regular expression: {exc}", key) from None
    if "max_pages" in raw and raw["max_pages"] < 1:
        raise fail("must be 1 or more", "max_pages")
    if "max_minutes" in raw and not (math.isfinite(raw["max_minutes"]) and raw["max_minutes"] > 0):
        raise fail("must be more than 0 minutes", "max_minutes")
    for host in raw.get("allow_hosts", []):
        if _is_http_url(host) or "/" in host or any(c.isspace() for c in host):
            raise fail(f"{host!r} is not a host name (write 'cdn.example.org', no scheme or "
                       "path)", "allow_hosts")
    web_only = [key for key in ("include", "exclude", "adapter", "html") if key in raw]
    if protocol == "oai-pmh" and web_only:
        raise fail(f"only web protocols ({', '.join(WEB_PROTOCOLS)}) take this field",
                   web_only[0])
    adapter = raw.get("adapter")
    if protocol == "json-api":
        from oerhub.normalize.adapters import ADAPTERS  # the adapters declare themselves

        if adapter is None:
            raise fail(f"a json-api source needs an adapter (one of {', '.join(ADAPTERS)})",
                       "adapter")
        if adapter not in ADAPTERS:
            raise fail(f"unknown adapter {adapter!r} (known: {', '.join(ADAPTERS)})", "adapter")
    elif adapter is not None:
        raise fail("only json-api sources take an adapter", "adapter")
    html = None
    if protocol == "html":
        if "html" not in raw:
            raise fail("an html source needs a [sources.html] table with 'items' and "
                       "[sources.html.fields] selectors", "html")
        html = _parse_html(raw["html"], fail)
    elif "html" in raw:
        raise fail("only html sources take an [sources.html] table", "html")
    prefix = raw.get("metadata_prefix", "oai_dc")
    if not prefix.strip():
        raise fail("must not be empty", "metadata_prefix")

    values = {key: _typed(key, raw[key]) for key in OPTIONAL if key in raw}
    values.update(id=raw["id"], name=raw["name"].strip(), country=country, protocol=protocol,
                  url=raw["url"].strip(), metadata_prefix=prefix.strip(), adapter=adapter,
                  html=html,
                  allow_hosts=tuple(h.strip().lower() for h in raw.get("allow_hosts", ())))
    return Source(**values)


def _typed(key: str, value: Any) -> Any:
    """A checked registry value as Source holds it: lists as tuples, numbers as floats where
    OPTIONAL allows a float."""
    kind = OPTIONAL[key][0]
    if kind is list:
        return tuple(value)
    if kind == (int, float):
        return float(value)
    return value


def _parse_html(raw: dict[str, Any], fail: Any) -> HtmlRules:
    known = ("items", "next", "start", "fields")
    for key, value in raw.items():
        if key not in known:
            raise fail(f"unknown key (known: {', '.join(known)})", f"html.{key}")
    for key in ("items", "next"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise fail(f"must be a selector string, not {raw[key]!r}", f"html.{key}")
    if "items" not in raw:
        raise fail("missing: the selector of the links to item pages on a list page",
                   "html.items")
    start = raw.get("start", [])
    if not isinstance(start, list) or not all(isinstance(u, str) and _is_http_url(u)
                                              for u in start):
        raise fail("must be a list of http(s) URLs", "html.start")
    fields = raw.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise fail("missing: a [sources.html.fields] table of field = selector", "html.fields")
    for name, selector in fields.items():
        if name not in HTML_FIELDS:
            raise fail(f"unknown field (known: {', '.join(HTML_FIELDS)})", f"html.fields.{name}")
        if not isinstance(selector, str) or not selector.strip():
            raise fail(f"must be a selector string, not {selector!r}", f"html.fields.{name}")
    if "title" not in fields:
        raise fail("missing: every record needs a title selector", "html.fields.title")
    from harvesters.selectors import SelectorError, compile_selector

    for name, selector in [("items", raw["items"]), ("next", raw.get("next")),
                           *((f"fields.{k}", v) for k, v in fields.items())]:
        if selector is None:
            continue
        try:
            compile_selector(selector)
        except SelectorError as exc:
            raise fail(str(exc), f"html.{name}") from None
    return HtmlRules(items=raw["items"].strip(), next=(raw.get("next") or "").strip() or None,
                     start=tuple(start), fields={k: v.strip() for k, v in fields.items()})


def _is_http_url(value: str) -> bool:
    value = value.strip()
    if any(c.isspace() or not c.isprintable() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # raises ValueError for a port out of range
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _is_contact(value: str) -> bool:
    return _is_http_url(value) or bool(re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", value))


def country_name(code: str) -> str:
    """The country's name in English (pycountry's common name where it has one)."""
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)

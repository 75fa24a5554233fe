"""oerhub.registry: a bad registry is refused with a message naming file, source and field.

Every case writes a registry as TOML text to tmp_path and loads it with `load_config`, the
function the CLI calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oerhub.errors import ConfigError
from oerhub.registry import (
    DEFAULT_CONFIG,
    DEFAULT_CONTACT,
    DEFAULT_DB,
    config_path,
    db_path,
    load_config,
)

GOOD: dict[str, Any] = {
    "id": "by-bsu",
    "name": "Electronic Library of BSU",
    "country": "BY",
    "protocol": "oai-pmh",
    "url": "https://elib.bsu.by/oai/request",
}
DROP = object()  # a field value meaning "leave the key out"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def source(**fields: Any) -> str:
    """A [[sources]] table: GOOD with `fields` changed (DROP removes a key)."""
    merged = {**GOOD, **fields}
    body = "".join(f"{key} = {toml_value(value)}\n"
                   for key, value in merged.items() if value is not DROP)
    return "[[sources]]\n" + body


def harvest(**settings: Any) -> str:
    return "[harvest]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items()) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


# (registry text, source named in the message or None, field named or None, part of the message)
BAD: dict[str, tuple[str, str | None, str | None, str]] = {
    "missing id": (source(id=DROP), "#1", "id", "missing required field"),
    "missing id, second source": (source() + source(id=DROP), "#2", "id", "missing required field"),
    "missing name": (source(name=DROP), "by-bsu", "name", "missing required field"),
    "missing country": (source(country=DROP), "by-bsu", "country", "missing required field"),
    "missing protocol": (source(protocol=DROP), "by-bsu", "protocol", "missing required field"),
    "missing url": (source(url=DROP), "by-bsu", "url", "missing required field"),
    "empty name": (source(name="  "), "by-bsu", "name", "non-empty string"),
    "id not a string": (source(id=7), "#1", "id", "non-empty string"),
    "id not a slug": (source(id="BY BSU"), "BY BSU", "id", "slug"),
    "country XX": (source(country="XX"), "by-bsu", "country", "not an ISO 3166-1 alpha-2"),
    "country Russia": (source(country="Russia"), "by-bsu", "country", "not an ISO 3166-1 alpha-2"),
    "country SU": (source(country="SU"), "by-bsu", "country", "not an ISO 3166-1 alpha-2"),
    "duplicate id": (source() + source(name="Another"), "by-bsu", "id", "duplicate id"),
    "url without scheme": (source(url="elib.bsu.by/oai"), "by-bsu", "url", "not an http(s) URL"),
    "url ftp": (source(url="ftp://x/oai"), "by-bsu", "url", "not an http(s) URL"),
    "url without host": (source(url="http://"), "by-bsu", "url", "not an http(s) URL"),
    "url not a url": (source(url="not a url"), "by-bsu", "url", "not an http(s) URL"),
    "homepage not a url": (source(homepage="elib.bsu.by"), "by-bsu", "homepage",
                           "not an http(s) URL"),
    "unknown protocol": (source(protocol="gopher"), "by-bsu", "protocol", "unknown protocol"),
    "web field on oai": (source(include=["x"]), "by-bsu", "include", "only web protocols"),
    "json-api without adapter": (source(protocol="json-api"), "by-bsu", "adapter", "needs an adapter"),
    "html without rules": (source(protocol="html"), "by-bsu", "html", "needs a [sources.html] table"),
    "bad include regex": (source(protocol="sitemap", include=["("]), "by-bsu", "include", "not a regular expression"),
    "unknown field": (source(metadata_prefx="oai_dc"), "by-bsu", "metadata_prefx", "unknown field"),
    "sets a string": (source(sets="abc"), "by-bsu", "sets", "must be a list of set specs"),
    "sets with an empty spec": (source(sets=["a", ""]), "by-bsu", "sets", "non-empty strings"),
    "enabled a string": (source(enabled="yes"), "by-bsu", "enabled", "must be true or false"),
    "metadata_prefix empty": (source(metadata_prefix=" "), "by-bsu", "metadata_prefix", "empty"),
    "bad confidence": (source(confidence="certain"), "by-bsu", "confidence",
                       "one of high, medium, low"),
    "latitude too big": (source(latitude=91.5), "by-bsu", "latitude", "between -90 and 90"),
    "latitude too small": (source(latitude=-90.01), "by-bsu", "latitude", "between -90 and 90"),
    "latitude a bool": (source(latitude=True), "by-bsu", "latitude", "must be a number"),
    "longitude out of range": (source(longitude=181), "by-bsu", "longitude",
                               "between -180 and 180"),
    "unknown top-level key": ('title = "my registry"\n' + source(), None, None,
                              "unknown top-level key"),
    "sources not an array": ('sources = "by-bsu"\n', None, None, "array of tables"),
    "harvest timeout 0": (harvest(timeout=0) + source(), None, "harvest.timeout", "more than 0"),
    "harvest delay -1": (harvest(delay=-1) + source(), None, "harvest.delay",
                         "must not be negative"),
    "harvest contact me": (harvest(contact="me") + source(), None, "harvest.contact",
                           "http(s) URL or a mailto:"),
    "harvest timeout a string": (harvest(timeout="60") + source(), None, "harvest.timeout",
                                 "seconds, a number"),
    "harvest unknown setting": (harvest(user_agent="x") + source(), None, "harvest.user_agent",
                                "unknown setting"),
}


@pytest.mark.parametrize("text, where, field, message", BAD.values(), ids=BAD.keys())
def test_bad_registry_names_file_source_and_field(tmp_path: Path, text: str, where: str | None,
                                                  field: str | None, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    shown = str(error)
    assert error.path == str(path)
    assert shown.startswith(f"{path}: ")
    assert error.source == where
    if where is not None:
        assert f"source {where!r}" in shown
    assert error.field == field
    if field is not None:
        assert f"field {field!r}" in shown
    assert message in shown


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, source() + 'url = "https://elib.bsu.by/oai/request\n')  # unclosed string
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "sources.toml"
    with pytest.raises(ConfigError, match="file not found") as caught:
        load_config(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


# -- good registries --------------------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, source()))
    [only] = config.sources
    assert (only.id, only.name, only.country, only.protocol, only.url) == tuple(GOOD.values())
    assert only.metadata_prefix == "oai_dc"
    assert only.sets == ()
    assert only.enabled is True
    assert (only.evidence, only.languages, only.note, only.confidence) == ((), (), None, None)
    assert config.settings.contact == DEFAULT_CONTACT
    assert config.settings.timeout == 60
    assert config.settings.delay is None  # 0 for OAI-PMH, 1 s for web protocols
    assert config.enabled == config.sources


def test_empty_registry_has_no_sources(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).sources == ()


@pytest.mark.parametrize("spelling", ["by", "By", " BY "])
def test_country_case_and_spaces_are_forgiven(tmp_path: Path, spelling: str) -> None:
    assert load_config(write(tmp_path, source(country=spelling))).sources[0].country == "BY"


def test_protocol_case_is_forgiven(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, source(protocol="OAI-PMH"))).sources[0].protocol == "oai-pmh"


def test_every_optional_field(tmp_path: Path) -> None:
    text = source(metadata_prefix="oai_etdms", sets=["com_1", "col_2"], enabled=False,
                  platform="dspace", institution="Belarusian State University",
                  homepage="https://elib.bsu.by/", evidence=["somewhere@abc"], confidence="high",
                  note="Кириллица \"quoted\" and a back\\slash", languages=["be", "ru"],
                  latitude=53.9, longitude=27)
    only = load_config(write(tmp_path, text)).sources[0]
    assert only.metadata_prefix == "oai_etdms"
    assert only.sets == ("com_1", "col_2")
    assert only.enabled is False
    assert (only.platform, only.institution, only.homepage) == (
        "dspace", "Belarusian State University", "https://elib.bsu.by/")
    assert only.evidence == ("somewhere@abc",)
    assert only.languages == ("be", "ru")
    assert only.note == 'Кириллица "quoted" and a back\\slash'
    assert (only.latitude, only.longitude) == (53.9, 27.0)
    assert isinstance(only.longitude, float)


def test_disabled_sources_are_not_enabled(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, source() + source(id="by-bspu", enabled=False)))
    assert [s.id for s in config.enabled] == ["by-bsu"]
    assert config.get("by-bspu").enabled is False


def test_get_unknown_id_is_a_config_error(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, source()))
    with pytest.raises(ConfigError, match="no source with id 'by-bsy'.*by-bsu"):
        config.get("by-bsy")


@pytest.mark.parametrize("contact", ["https://example.org/oerhub", "mailto:harvest@example.org"])
def test_harvest_settings(tmp_path: Path, contact: str) -> None:
    config = load_config(write(tmp_path, harvest(contact=contact, timeout=30, delay=0) + source()))
    assert config.settings.contact == contact
    assert config.settings.timeout == 30.0 and isinstance(config.settings.timeout, float)
    assert config.settings.delay == 0.0 and isinstance(config.settings.delay, float)


# -- which file --------------------------------------------------------------------------------


def test_config_path_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OERHUB_CONFIG", raising=False)
    assert config_path() == DEFAULT_CONFIG == Path("config/sources.toml")


def test_config_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OERHUB_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(None) == tmp_path / "env.toml"


def test_config_path_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("OERHUB_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(tmp_path / "option.toml") == tmp_path / "option.toml"
    assert config_path(str(tmp_path / "option.toml")) == tmp_path / "option.toml"


def test_load_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, source())
    monkeypatch.setenv("OERHUB_CONFIG", str(path))
    config = load_config()
    assert config.path == path
    assert [s.id for s in config.sources] == ["by-bsu"]


def test_load_config_explicit_path_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OERHUB_CONFIG", str(tmp_path / "missing.toml"))
    path = write(tmp_path, source())
    assert load_config(path).path == path


def test_load_config_missing_env_file_names_it(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("OERHUB_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml"):
        load_config()


def test_db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OERHUB_DB", raising=False)
    assert db_path() == DEFAULT_DB == Path("data/oerhub.db")
    monkeypatch.setenv("OERHUB_DB", str(tmp_path / "env.db"))
    assert db_path() == tmp_path / "env.db"
    assert db_path(tmp_path / "option.db") == tmp_path / "option.db"


# -- values that slip past naive checks --------------------------------------------------------


@pytest.mark.parametrize("setting",
                         ["timeout = nan", "timeout = inf", "delay = nan", "delay = inf"])
def test_harvest_numbers_must_be_finite(tmp_path: Path, setting: str) -> None:
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, f"[harvest]\n{setting}\n"))


@pytest.mark.parametrize("url", ["https://elib.bsu.by/oai\n/request", "https://elib.bsu.by/o\tai"])
def test_url_with_control_characters_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, source(url=url)))


def test_contact_with_trailing_newline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, harvest(contact="mailto:me@example.org\n") + source()))

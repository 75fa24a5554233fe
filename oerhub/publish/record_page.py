"""The record page made for reuse (/oerhub/records/<id>): what its template cannot do safely
in Jinja, as a Datasette plugin of `oerhub serve` (and of a snapshot served with oerhub
installed: config/plugins/oerhub_language.py registers it too).

The template (config/templates/row-oerhub-records.html) gets `oerhub_record(row, provider)`,
a `RecordView` with the record's lists parsed, its link checked (only http(s) URLs become
links: a `javascript:` URL from a hostile source stays text), a plain citation, a BibTeX
entry whose fields a hostile title cannot leave, and schema.org JSON-LD that cannot close its
`<script>` element. Harvested text is never marked safe: only the JSON-LD, which is our own
encoder's output with `<`, `>` and `&` escaped, is.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date
from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup

from oerhub.publish.names import N_, Names, babel_locale
from oerhub.publish.site_i18n import SOURCE_LANGUAGE, interface, request_language

PLUGIN_NAME = "oerhub-record"
LEAD_CHARS = 300  # a longer description shows its start, the whole under "Whole description"
MAX_CITED_CREATORS = 6  # then "et al."
# Resource types (data/vocab/resource_types.toml) cited as a book or an article; the rest @misc.
BIBTEX_TYPES = {"book": "book", "textbook": "book", "article": "article"}
ET_AL = N_("et al.")
NO_DATE = N_("n.d.")
_LATEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
          "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_RE = re.compile("[" + re.escape("".join(_LATEX)) + "]")
_DOI = re.compile(r"(?:doi:\s*|doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})(?:-(\d\d))?(?:-(\d\d))?")


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


def web_url(value: str | None) -> str | None:
    """`value` if it is an http(s) URL with a host, else None (never a link to script)."""
    text = (value or "").strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def json_list(value: Any) -> list[str]:
    """A JSON array column (subjects, creators…) as its non-empty strings; [] when broken."""
    if isinstance(value, list):
        items = value
    else:
        try:
            items = json.loads(value) if value else []
        except (TypeError, ValueError):
            return []
    if not isinstance(items, list):
        return []
    return [str(item).strip() for item in items
            if isinstance(item, str | int | float) and str(item).strip()]


def script_json(data: Any) -> Markup:
    """JSON for a `<script>` element: `<`, `>` and `&` escaped, so `</script>` in a harvested
    title is inert, and the line separators JavaScript once refused."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - our encoder's output, escaped above


def latex(text: str) -> str:
    """A harvested value inside a BibTeX field: LaTeX's special characters written as
    commands (braces too, as \\textbraceleft{}: every brace of the field stays balanced, so the
    value cannot close its field), whitespace folded to one line."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], " ".join(text.split()))


def bibtex_url(url: str) -> str:
    """A URL or DOI for a verbatim BibTeX field: what could close the field percent-encoded."""
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def bibtex_name(name: str) -> str:
    """One creator: "Surname, Given" as BibTeX reads it; any other form ("Иваненко О. П.", an
    institution, a name with " and ") in braces, so that it is printed as written."""
    escaped = latex(name)
    if "," in name and " and " not in f" {name.lower()} ":
        return escaped
    return "{" + escaped + "}"


def _sentence(text: str) -> str:
    """`text` ending as a sentence ends (no second full stop after "?" or "…")."""
    text = text.strip()
    return text if text[-1:] in ".?!…" else text + "."


def _lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The start of a long description, cut at a word, for the first screen."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:—–-")
    return cut + "…"


@dataclass
class RecordView:
    """One record as its page shows it, in one interface language."""

    row: Mapping[str, Any]
    provider: str | None
    canonical: str
    names: Names
    gettext: Callable[[str], str]
    code: str = SOURCE_LANGUAGE
    provider_url: str | None = None
    lists: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for column in ("subjects", "creators", "identifiers", "sets", "education_level"):
            self.lists[column] = json_list(self.row.get(column))

    @property
    def title(self) -> str:
        return " ".join(str(self.row.get("title") or "").split())

    @property
    def link(self) -> str | None:
        """The resource's URL when it may be a link; None for no URL or a hostile one."""
        return web_url(self.row.get("url"))

    @property
    def link_host(self) -> str:
        return (urlsplit(self.link).hostname or "") if self.link else ""

    @property
    def licence_link(self) -> str | None:
        return web_url(self.row.get("license_url"))

    @cached_property
    def paragraphs(self) -> list[str]:
        """The description's paragraphs (blank lines, or line breaks, part them)."""
        text = str(self.row.get("description") or "").replace("\r\n", "\n").strip()
        parts = re.split(r"\n\s*\n", text) if "\n\n" in text else text.split("\n")
        return [" ".join(part.split()) for part in parts if part.strip()]

    @property
    def lead(self) -> str:
        return _lead(" ".join(self.paragraphs))

    @property
    def long_description(self) -> bool:
        return len(" ".join(self.paragraphs)) > LEAD_CHARS

    @property
    def year(self) -> str | None:
        found = _YEAR.match(str(self.row.get("date") or ""))
        return found.group(1) if found else None

    def when(self, value: Any) -> str:
        """A stored date ("2024", "2024-03", "2024-03-01T…Z") as the reader writes dates."""
        found = _YEAR.match(str(value or ""))
        if not found:
            return str(value or "")
        year, month, day = found.groups()
        if not month:
            return year
        try:
            when = date(int(year), int(month), int(day or 1))
        except ValueError:
            return str(value)
        locale = babel_locale(self.code)
        return format_date(when, "LLLL y" if not day else "long", locale=locale)

    @property
    def withdrawn_on(self) -> str:
        return self.when(self.row.get("datestamp") or self.row.get("last_changed"))

    @property
    def doi(self) -> str | None:
        for identifier in self.lists["identifiers"]:
            found = _DOI.search(identifier)
            if found and ("doi" in identifier.lower() or identifier.startswith("10.")):
                return found.group(1).rstrip(".,;")
        return None

    @property
    def cited_url(self) -> str:
        """What a citation points to: the resource, or this page when it has no web link."""
        return self.link or self.canonical

    @property
    def cited_publisher(self) -> str:
        return " ".join(str(self.row.get("publisher") or self.provider or "").split())

    @property
    def citation(self) -> str:
        """A plain citation (creators, year, title, publisher or provider, URL)."""
        creators = self.lists["creators"]
        year = f"({self.year or self.gettext(NO_DATE)})"
        title = self.title or self.gettext("Untitled")
        if creators:
            separator = "; " if any("," in name for name in creators) else ", "
            names = separator.join(creators[:MAX_CITED_CREATORS])
            if len(creators) > MAX_CITED_CREATORS:
                names += f" {self.gettext(ET_AL)}"
            parts = [f"{names} {year}.", _sentence(title)]
        else:  # the title takes the authors' place
            parts = [f"{_sentence(title)} {year}."]
        if self.cited_publisher:
            parts.append(_sentence(self.cited_publisher))
        parts.append(self.cited_url)
        return " ".join(parts)

    @property
    def bibtex_key(self) -> str:
        return f"oerhub{int(self.row['id'])}"

    @property
    def bibtex(self) -> str:
        """A BibTeX entry: @book, @article or @misc by resource type; biblatex's fields."""
        kind = BIBTEX_TYPES.get(str(self.row.get("resource_type") or ""), "misc")
        fields: list[tuple[str, str]] = []
        if self.lists["creators"]:
            fields.append(("author", " and ".join(bibtex_name(n)
                                                  for n in self.lists["creators"])))
        fields.append(("title", "{" + latex(self.title or self.gettext("Untitled")) + "}"))
        if self.year:
            fields.append(("year", self.year))
        if self.cited_publisher:
            fields.append(("publisher", latex(self.cited_publisher)))
        if self.doi:
            fields.append(("doi", bibtex_url(self.doi)))
        fields.append(("url", bibtex_url(self.cited_url)))
        language = self.row.get("language")
        if language:
            fields.append(("language", latex(Names("en").language(language).lower())))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@{kind}{{{self.bibtex_key},\n{body}\n}}"

    @property
    def json_ld(self) -> Markup:
        """schema.org LearningResource: what a search engine or an OER aggregator reads."""
        row = self.row
        data: dict[str, Any] = {"@context": "https://schema.org",
                                "@type": ["LearningResource", "CreativeWork"],
                                "@id": self.canonical, "name": self.title}
        if self.paragraphs:
            data["description"] = "\n\n".join(self.paragraphs)
        if self.link:
            data["url"] = self.link
        data["mainEntityOfPage"] = self.canonical
        if row.get("language"):
            data["inLanguage"] = row["language"]
        licence = self.licence_link or _spdx_url(row.get("license"))
        if licence:
            data["license"] = licence
        if self.lists["education_level"]:
            data["educationalLevel"] = self.lists["education_level"]
        if row.get("resource_type"):
            data["learningResourceType"] = Names("en").type(row["resource_type"])
        if self.lists["subjects"]:
            data["keywords"] = self.lists["subjects"]
        if self.lists["creators"]:
            data["author"] = [{"@type": "Person", "name": n} for n in self.lists["creators"]]
        if row.get("publisher"):
            data["publisher"] = {"@type": "Organization", "name": row["publisher"]}
        if self.provider:
            data["provider"] = {"@type": "Organization", "name": self.provider,
                                **({"url": self.provider_url} if self.provider_url else {})}
        if self.year:
            data["datePublished"] = str(row.get("date"))[:10]
        if self.doi:
            data["identifier"] = f"https://doi.org/{self.doi}"
        return script_json(data)


def _spdx_url(spdx: str | None) -> str | None:
    """The SPDX list's page of a licence id (LicenseRef- ids are ours: no page)."""
    if not spdx or spdx.startswith("LicenseRef-") or not re.fullmatch(r"[A-Za-z0-9.+-]+", spdx):
        return None
    return f"https://spdx.org/licenses/{spdx}.html"


def record_view(row: Mapping[str, Any], provider: str | None, canonical: str,
                code: str = SOURCE_LANGUAGE, provider_url: str | None = None) -> RecordView:
    """The record page's view of one `records` row, in interface language `code`."""
    ui = interface(code)
    return RecordView(dict(row), provider, canonical, ui.names, ui.gettext, code,
                      web_url(provider_url))


@hookimpl
def extra_template_vars(view_name: str, table: str | None, request: Any,
                        datasette: Any) -> dict[str, Any]:
    """`oerhub_record(row, provider, homepage)` and `oerhub_path(value)` on record pages."""
    if view_name != "row" or table != "records" or request is None:
        return {}
    code = request_language(request)

    def make(row: Mapping[str, Any], provider: str | None = None,
             provider_url: str | None = None) -> RecordView:
        database = request.url_vars.get("database") or "oerhub"
        path = datasette.urls.row(database, "records", tilde_encode(str(row["id"])))
        return record_view(row, provider, datasette.absolute_url(request, path), code,
                           provider_url)

    return {"oerhub_record": make, "oerhub_path": lambda value: tilde_encode(str(value))}

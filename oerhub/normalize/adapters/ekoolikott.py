"""e-Koolikott REST search (`https://e-koolikott.ee/rest/search?q=&start=S&limit=L`), EE.

Shapes read from the portal's source (hariduspilv/koolikott: SearchResource, SearchResult,
Material, ReducedMaterial, LearningObject and their Jackson serialisers). A search answer is
`{"items": [...], "totalResults": N, "start": S}`. An item carries its Java class in `type`
(".Material", ".ReducedMaterial", ".Portfolio", ".ReducedPortfolio") and:
- `titles` / `descriptions`: lists of language strings `{"language": "est", "text": "..."}`;
- `language`: an ISO 639-2 code ("est", "rus", "eng");
- `licenseType`: `{"id", "name"}` with names such as "CCBY", "CCBYSA", "CCBYNCND" or
  "allRightsReserved". The names carry no Creative Commons version, so the licence stays
  unmapped (the raw name is kept) rather than guessed;
- `resourceTypes`: `[{"id", "name": "TEXTBOOK"}]`, LOM-like upper-case names;
- `taxons`: `[{"id", "level": ".Subject", "name": "..."}]`; `targetGroups`: ["GRADE5", ...];
- `tags` (plain strings), `authors` `[{"name", "surname"}]`, `publishers` `[{"name"}]`;
- `added` and `updated` (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`), `issueDate` `{"day", "month",
  "year"}`, `source` (the material's own address), `paid`.
The reduced shapes of newer releases leave some of these out; what is there is mapped. A
material's page is `https://e-koolikott.ee/oppematerjal/{id}`, a portfolio's `/kogumik/{id}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize.adapters import OFFSET, Adapter, Paging
from oerhub.normalize.fields import map_fields, values

HOME = "https://e-koolikott.ee"

# Resource type names the shared vocabulary cannot read as they are; the rest (TEXTBOOK,
# VIDEO, SIMULATION, LESSONPLAN, ...) it reads directly. Generic names (TEXT, OTHER, WEBSITE)
# say nothing and are left unmapped.
RESOURCE_TYPES = {
    "DRILLANDPRACTICE": "exercise",
    "EDUCATIONALGAME": "educational game",
    "DATA": "dataset",
    "APPLICATION": "software",
}

# targetGroups (ee.hm.dop.model.TargetGroupEnum) and educational-context taxons, spelt the
# Estonian way so that the education-level vocabulary reads them (grade 1-6 is ISCED 1 there).
EDUCATION = {
    "ZERO_FIVE": "alusharidus",
    "SIX_SEVEN": "alusharidus",
    **{f"GRADE{n}": f"{n}. klass" for n in range(1, 10)},
    "GYMNASIUM": "gümnaasium",
    "PRESCHOOLEDUCATION": "alusharidus",
    "BASICEDUCATION": "põhiharidus",
    "SECONDARYEDUCATION": "gümnaasium",
    "VOCATIONALEDUCATION": "kutseharidus",
}
CONTEXT_LEVEL = ".EducationalContext"


def is_portfolio(item: Mapping[str, Any]) -> bool:
    return "portfolio" in str(item.get("type") or "").lower()


def item_url(item: Mapping[str, Any]) -> str | None:
    """The material's (or portfolio's) page on e-koolikott.ee."""
    item_id = item.get("id")
    if item_id in (None, ""):
        return None
    return f"{HOME}/{'kogumik' if is_portfolio(item) else 'oppematerjal'}/{item_id}"


def language_string(strings: Any, language: Any) -> str | None:
    """The text in the material's language, else the first text given."""
    if not isinstance(strings, list):
        return None
    texts = [(s.get("language"), s.get("text")) for s in strings
             if isinstance(s, Mapping) and isinstance(s.get("text"), str) and s["text"].strip()]
    for lang, text in texts:
        if language and lang == language:
            return text
    return texts[0][1] if texts else None


def names(objects: Any, *keys: str) -> list[str]:
    """The names of a list of {"name": ...} objects (keys joined: name + surname)."""
    found = []
    for obj in objects if isinstance(objects, list) else []:
        if isinstance(obj, Mapping):
            name = " ".join(v for key in keys for v in values(obj.get(key)))
        else:
            name = " ".join(values(obj))
        if name:
            found.append(name)
    return found


def issue_date(item: Mapping[str, Any]) -> str | None:
    """`issueDate` as YYYY, YYYY-MM or YYYY-MM-DD, else the date it was added."""
    issued = item.get("issueDate")
    if isinstance(issued, Mapping) and isinstance(issued.get("year"), int):
        parts = [f"{issued['year']:04d}"]
        for key in ("month", "day"):
            if not isinstance(issued.get(key), int):
                break
            parts.append(f"{issued[key]:02d}")
        return "-".join(parts)
    return item.get("added") if isinstance(item.get("added"), str) else None


def raw_fields(item: Mapping[str, Any]) -> dict[str, list[str]]:
    """The portal's own spellings of type, level and licence (kept as the record's raw)."""
    taxons = [t for t in item.get("taxons") or [] if isinstance(t, Mapping)]
    licence = item.get("licenseType")
    return {
        "resource_type": names(item.get("resourceTypes"), "name"),
        "education_level": [*values(item.get("targetGroups")),
                            *(str(t["name"]) for t in taxons
                              if t.get("level") == CONTEXT_LEVEL and t.get("name"))],
        "license": names([licence], "name") if isinstance(licence, Mapping) else values(licence),
    }


def fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of one material or portfolio (see map_fields)."""
    language = item.get("language")
    raw = raw_fields(item)
    taxons = [t for t in item.get("taxons") or [] if isinstance(t, Mapping)]
    types = [RESOURCE_TYPES.get(t, t) for t in raw["resource_type"]]
    return {
        "title": language_string(item.get("titles"), language) or item.get("title"),
        "description": language_string(item.get("descriptions"), language) or item.get("summary"),
        "url": item_url(item),
        "language": language,
        "license": raw["license"],
        "resource_type": types + (["collection"] if is_portfolio(item) else []),
        "education_level": [EDUCATION.get(v, v) for v in raw["education_level"]],
        "subjects": [*(str(t["name"]) for t in taxons
                       if t.get("level") != CONTEXT_LEVEL and t.get("name")),
                     *names(item.get("tags"), "name"), *names(item.get("keyTags"), "name")],
        "creators": names(item.get("authors"), "name", "surname"),
        "publisher": names(item.get("publishers"), "name"),
        "date": issue_date(item),
        "identifiers": [item_url(item), item.get("source")],
        "access": "restricted" if item.get("paid") is True else None,
    }


def map_into(item: Any, record: Record) -> None:
    if not isinstance(item, Mapping):
        return
    map_fields(fields(item), record)
    # Keep the portal's spellings as the raw values, not our translations of them.
    raw = raw_fields(item)
    record.resource_type_raw = "; ".join(raw["resource_type"]) or None
    record.education_level_raw = "; ".join(raw["education_level"]) or None


ADAPTER = Adapter(
    name="ekoolikott",
    platform="e-Koolikott search API",
    paging=Paging(OFFSET, total=("totalResults",), param="start", first=0,
                  size_param="limit", size=100),
    items=("items",),
    identifier=("id",),
    modified=("updated", "added"),
    item_url=item_url,
    map_into=map_into,
    portals=("e-koolikott.ee",),
)

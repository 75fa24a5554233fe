"""Names, not codes: what the site shows for a language, country, licence, resource type or
ISCED level, in the interface language.

Languages and countries come from CLDR through Babel, so every locale has them without a
translator; licence, type and level names are message ids of the site's gettext catalogues
(oerhub/publish/locales/), so that a translator adds a language by adding a catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from babel import Locale, UnknownLocaleError

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a message id for extraction (pybabel) where it is translated later."""
    return message


# data/vocab/resource_types.toml's terms
RESOURCE_TYPES: dict[str, str] = {
    "textbook": N_("Textbook"), "course": N_("Course"), "lecture": N_("Lecture"),
    "guide": N_("Methodological guide"), "exercise": N_("Exercises"),
    "assessment": N_("Assessment"), "lesson": N_("Lesson"), "presentation": N_("Presentation"),
    "video": N_("Video"), "audio": N_("Audio"), "image": N_("Image"),
    "interactive": N_("Interactive resource"), "software": N_("Software"),
    "dataset": N_("Dataset"), "thesis": N_("Thesis"), "article": N_("Article"),
    "conference_paper": N_("Conference paper"), "book_part": N_("Book chapter"),
    "book": N_("Book"), "report": N_("Report"), "preprint": N_("Preprint"),
    "review": N_("Review"), "periodical": N_("Periodical"),
    "learning_object": N_("Learning object"), "collection": N_("Collection"),
}
# ISCED 2011, with the grades the region's schools give them (data/vocab/education_levels.toml)
ISCED_LEVELS: dict[str, str] = {
    "ISCED 0": N_("Early childhood (ISCED 0, preschool)"),
    "ISCED 1": N_("Primary (ISCED 1, grades 1–4)"),
    "ISCED 2": N_("Lower secondary (ISCED 2, grades 5–9)"),
    "ISCED 3": N_("Upper secondary (ISCED 3, grades 10–11)"),
    "ISCED 4": N_("Post-secondary vocational (ISCED 4)"),
    "ISCED 5": N_("Short-cycle tertiary (ISCED 5, college)"),
    "ISCED 6": N_("Bachelor's (ISCED 6)"),
    "ISCED 7": N_("Master's or specialist (ISCED 7)"),
    "ISCED 8": N_("Doctoral (ISCED 8)"),
}
# What a Creative Commons licence's elements let a reader do, in one sentence.
CC_SENTENCES: dict[str, str] = {
    "BY": N_("You may copy, adapt and share it, also commercially, if you credit the author."),
    "BY-SA": N_("You may copy, adapt and share it, also commercially, if you credit the author "
                "and share adaptations under the same licence."),
    "BY-ND": N_("You may copy and share it unchanged, also commercially, if you credit the "
                "author; adaptations may not be shared."),
    "BY-NC": N_("You may copy, adapt and share it for non-commercial purposes if you credit "
                "the author."),
    "BY-NC-SA": N_("You may copy, adapt and share it for non-commercial purposes if you credit "
                   "the author and share adaptations under the same licence."),
    "BY-NC-ND": N_("You may copy and share it unchanged for non-commercial purposes if you "
                   "credit the author."),
}
OTHER_SENTENCES: dict[str, str] = {
    "public-domain": N_("It is in the public domain: anyone may use it for any purpose, "
                        "without asking."),
    "software": N_("A free software or documentation licence: you may use, study, change and "
                   "share it under its terms."),
    "none": N_("No licence is stated: ask the provider before reusing it."),
}
NO_LICENCE = N_("No licence stated")
VERSION_UNKNOWN = N_("version not stated")

_CC = re.compile(r"^(?:LicenseRef-)?CC-(BY(?:-NC)?(?:-SA|-ND)?)(?:-(\d\.\d))?(?:-([A-Z]+))?$")


@cache
def babel_locale(code: str) -> Locale:
    """Babel's locale for an interface language (English for one it does not know)."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


class Names:
    """Display names in one interface language; `gettext` is that language's catalogue."""

    def __init__(self, locale: str, gettext: Gettext = str) -> None:
        self.locale = locale
        self._ = gettext

    def language(self, code: str | None) -> str:
        """`kk` → "Kazakh" / "Казахский"; an unknown code is shown as it is."""
        if not code:
            return ""
        name = babel_locale(self.locale).languages.get(code)
        return _capitalised(name) if name else code

    def native_language(self, code: str) -> str:
        """The language's own name for itself: what a language switcher shows."""
        return _capitalised(babel_locale(code).get_display_name() or code)

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        return babel_locale(self.locale).territories.get(code.upper()) or code

    def type(self, term: str | None) -> str:
        if not term:
            return ""
        return self._(RESOURCE_TYPES[term]) if term in RESOURCE_TYPES else term

    def level(self, value: str | None) -> str:
        """"ISCED 1" → "Primary (ISCED 1, grades 1–4)" in the interface language."""
        if not value:
            return ""
        return self._(ISCED_LEVELS[value]) if value in ISCED_LEVELS else value

    def licence(self, spdx: str | None) -> str:
        """A licence as people write it: CC-BY-NC-SA-4.0 → "CC BY-NC-SA 4.0"."""
        if not spdx:
            return self._(NO_LICENCE)
        if spdx == "LicenseRef-PublicDomain":
            return self._("Public domain")
        if spdx == "CC0-1.0":
            return "CC0 1.0"
        if spdx == "CC-PDM-1.0":
            return self._("Public Domain Mark 1.0")
        match = _CC.match(spdx)
        if match is None:
            return spdx
        elements, version, port = match.groups()
        label = f"CC {elements} {version or ''}".strip()
        if port:
            label += f" {port}"
        if version is None:
            label += f" ({self._(VERSION_UNKNOWN)})"
        return label

    def licence_sentence(self, spdx: str | None) -> str:
        """What the licence lets a reader do, in one sentence."""
        if not spdx:
            return self._(OTHER_SENTENCES["none"])
        if spdx in ("LicenseRef-PublicDomain", "CC0-1.0", "CC-PDM-1.0"):
            return self._(OTHER_SENTENCES["public-domain"])
        match = _CC.match(spdx)
        if match is not None:
            return self._(CC_SENTENCES[match.group(1)])
        return self._(OTHER_SENTENCES["software"])

    def licence_elements(self, spdx: str | None) -> list[str]:
        """The CC elements (by, nc, sa, nd, zero, pd) for the badge's icons."""
        if spdx == "CC0-1.0":
            return ["zero"]
        if spdx in ("CC-PDM-1.0", "LicenseRef-PublicDomain"):
            return ["pd"]
        match = _CC.match(spdx or "")
        return match.group(1).lower().split("-") if match else []

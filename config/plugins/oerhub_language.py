"""The site's templates call `_()`, `names`, `ui_lang`…: oerhub/publish/site_i18n.py gives
them under `oerhub serve`. A published snapshot served by plain `datasette serve` or
`datasette publish` loads this directory too: with oerhub installed it registers the same
plugin, and oerhub/publish/record_page.py (the record page's citations and JSON-LD); without
it the pages render in English, with codes where names would be, and record pages without
citations.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.plugins import pm

try:
    from oerhub.publish import record_page, site_i18n
except ImportError:  # pragma: no cover - exercised by a snapshot served without oerhub
    site_i18n = record_page = None

if site_i18n is not None and record_page is not None:
    site_i18n.register()
    record_page.register()  # the record page's citations and JSON-LD (oerhub_record)
elif pm.get_plugin("oerhub-i18n") is None:  # pragma: no cover

    class _Codes:
        """Names as codes, in English."""

        def __getattr__(self, name: str) -> Any:
            return lambda value=None, *args: value or ""

    @hookimpl
    def extra_template_vars(request: Any) -> dict[str, Any]:
        def english(text: str, **values: Any) -> str:
            return text % values if values else text

        def plural(singular: str, plural_: str, n: int, **values: Any) -> str:
            return (singular if n == 1 else plural_) % {"num": n, **values}

        return {"_": english, "gettext": english, "ngettext": plural, "ui_lang": "en",
                "ui_languages": [("en", "English")], "lang_url": lambda code: "?",
                "format_number": lambda n: "" if n is None else f"{n:,}", "names": _Codes()}

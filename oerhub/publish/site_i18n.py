"""The site in the reader's language: a Datasette plugin of `oerhub serve`.

The interface language is, in this order, `?lang=xx` in the URL (which also sets a cookie, so
that the choice sticks), the `oerhub_lang` cookie, the browser's Accept-Language, English.
Every template gets:

- `_("text", name=value)`: the text in that language (gettext, %(name)s formatting), and
  `ngettext(singular, plural, n, …)`;
- `ui_lang` (for `<html lang>`), `ui_languages` [(code, its own name)], `lang_url(code)`
  (this page in another language), `format_number(n)`;
- `names`: languages, countries, licences, resource types and ISCED levels as people say
  them (oerhub/publish/names.py).

Catalogues are `locales/<code>/LC_MESSAGES/site.po` beside this module, read once per
process: a translator adds a language by adding a catalogue (README, "Translating the site").
"""

from __future__ import annotations

import gettext
import io
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from datasette import hookimpl

from oerhub.publish.names import Names, babel_locale

PLUGIN_NAME = "oerhub-i18n"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "site"
SOURCE_LANGUAGE = "en"  # the message ids
COOKIE = "oerhub_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
PARAMETER = "lang"
SCOPE_KEY = "oerhub.lang"  # the language `?lang=` chose, for the pages (see LanguageCookie)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


@cache
def available() -> tuple[str, ...]:
    """English and every language with a catalogue, in a stable order."""
    found = sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The catalogue of `code`, compiled in memory (no .mo files to keep in step)."""
    po = LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == SOURCE_LANGUAGE or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def supported(code: str | None) -> str | None:
    """`code` if the site speaks it ("ru", "RU", "ru-RU" → "ru"), else None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in available() else None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an Accept-Language header, by its q values."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:1000].split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, position, tag))
    for _, _, tag in sorted(wanted):
        code = supported(tag)
        if code:
            return code
    return None


def choose(query_string: str, cookie_header: str | None, accept_language: str | None) -> str:
    """The interface language of one request: ?lang=, the cookie, Accept-Language, English."""
    asked = dict(parse_qsl(query_string, keep_blank_values=True)).get(PARAMETER)
    return (supported(asked) or supported(_cookie(cookie_header))
            or negotiate(accept_language) or SOURCE_LANGUAGE)


def _cookie(header: str | None) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001 - a malformed cookie header is no choice, not an error
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


class Interface:
    """What the templates call for one language."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._translations = translations(code)
        self.names = Names(code, self._translations.gettext)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def format_number(self, number: float | int | None) -> str:
        return "" if number is None else format_decimal(number, locale=babel_locale(self.code))


@cache
def interface(code: str) -> Interface:
    return Interface(code)



def lang_url(path: str, query_string: str, code: str) -> str:
    """This page in language `code`: the query kept, `lang` replaced."""
    params = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True)
              if k != PARAMETER]
    return f"{path}?{urlencode([*params, (PARAMETER, code)])}"


def request_language(request: Any) -> str:
    if request is None:
        return SOURCE_LANGUAGE
    chosen = (getattr(request, "scope", None) or {}).get(SCOPE_KEY)
    if chosen:  # `?lang=`, taken out of the query by LanguageCookie
        return str(chosen)
    return choose(request.query_string, request.headers.get("cookie"),
                  request.headers.get("accept-language"))


@hookimpl
def extra_template_vars(request: Any) -> dict[str, Any]:
    return template_vars(request_language(request),
                         request.path if request is not None else "/",
                         request.query_string if request is not None else "")


@hookimpl
def startup(datasette: Any) -> None:
    """English for the pages Datasette renders without the hook above (its error pages)."""
    for name, value in template_vars(SOURCE_LANGUAGE, "/", "").items():
        datasette.jinja_env.globals.setdefault(name, value)


def template_vars(code: str, path: str, query: str) -> dict[str, Any]:
    ui = interface(code)
    return {
        "_": ui.gettext,
        "gettext": ui.gettext,
        "ngettext": ui.ngettext,
        "ui_lang": code,
        "ui_languages": [(c, ui.names.native_language(c)) for c in available()],
        "lang_url": lambda c: lang_url(path, query, c),
        "format_number": ui.format_number,
        "names": ui.names,
    }


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[App], App]:
    def wrap(app: App) -> App:
        return LanguageCookie(app)
    return wrap


class LanguageCookie:
    """`?lang=xx` sets the cookie that keeps the choice; every HTML page says its language.

    `lang` is taken out of the query the app sees (the choice goes on in the scope): Datasette
    reads every argument without `_` as a column filter, and `lang = 'uk'` empties a table.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        asked = supported(dict(parse_qsl(query, keep_blank_values=True)).get(PARAMETER))
        headers_in = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        code = choose(query, headers_in.get(b"cookie"), headers_in.get(b"accept-language"))
        raw = bytes(scope.get("query_string") or b"")
        if raw:
            kept = [part for part in raw.split(b"&")
                    if part.split(b"=", 1)[0] != PARAMETER.encode("ascii")]
            if len(kept) < len(raw.split(b"&")):
                scope = {**scope, "query_string": b"&".join(kept), SCOPE_KEY: code}

        async def send_with_language(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers.append((b"vary", b"Accept-Language, Cookie"))
                    headers.append((b"content-language", code.encode("ascii")))
                    if asked:
                        headers.append((b"set-cookie", (
                            f"{COOKIE}={asked}; Path=/; Max-Age={COOKIE_MAX_AGE}; "
                            "SameSite=Lax").encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_language)

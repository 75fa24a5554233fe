"""Sample web portals for `oerhub demo`: the four web protocols, served on 127.0.0.1.

Most school portals of the region publish no OAI-PMH, so the demo shows one portal per web
protocol beside the sample repositories: an Estonian OER portal with a sitemap and schema.org
JSON-LD, a Ukrainian MOOC platform with the Open edX course API, a Moldovan lesson portal with
nothing but HTML, and an Armenian school library with an Atom feed. One robots.txt keeps the
Moldovan drafts out, so the demo's harvest shows a robots.txt refusal too. Pages carry ETags,
so a second harvest costs 304s.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

from oerhub.demo.oai_server import _QuietHandler, _ThreadingWSGIServer

CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"

# The registry entries `oerhub demo` writes for the portals (url is a path on the site).
DEMO_WEB_SOURCES: list[dict[str, Any]] = [
    {"id": "demo-ee-web", "name": "Sample Estonian OER portal (sitemap, JSON-LD)",
     "country": "EE", "protocol": "sitemap", "path": "/ee/sitemap.xml",
     "latitude": 59.44, "longitude": 24.75},
    {"id": "demo-ua-mooc", "name": "Sample Ukrainian MOOC platform (Open edX API)",
     "country": "UA", "protocol": "json-api", "adapter": "openedx",
     "path": "/edx/api/courses/v1/courses/", "latitude": 49.84, "longitude": 24.03},
    {"id": "demo-md-lessons", "name": "Sample Moldovan lesson portal (HTML only)",
     "country": "MD", "protocol": "html", "path": "/md/lectii", "latitude": 47.01,
     "longitude": 28.86,
     "html": {"items": "ul.lectii a", "next": "a.urmatoarea",
              "fields": {"title": "h1", "description": "meta[name=description] @content",
                         "language": "//html/@lang", "license": "a[rel=license] @href",
                         "subjects": "ul.subiecte li", "education_level": "span.clasa",
                         "resource_type": "span.tip"}}},
    {"id": "demo-am-feed", "name": "Sample Armenian school library (Atom feed)",
     "country": "AM", "protocol": "feed", "path": "/am/feed.xml", "latitude": 40.18,
     "longitude": 44.51},
]

_EE_TOPICS = ["murdude liitmine", "Eesti ajalugu", "fotosüntees", "Pythagorase teoreem",
              "keemilised reaktsioonid", "inglise keele grammatika", "rakkude ehitus",
              "muusikaõpetus", "geomeetrilised kujundid", "Euroopa geograafia",
              "programmeerimise alused", "kirjandusõpetus"]
_UA_COURSES = ["Основи програмування на Python", "Історія України XX століття",
               "Математична статистика", "Українська мова для іноземців", "Фізика для всіх",
               "Цифрова грамотність вчителя", "Біологія клітини", "Основи економіки",
               "Англійська для початківців", "Хімія навколо нас", "Медіаграмотність",
               "Алгебра 9 клас"]
_MD_LESSONS = [("ro", "Matematică", "Fracții zecimale"), ("ro", "Istoria românilor",
               "Epoca lui Ștefan cel Mare"), ("ru", "Математика", "Десятичные дроби"),
               ("ro", "Biologie", "Celula vegetală"), ("ro", "Limba română", "Substantivul"),
               ("ru", "История", "Средневековая Молдова"), ("ro", "Fizică", "Legea lui Ohm"),
               ("ro", "Chimie", "Reacții chimice"), ("ru", "Физика", "Закон Ома"),
               ("ro", "Geografie", "Relieful Moldovei")]
_AM_BOOKS = [("hy", "Մաթեմատիկա 5-րդ դասարան"), ("hy", "Հայոց լեզու 3-րդ դասարան"),
             ("hy", "Հայոց պատմություն 8-րդ դասարան"), ("ru", "Математика 6 класс"),
             ("hy", "Քիմիա 9-րդ դասարան"), ("hy", "Ֆիզիկա 7-րդ դասարան"),
             ("hy", "Կենսաբանություն 10-րդ դասարան"), ("ru", "Русский язык 4 класс"),
             ("hy", "Աշխարհագրություն 6-րդ դասարան"), ("hy", "Ինֆորմատիկա 8-րդ դասարան")]

EDX_PAGE = 5  # courses per API page
MD_PAGE = 4  # lessons per list page
FEED_PAGE = 6  # entries per feed page

Page = tuple[str, bytes]  # content type, body


def build_pages(site: str) -> dict[str, Page]:
    """Every page of the sample portals, by path (with query), for a site at `site`."""
    pages: dict[str, Page] = {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /md/ciorne/\n"),
    }
    pages.update(_estonian(site))
    pages.update(_ukrainian(site))
    pages.update(_moldovan())
    pages.update(_armenian(site))
    return pages


def _estonian(site: str) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    urls = []
    for n, topic in enumerate(_EE_TOPICS, start=1):
        grade = 4 + n % 6
        node = {"@context": "https://schema.org", "@type": "LearningResource",
                "name": f"{topic[0].upper()}{topic[1:]} ({grade}. klass)",
                "description": f"Õppematerjal teemal {topic}.", "inLanguage": "et",
                "license": CC_BY_SA if n % 3 else {"@type": "CreativeWork", "url": CC_BY},
                "learningResourceType": "lesson" if n % 2 else "textbook",
                "educationalLevel": {"@type": "DefinedTerm", "name": f"{grade}. klass"},
                "teaches": [topic], "author": {"@type": "Person", "name": f"Õpetaja {n}"},
                "dateModified": f"2024-0{1 + n % 9}-1{n % 10}"}
        path = f"/ee/materjal/{n}"
        pages[path] = _html("et", node["name"], f'<script type="application/ld+json">'
                            f"{json.dumps(node, ensure_ascii=False)}</script>",
                            f"<h1>{node['name']}</h1>")
        urls.append(f"<url><loc>{site}{path}</loc><lastmod>{node['dateModified']}</lastmod></url>")
    pages["/ee/sitemap.xml"] = ("application/xml", (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls) + "</urlset>").encode("utf-8"))
    return pages


def _ukrainian(site: str) -> dict[str, Page]:
    courses = [{
        "id": f"course-v1:DemoUA+C{n:02d}+2024", "course_id": f"course-v1:DemoUA+C{n:02d}+2024",
        "name": name, "short_description": f"Відкритий онлайн-курс «{name}».",
        "org": "DemoUA", "number": f"C{n:02d}", "start": f"2024-0{1 + n % 9}-01T00:00:00Z",
        "end": None, "pacing": "self", "hidden": False, "invitation_only": False,
        "blocks_url": f"{site}/edx/api/courses/v1/blocks/?course_id=course-v1%3ADemoUA%2BC{n:02d}",
        "media": {"course_image": {"uri": f"/asset-v1:DemoUA+C{n:02d}+2024+type@asset+block@c.jpg"}},
    } for n, name in enumerate(_UA_COURSES, start=1)]
    pages: dict[str, Page] = {}
    base = "/edx/api/courses/v1/courses/"
    count = len(courses)
    last = (count + EDX_PAGE - 1) // EDX_PAGE
    for page in range(1, last + 1):
        body = {"results": courses[(page - 1) * EDX_PAGE:page * EDX_PAGE], "pagination": {
            "next": f"{site}{base}?page={page + 1}&page_size=100" if page < last else None,
            "previous": None, "count": count, "num_pages": last}}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        query = "?page_size=100" if page == 1 else f"?page={page}&page_size=100"
        pages[base + query] = ("application/json", data)
    return pages


def _moldovan() -> dict[str, Page]:
    pages: dict[str, Page] = {}
    lessons = []
    for n, (lang, subject, title) in enumerate(_MD_LESSONS, start=1):
        grade = 5 + n % 5
        path = f"/md/lectii/{n}"
        lessons.append(path)
        grade_word = "clasa a" if lang == "ro" else "класс"
        level = f"{grade_word} {grade}-a" if lang == "ro" else f"{grade} {grade_word}"
        kind = "Lecție video" if n % 2 else "Lecție"
        kind = kind if lang == "ro" else ("Видеоурок" if n % 2 else "Урок")
        pages[path] = _html(lang, f"{subject}: {title}",
                            f'<meta name="description" content="{subject}, {level}: {title}.">',
                            f"<h1>{subject}: {title}</h1><p><span class=\"clasa\">{level}</span>"
                            f' · <span class="tip">{kind}</span></p><ul class="subiecte">'
                            f"<li>{subject}</li></ul>"
                            f'<p><a rel="license" href="{CC_BY}">CC BY 4.0</a></p>')
    pages["/md/ciorne/1"] = _html("ro", "Ciornă", "", "<h1>Ciornă nepublicată</h1>")
    chunks = [lessons[i:i + MD_PAGE] for i in range(0, len(lessons), MD_PAGE)]
    for number, chunk in enumerate(chunks, start=1):
        links = "".join(f'<li><a href="{p}">Lecția {p.rsplit("/", 1)[1]}</a></li>' for p in chunk)
        if number == 1:
            links += '<li><a href="/md/ciorne/1">Ciornă</a></li>'  # robots.txt keeps it out
        more = (f'<a class="urmatoarea" href="/md/lectii?pagina={number + 1}">Următoarea</a>'
                if number < len(chunks) else "")
        path = "/md/lectii" if number == 1 else f"/md/lectii?pagina={number}"
        pages[path] = _html("ro", "Lecții", "", f'<ul class="lectii">{links}</ul>{more}')
    return pages


def _armenian(site: str) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    entries = [
        f'<entry xml:lang="{lang}"><id>urn:demo-am:book:{n}</id><title>{title}</title>'
        f'<link href="{site}/am/girq/{n}"/><link rel="license" href="{CC_BY}"/>'
        f"<updated>2024-{1 + n % 12:02d}-0{1 + n % 9}T09:00:00Z</updated>"
        "<author><name>Demo Library</name></author>"
        f"<summary>{title}</summary></entry>"
        for n, (lang, title) in enumerate(_AM_BOOKS, start=1)]
    chunks = [entries[i:i + FEED_PAGE] for i in range(0, len(entries), FEED_PAGE)]
    for number, chunk in enumerate(chunks, start=1):
        more = (f'<link rel="next" href="{site}/am/feed.xml?page={number + 1}"/>'
                if number < len(chunks) else "")
        body = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                "<title>Demo school library</title><id>urn:demo-am</id>"
                f"<updated>2024-12-01T09:00:00Z</updated>{more}{''.join(chunk)}</feed>")
        path = "/am/feed.xml" if number == 1 else f"/am/feed.xml?page={number}"
        pages[path] = ("application/atom+xml; charset=utf-8", body.encode("utf-8"))
    return pages


def _html(lang: str, title: str, head: str, body: str) -> Page:
    return ("text/html; charset=utf-8",
            (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
             f"<title>{title}</title>{head}</head><body>{body}</body></html>").encode("utf-8"))


class SampleSite:
    """The sample portals over real HTTP on 127.0.0.1, with ETags and 304s."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = make_server(host, port, self._app, server_class=_ThreadingWSGIServer,
                                  handler_class=_QuietHandler)
        self.url = f"http://{host}:{self._httpd.server_port}"
        self.pages = build_pages(self.url)
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def source_url(self, spec: dict[str, Any]) -> str:
        return self.url + spec["path"]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = environ.get("QUERY_STRING", "")
        ordered = "&".join(f"{k}={v[0]}" for k, v in sorted(parse_qs(query).items(),
                                                             key=lambda kv: kv[0]))
        path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        with self._lock:
            self.paths.append(path)
        page = self.pages.get(path) or self.pages.get(
            environ.get("PATH_INFO", "") + (f"?{ordered}" if ordered else ""))
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<html><head><title>Not found</title></head><body>Not found</body></html>"]
        content_type, body = page
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", [("ETag", etag)])
            return [b""]
        start_response("200 OK", [("Content-Type", content_type), ("ETag", etag),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def __enter__(self) -> SampleSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

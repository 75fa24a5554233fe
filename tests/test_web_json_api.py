"""`oerhub harvest` of paged JSON APIs (Open edX, Stepik, e-Koolikott) end to end, against
APIs in their real shapes on 127.0.0.1; and the adapters' mapping tables."""

from __future__ import annotations

import json

import pytest
from conftest import latest_run, query, rows_by_id, source_toml

from harvesters.json_api import same_page
from oerhub.models import Record
from oerhub.normalize.adapters import ADAPTERS, NEXT_URL, OFFSET, Paging

JSON = "application/json"
EDX = "/api/courses/v1/courses/"


# --- Open edX -----------------------------------------------------------------------------

def edx_course(site: str, org: str, number: str, name: str, **extra) -> dict:
    """A course as /api/courses/v1/courses/ lists it (CourseSerializer)."""
    course_id = f"course-v1:{org}+{number}+2024_T1"
    return {
        "blocks_url": f"{site}/api/courses/v1/blocks/?course_id="
                      + course_id.replace(":", "%3A").replace("+", "%2B"),
        "effort": "03:00", "end": "2024-12-20T00:00:00Z",
        "enrollment_start": "2024-01-10T00:00:00Z", "enrollment_end": None,
        "id": course_id, "course_id": course_id,
        "media": {"course_image": {"uri": f"/asset-v1:{org}+{number}+2024_T1+type@asset"
                                          "+block@cover.jpg"},
                  "course_video": {"uri": None},
                  "image": {"raw": f"{site}/asset-v1:{org}+{number}+2024_T1+type@asset+block"
                                   "@cover.jpg"}},
        "name": name, "number": number, "org": org,
        "short_description": f"Курс «{name}» для всіх охочих",
        "start": "2024-02-01T00:00:00Z", "start_display": "1 лютого 2024 р.",
        "start_type": "timestamp", "pacing": "self", "mobile_available": True,
        "hidden": False, "invitation_only": False, **extra,
    }


EDX_NAMES = [
    ("Prometheus", "MATH101", "Вища математика для початківців"),
    ("Prometheus", "UKR102", "Українська мова: правопис 2019"),
    ("KPI", "PHYS1", "Фізика. Механіка"),
    ("KNU", "HIST7", "Історія України"),
    ("Prometheus", "CS50", "CS50: основи програмування"),
    ("MON", "BIO9", "Біологія, 9 клас"),
    ("MON", "CHEM8", "Хімія, 8 клас"),
    ("Prometheus", "ENG1", "Англійська для IT"),
]


def edx_site(website, courses: list[dict], per_page: int = 3) -> None:
    """The list API in pages of `per_page` (Open edX's NamespacedPageNumberPagination)."""
    pages = [courses[i:i + per_page] for i in range(0, len(courses), per_page)]
    for number, items in enumerate(pages, start=1):
        query_string = "?page_size=100" if number == 1 else f"?page={number}&page_size=100"
        nxt = f"{website.url}{EDX}?page={number + 1}&page_size=100" \
            if number < len(pages) else None
        prev = f"{website.url}{EDX}?page={number - 1}&page_size=100" if number > 1 else None
        website.add(EDX + query_string, json.dumps({
            "results": items,
            "pagination": {"next": nxt, "previous": prev, "count": len(courses),
                           "num_pages": len(pages)}}, ensure_ascii=False), JSON)


def edx_source(website, source_id: str = "ua-prometheus", **extra) -> str:
    return source_toml(source_id, website.url + EDX, protocol="json-api", adapter="openedx",
                       delay=0, **extra)


def test_open_edx_courses_three_pages_then_changes(tmp_path, website, write_config,
                                                   run_oerhub):
    courses = [edx_course(website.url, *names) for names in EDX_NAMES]
    edx_site(website, courses)
    write_config(edx_source(website))

    first = run_oerhub("harvest")

    assert first.returncode == 0, first.stderr
    assert website.fetched() == [EDX + "?page_size=100", EDX + "?page=2&page_size=100",
                                 EDX + "?page=3&page_size=100"]
    db = tmp_path / "oerhub.db"
    rows = rows_by_id(db)
    assert len(rows) == 8
    math = rows["course-v1:Prometheus+MATH101+2024_T1"]
    assert math["title"] == "Вища математика для початківців"
    assert math["url"] == f"{website.url}/courses/course-v1:Prometheus+MATH101+2024_T1/about"
    assert (math["resource_type"], math["publisher"], math["format"]) == (
        "course", "Prometheus", "openedx")
    assert math["description"] == "Курс «Вища математика для початківців» для всіх охочих"
    # The course API states no language and no licence: nothing is made up.
    assert (math["language"], math["license"], math["datestamp"]) == (None, None, None)
    assert math["country"] == "UA" and math["date"].startswith("2024-02-01")
    raw = json.loads(query(db, "SELECT raw FROM raw_records JOIN records ON records.id = "
                               "record_id WHERE identifier = ?", (math["identifier"],))[0]["raw"])
    assert raw == courses[0]

    # One course renamed, one withdrawn: the count changes, so every page changes.
    courses[4] = {**courses[4], "name": "CS50: основи програмування (2024)"}
    withdrawn = courses.pop(7)
    edx_site(website, courses)
    website.reset_log()

    second = run_oerhub("harvest")

    assert second.returncode == 0, second.stderr
    assert len(website.fetched()) == 3
    rows = rows_by_id(db)
    assert rows["course-v1:Prometheus+CS50+2024_T1"]["title"] == \
        "CS50: основи програмування (2024)"
    assert rows[withdrawn["id"]]["deleted"] == 1
    run = latest_run(db)
    assert (run["status"], run["mode"], run["records_new"], run["records_updated"],
            run["records_deleted"], run["records_unchanged"]) == ("ok", "incremental", 0, 1, 1, 6)
    website.reset_log()

    third = run_oerhub("harvest")  # nothing changed: three 304s, no course read again

    assert third.returncode == 0, third.stderr
    assert website.fetched() == [] and len(website.paths()) == 4  # robots.txt + 3 pages
    run = latest_run(db)
    assert (run["records_updated"], run["records_deleted"], run["records_unchanged"]) == (0, 0, 7)


# --- Stepik -------------------------------------------------------------------------------

def stepik_course(course_id: int, title: str, language: str, updated: str, **extra) -> dict:
    """A course as /api/courses lists it."""
    return {
        "id": course_id, "title": title, "summary": f"{title}: краткое описание",
        "description": f"<p>{title}</p>", "language": language, "is_public": True,
        "is_paid": False, "create_date": "2019-05-14T10:00:00Z", "update_date": updated,
        "slug": f"course-{course_id}", "canonical_url": f"https://stepik.org/course/{course_id}",
        "authors": [1001, 1002], "tags": [22872], "workload": "3-4 часа в неделю",
        "course_format": "", "owner": 1001, "price": None, **extra,
    }


STEPIK = [
    stepik_course(58852, "Основы статистики", "ru", "2023-11-02T09:15:31Z"),
    stepik_course(67, "Программирование на Python", "ru", "2024-01-20T12:00:00Z"),
    stepik_course(4852, "Введение в Linux", "ru", "2022-06-01T08:00:00Z"),
    stepik_course(512, "Algorithms: theory and practice", "en", "2021-03-03T03:03:03Z"),
    stepik_course(91, "Английский для начинающих", "ru", "2024-02-02T02:02:02Z",
                  is_paid=True, canonical_url=None),
    stepik_course(7798, "Українська мова для початківців", "uk", "2023-09-01T00:00:00Z"),
    stepik_course(1240, "Matemātika 9. klasei", "lv", "2022-10-10T10:10:10Z"),
]


def stepik_site(website, courses: list[dict], per_page: int = 3) -> None:
    pages = [courses[i:i + per_page] for i in range(0, len(courses), per_page)]
    for number, items in enumerate(pages, start=1):
        website.add(f"/api/courses?page={number}", json.dumps({
            "meta": {"page": number, "has_next": number < len(pages),
                     "has_previous": number > 1},
            "courses": items}, ensure_ascii=False), JSON)


def stepik_source(website, **extra) -> str:
    return source_toml("ru-stepik", website.url + "/api/courses", country="RU",
                       protocol="json-api", adapter="stepik", delay=0, **extra)


def test_stepik_pages_by_has_next_and_skips_unchanged_courses(tmp_path, website, write_config,
                                                              run_oerhub):
    courses = [dict(c) for c in STEPIK]
    stepik_site(website, courses)
    write_config(stepik_source(website))

    assert run_oerhub("harvest").returncode == 0

    assert website.fetched() == ["/api/courses?page=1", "/api/courses?page=2",
                                 "/api/courses?page=3"]
    db = tmp_path / "oerhub.db"
    rows = rows_by_id(db)
    assert len(rows) == 7
    assert {rows["7798"]["language"], rows["1240"]["language"]} == {"uk", "lv"}
    stats = rows["58852"]
    assert (stats["title"], stats["language"], stats["datestamp"]) == (
        "Основы статистики", "ru", "2023-11-02T09:15:31Z")
    assert (stats["url"], stats["resource_type"], stats["format"]) == (
        "https://stepik.org/course/58852", "course", "stepik")
    assert stats["description"] == "Основы статистики: краткое описание"
    assert rows["512"]["language"] == "en"
    paid = rows["91"]
    assert (paid["url"], paid["access"]) == ("https://stepik.org/course/91/promo", "restricted")

    courses[1] = {**courses[1], "title": "Программирование на Python 3",
                  "update_date": "2024-05-01T10:00:00Z"}
    courses[3] = {**courses[3], "learners_count": 12}  # same update_date: not stored again
    del courses[2]
    stepik_site(website, courses)  # six courses now: two pages
    website.reset_log()

    assert run_oerhub("harvest").returncode == 0

    rows = rows_by_id(db)
    assert rows["67"]["title"] == "Программирование на Python 3"
    assert rows["4852"]["deleted"] == 1
    assert "learners_count" not in query(db, "SELECT raw FROM raw_records JOIN records ON "
                                             "records.id = record_id WHERE identifier = '512'"
                                         )[0]["raw"]
    assert website.fetched() == ["/api/courses?page=1", "/api/courses?page=2"]
    run = latest_run(db)
    assert (run["status"], run["records_new"], run["records_updated"], run["records_deleted"],
            run["records_unchanged"]) == ("ok", 0, 1, 1, 5)


# --- e-Koolikott --------------------------------------------------------------------------

def material(material_id: int, titles: dict[str, str], language: str, licence: str,
             types: list[str], updated: str, **extra) -> dict:
    """A material as /rest/search lists it (Material with its Jackson serialisers)."""
    return {
        "type": ".Material", "id": material_id,
        "titles": [{"language": lang, "text": text} for lang, text in titles.items()],
        "descriptions": [{"language": language, "text": "<p>Õppematerjali kirjeldus</p>"}],
        "language": language, "licenseType": {"id": 3, "name": licence},
        "resourceTypes": [{"id": n, "name": name} for n, name in enumerate(types, start=1)],
        "taxons": [{"id": 2, "level": ".EducationalContext", "name": "BASICEDUCATION"},
                   {"id": 11, "level": ".Domain", "name": "Mathematics"}],
        "targetGroups": ["GRADE5", "GRADE6"], "tags": ["murrud", "harjutused"],
        "authors": [{"id": 7, "name": "Mari", "surname": "Maasikas"}],
        "publishers": [{"id": 2, "name": "Koolibri", "website": "https://koolibri.ee"}],
        "added": "2017-02-02T10:21:33.000Z", "updated": updated,
        "issueDate": {"id": 4, "day": None, "month": 9, "year": 2016},
        "source": f"https://materjalid.example.ee/{material_id}", "paid": False,
        "deleted": False, "views": 120, **extra,
    }


def test_ekoolikott_search_by_offset(tmp_path, website, write_config, run_oerhub):
    items = [
        material(31324, {"est": "Murdude liitmine", "rus": "Сложение дробей"}, "est", "CCBYSA",
                 ["TEXTBOOK"], "2019-05-02T08:00:00.000Z"),
        material(31325, {"rus": "Дроби: упражнения", "est": "Murrud: harjutused"}, "rus",
                 "CCBYNCND", ["DRILLANDPRACTICE"], "2020-01-10T10:00:00.000Z"),
        material(14602, {"est": "Iseregulatsioon ökosüsteemis"}, "est", "allRightsReserved",
                 ["VIDEO"], "2021-04-04T04:04:04.000Z", paid=True),
        {"type": ".ReducedPortfolio", "id": 5001, "title": "Matemaatika kogumik 5. klassile",
         "taxons": [], "targetGroups": ["GRADE5"]},
    ]
    for start, page in ((0, items[:3]), (3, items[3:])):
        website.add(f"/rest/search?q=&limit=100&start={start}", json.dumps(
            {"items": page, "totalResults": len(items), "start": start}, ensure_ascii=False),
            JSON)
    write_config(source_toml("ee-ekoolikott", website.url + "/rest/search?q=", country="EE",
                             protocol="json-api", adapter="ekoolikott", delay=0))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert website.fetched() == ["/rest/search?q=&limit=100&start=0",
                                 "/rest/search?q=&limit=100&start=3"]
    rows = rows_by_id(tmp_path / "oerhub.db")
    assert len(rows) == 4
    sum_ = rows["31324"]
    assert (sum_["title"], sum_["language"], sum_["format"]) == (
        "Murdude liitmine", "et", "ekoolikott")
    assert sum_["url"] == "https://e-koolikott.ee/oppematerjal/31324"
    assert (sum_["resource_type"], sum_["resource_type_raw"]) == ("textbook", "TEXTBOOK")
    # e-Koolikott's licence names carry no CC version: the family, the version not guessed.
    assert (sum_["license"], sum_["license_raw"]) == ("LicenseRef-CC-BY-SA", "CCBYSA")
    assert json.loads(sum_["education_level"]) == ["ISCED 1", "ISCED 2"]
    assert sum_["education_level_raw"] == "GRADE5; GRADE6; BASICEDUCATION"
    assert json.loads(sum_["creators"]) == ["Mari Maasikas"]
    assert sum_["publisher"] == "Koolibri" and sum_["date"] == "2016-09"
    assert sum_["datestamp"] == "2019-05-02T08:00:00Z"
    assert sum_["description"] == "Õppematerjali kirjeldus"
    drill = rows["31325"]
    assert (drill["title"], drill["language"]) == ("Дроби: упражнения", "ru")
    assert (drill["resource_type"], drill["resource_type_raw"]) == ("exercise",
                                                                   "DRILLANDPRACTICE")
    assert rows["14602"]["access"] == "restricted"
    portfolio = rows["5001"]
    assert (portfolio["url"], portfolio["resource_type"]) == (
        "https://e-koolikott.ee/kogumik/5001", "collection")
    # The stored API items are enough to map the records again, with the same result.
    again = run_oerhub("renormalize")
    assert again.returncode == 0, again.stderr
    assert "4 records normalised again, 0 changed" in again.stdout
    website.reset_log()

    assert run_oerhub("harvest").returncode == 0  # unchanged: two 304s, offset after offset

    assert website.fetched() == [] and len(website.paths()) == 3
    run = latest_run(tmp_path / "oerhub.db")
    assert (run["status"], run["records_deleted"], run["records_unchanged"]) == ("ok", 0, 4)


# --- the rules every web harvester keeps --------------------------------------------------

def test_robots_txt_forbids_part_of_the_api(tmp_path, website, write_config, run_oerhub):
    stepik_site(website, [dict(c) for c in STEPIK])
    website.add("/robots.txt", "User-agent: *\nDisallow: /api/courses?page=2\n", "text/plain")
    write_config(stepik_source(website))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert website.fetched() == ["/api/courses?page=1"]
    db = tmp_path / "oerhub.db"
    assert len(rows_by_id(db)) == 3
    run = latest_run(db)
    assert run["status"] == "ok"
    assert f"robots.txt disallows 1 URL(s), not fetched: {website.url}/api/courses?page=2" \
        in run["warnings"]


def test_max_pages_then_the_next_run_goes_on(tmp_path, website, write_config, run_oerhub):
    edx_site(website, [edx_course(website.url, *names) for names in EDX_NAMES])
    write_config(edx_source(website, max_pages=2))

    first = run_oerhub("harvest")

    assert first.returncode == 0, first.stderr
    db = tmp_path / "oerhub.db"
    assert len(rows_by_id(db)) == 6
    run = latest_run(db)
    assert (run["status"], run["records_deleted"]) == ("ok", 0)
    assert "stopped at max_pages = 2" in run["warnings"]
    website.reset_log()

    second = run_oerhub("harvest")

    assert second.returncode == 0, second.stderr
    assert website.fetched() == [EDX + "?page=3&page_size=100"]  # where the first run stopped
    assert len(rows_by_id(db)) == 8


@pytest.mark.parametrize(("page2", "expected"), [
    ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
     "answered with an HTML page titled '502 Bad Gateway', not the JSON list page of the "
     "Stepik course API"),
    (json.dumps({"meta": {"page": 2, "has_next": False}, "data": []}),
     "expected a list of items at 'courses' in the Stepik course API answer; the JSON has the "
     "keys data, meta"),
])
def test_a_broken_api_page_fails_the_run(tmp_path, website, write_config, run_oerhub, page2,
                                         expected):
    stepik_site(website, [dict(c) for c in STEPIK])
    website.add("/api/courses?page=2", page2, JSON)
    write_config(stepik_source(website))

    result = run_oerhub("harvest")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    db = tmp_path / "oerhub.db"
    run = latest_run(db)
    assert run["status"] == "failed"
    assert f"{website.url}/api/courses?page=2" in run["error"] and expected in run["error"]
    assert len(rows_by_id(db)) == 3  # page 1 was stored; nothing deleted, nothing empty


def test_sources_check_reads_the_first_list_page(website, write_config, run_oerhub):
    edx_site(website, [edx_course(website.url, *names) for names in EDX_NAMES])
    write_config(edx_source(website))

    result = run_oerhub("sources", "check", "--source", "ua-prometheus", "--json")

    assert result.returncode == 0, result.stderr
    [check] = json.loads(result.stdout)
    assert check["ok"] is True
    details = check["details"]
    assert (details["adapter"], details["items_on_first_page"], details["total"]) == (
        "openedx", 3, 8)
    assert details["next"] == f"{website.url}{EDX}?page=2&page_size=100"
    assert details["first_item"]["url"] == \
        f"{website.url}/courses/course-v1:Prometheus+MATH101+2024_T1/about"
    assert website.fetched() == [EDX + "?page_size=100"]


# --- mapping tables -----------------------------------------------------------------------

def mapped(adapter: str, item: dict) -> Record:
    record = Record("src", "id", None)
    ADAPTERS[adapter].map_into(item, record)
    return record


@pytest.mark.parametrize(("adapter", "item", "expected"), [
    # Open edX: the instance comes from blocks_url; invitation-only courses are restricted.
    ("openedx", edx_course("https://courses.prometheus.org.ua", "Prometheus", "CS50", "CS50"),
     {"url": "https://courses.prometheus.org.ua/courses/course-v1:Prometheus+CS50+2024_T1/about",
      "resource_type": "course", "language": None, "access": None}),
    ("openedx", edx_course("https://lms.e-school.net.ua", "MON", "M5", "Математика 5",
                           invitation_only=True),
     {"url": "https://lms.e-school.net.ua/courses/course-v1:MON+M5+2024_T1/about",
      "resource_type": "course", "language": None, "access": "restricted"}),
    ("openedx", {"id": "course-v1:X+Y+Z", "name": "Без blocks_url", "language": "uk"},
     {"url": None, "resource_type": "course", "language": "uk", "access": None}),
    # Stepik: canonical_url, else the promo page; paid courses are restricted.
    ("stepik", stepik_course(1, "Курс", "uk", "2024-01-01T00:00:00Z"),
     {"url": "https://stepik.org/course/1", "resource_type": "course", "language": "uk",
      "access": None}),
    ("stepik", stepik_course(2, "Kurss", "lv", "2024-01-01T00:00:00Z", canonical_url="",
                             is_paid=True),
     {"url": "https://stepik.org/course/2/promo", "resource_type": "course", "language": "lv",
      "access": "restricted"}),
    # e-Koolikott: ISO 639-2 languages, LOM-like type names, portfolios are collections.
    ("ekoolikott", material(1, {"est": "Õpik"}, "est", "CCBY", ["EDUCATIONALGAME"],
                            "2020-01-01T00:00:00.000Z"),
     {"url": "https://e-koolikott.ee/oppematerjal/1", "resource_type": "interactive",
      "language": "et", "access": None}),
    ("ekoolikott", material(2, {"eng": "Data set"}, "eng", "CCBY", ["DATA", "TEXT"],
                            "2020-01-01T00:00:00.000Z", paid=True),
     {"url": "https://e-koolikott.ee/oppematerjal/2", "resource_type": "dataset",
      "language": "en", "access": "restricted"}),
    ("ekoolikott", {"type": ".Portfolio", "id": 9, "title": "Kogumik"},
     {"url": "https://e-koolikott.ee/kogumik/9", "resource_type": "collection",
      "language": None, "access": None}),
])
def test_adapter_mapping_table(adapter, item, expected):
    record = mapped(adapter, item)
    assert {"url": record.url, "resource_type": record.resource_type,
            "language": record.language, "access": record.access} == expected


@pytest.mark.parametrize(("titles", "language", "title"), [
    ({"est": "Eesti", "rus": "Русский"}, "rus", "Русский"),  # the material's own language
    ({"est": "Eesti", "rus": "Русский"}, "eng", "Eesti"),  # else the first title
    ({"rus": "Только русский"}, None, "Только русский"),
])
def test_ekoolikott_title_in_the_material_language(titles, language, title):
    item = {"id": 1, "language": language,
            "titles": [{"language": k, "text": v} for k, v in titles.items()]}
    assert mapped("ekoolikott", item).title == title


@pytest.mark.parametrize(("groups", "levels"), [
    (["ZERO_FIVE"], ["ISCED 0"]),
    (["GRADE1", "GRADE6"], ["ISCED 1"]),
    (["GRADE7", "GRADE9"], ["ISCED 2"]),
    (["GYMNASIUM"], ["ISCED 3"]),
    (["SOMETHING_NEW"], []),
])
def test_ekoolikott_target_groups(groups, levels):
    record = mapped("ekoolikott", {"id": 1, "targetGroups": groups})
    assert (record.education_level, record.education_level_raw) == (levels, "; ".join(groups))


@pytest.mark.parametrize(("paging", "url", "first", "after"), [
    (ADAPTERS["openedx"].paging, "https://h/api/courses/v1/courses/",
     "https://h/api/courses/v1/courses/?page_size=100",
     "https://h/api/courses/v1/courses/?page_size=100&page=2"),
    (ADAPTERS["stepik"].paging, "https://stepik.org/api/courses",
     "https://stepik.org/api/courses?page=1", "https://stepik.org/api/courses?page=2"),
    (ADAPTERS["ekoolikott"].paging, "https://e-koolikott.ee/rest/search?q=",
     "https://e-koolikott.ee/rest/search?q=&limit=100&start=0",
     "https://e-koolikott.ee/rest/search?q=&limit=100&start=100"),
    (Paging(OFFSET, param="start", first=0, size_param="limit", size=50),
     "https://h/s?limit=10", "https://h/s?limit=10&start=0", "https://h/s?limit=10&start=100"),
    (Paging(NEXT_URL), "https://h/list?page=4", "https://h/list?page=4",
     "https://h/list?page=5"),
])
def test_paging_urls(paging, url, first, after):
    assert paging.first_url(url) == first
    assert paging.following(first, 100 if paging.kind == OFFSET else 1) == after


def test_same_page_ignores_the_order_of_parameters():
    assert same_page("https://h/c/?page=2&page_size=100", "https://h/c/?page_size=100&page=2")
    assert not same_page("https://h/c/?page=2", "https://h/c/?page=3")


def test_a_failed_run_resumes_after_the_pages_it_stored(tmp_path, website, write_config,
                                                        run_oerhub):
    courses = [edx_course(website.url, *names) for names in EDX_NAMES]
    edx_site(website, courses)
    good_page3 = website.pages[EDX + "?page=3&page_size=100"]
    website.add(EDX + "?page=3&page_size=100", "<html><title>Maintenance</title></html>",
                "text/html")
    write_config(edx_source(website))
    assert run_oerhub("harvest").returncode == 1
    db = tmp_path / "oerhub.db"
    assert len(rows_by_id(db)) == 6 and latest_run(db)["status"] == "failed"
    website.pages[EDX + "?page=3&page_size=100"] = good_page3
    website.reset_log()

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert website.fetched() == [EDX + "?page=3&page_size=100"]  # pages 1-2 are stored
    assert len(rows_by_id(db)) == 8
    assert latest_run(db)["mode"] == "full+resume"

"""One real browser: headless Chromium (Debian's package, which .ci/run installs) opens the
home page, searches in Cyrillic and opens the coverage dashboard of a served catalogue
(its vega chart drawn, its map drawn on the server).

Skips where Chromium is absent, except under CI, where its absence is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from served import oerhub_serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must have Chromium: .ci/run installs Debian's chromium package")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install "
                                                         "chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`oerhub demo` builds a catalogue; `oerhub serve` serves it on a free port."""
    directory = tmp_path_factory.mktemp("browser")
    subprocess.run([sys.executable, "-m", "oerhub.cli", "demo", "--dir", str(directory)],
                   check=True, capture_output=True, timeout=120)
    db = directory / "oerhub.db"
    with oerhub_serving(db) as base:
        yield base, db


def browse(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, as a person's browser would have it."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def scalar(db: Path, sql: str, params: tuple[object, ...] = ()) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


def test_home_page_search_in_cyrillic_and_dashboard(site, tmp_path):
    base, db = site
    live = scalar(db, "SELECT COUNT(*) FROM records WHERE deleted = 0")

    home = browse(base + "/", tmp_path / "p1")
    assert re.search(rf'id="figure-resources">{live}<', home), home[:3000]
    assert "Coverage dashboard" in home and "Resources per country" in home

    word = "посібник"  # found in every form (посібника, посібники…): the search's engine
    from oerhub.catalogue import Catalogue
    from oerhub.enrich.search_query import search
    with Catalogue(db) as opened:
        expected = len(search(opened, word, limit=100_000))
    assert expected > 0
    found = browse(f"{base}/oerhub/resources?_search={quote(word)}", tmp_path / "p2")
    assert f"{expected} resources found for “{word}”" in found
    titles = re.findall(r'<h2 class="oer-card-title"><a [^>]*>([^<]+)</a>', found)
    assert titles and all("посібн" in t.lower() for t in titles), titles[:5]

    dashboard = browse(base + "/-/dashboards/coverage", tmp_path / "p3")
    charts = len(re.findall(r'<svg[^>]*class="marks"', dashboard))  # drawn by vega here
    bars = dashboard.count('aria-roledescription="bar"')
    map_svg = dashboard.split('class="oer-map"', 1)[1].split("</svg>", 1)[0]
    located = scalar(db, "SELECT COUNT(*) FROM sources WHERE latitude IS NOT NULL")
    assert charts == 1, f"{charts} charts drawn"  # records per month; the rest on the server
    assert bars >= 1, f"only {bars} bars drawn"
    assert map_svg.count("<path ") == 15  # the offline map: every country
    assert map_svg.count("</title></circle>") == located == 9  # 5 sample repositories, 4 web portals

"""Search where people open the site: straight from its folder (file://, as `make demo` says) and through `serve`.

Chromium refuses fetch() to a page opened from disk, so the index in
site/search/ is made of scripts (amends/report/search.py) that assets/search.js loads
with <script> elements, under the pages' own Content-Security-Policy. These
tests build the sample site and search it both ways in Debian's Chromium.
Expected results are worked out in Python from the built files, as in
test_browser.py, whose helpers they share.
"""
from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from amends import cli
from amends.report import search
from conftest import TODAY, sample_project
from test_browser import browser  # noqa: F401 (a fixture, shared)
from test_browser import expected_hits, open_page, open_search, serving, shows_exactly

WAYS = ["file", "serve"]
# Accents typed or not, any case, a two-letter prefix, several words.
QUERIES = ["søren", "soren", "SØR", "Müller", "muller", "ca", "Søren late"]
FIX = "build the site again, or copy all of site/search/ into it."


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    """The sample project's site, built as `make demo` builds it."""
    root = tmp_path_factory.mktemp("search-file")
    sample_project(root)
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat()]) == 0
    return root / "site"


@contextlib.contextmanager
def opened(site: Path, way: str) -> Iterator[str]:
    """The base address of `site` opened from its folder or served on 127.0.0.1."""
    if way == "file":
        yield site.as_uri()
    else:
        with contextlib.contextmanager(serving)(site) as (_, base):
            yield base


@pytest.fixture(scope="module", params=WAYS)
def base(request, sample_site):
    with opened(sample_site, request.param) as address:
        yield address


def index_files_loaded(base: str, requests: list[str]) -> set[str]:
    """The names of the files of site/search/ the page asked for."""
    prefix = f"{base}/{search.FOLDER}/"
    return {url.removeprefix(prefix) for url in requests if url.startswith(prefix)}


def only_the_site(base: str, requests: list[str]) -> None:
    """Nothing asked for outside the site: no other host, and from disk no file beside the site's folder."""
    assert [url for url in requests if not url.startswith(f"{base}/")] == []


def needed(site: Path, query: str) -> set[str]:
    """cases.js and the shards of the typed words that exist: what a search must load, and all it may."""
    names = {search.shard_name(w) for w in search.words(query) if len(w) >= 2}
    return {f"{search.LISTING}.js"} | {f"{n}.js" for n in names if (site / search.FOLDER / f"{n}.js").is_file()}


def test_the_queries_are_worth_asking(sample_site):
    """Each query finds something, folding makes the accented and plain forms agree, and two words narrow."""
    hits = {query: expected_hits(sample_site, query) for query in QUERIES}
    assert all(hits.values()), hits
    assert hits["søren"] == hits["SØR"] and hits["Müller"] == hits["muller"]
    both = hits["Søren late"]
    assert len(both) < min(len(expected_hits(sample_site, "Søren")), len(expected_hits(sample_site, "late")))


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_the_same_opened_from_disk_or_served(sample_site, base, browser, query):
    hits = expected_hits(sample_site, query)
    page, requests, errors, _ = open_search(browser, base, query)
    shows_exactly(page, sample_site, hits)
    assert index_files_loaded(base, requests) == needed(sample_site, query)
    only_the_site(base, requests)
    assert errors == []  # a refused script or a Content-Security-Policy violation is logged as an error
    page.close()


def test_typing_finds_cases_letter_by_letter(sample_site, base, browser):
    """Results come while typing: each two-letter start is loaded as it is typed, no more."""
    query = "Müller wed"
    page, requests, errors, _ = open_search(browser, base)
    page.locator("#q").press_sequentially(query, delay=40)
    shows_exactly(page, sample_site, expected_hits(sample_site, query))
    assert "?q=" not in page.url
    assert index_files_loaded(base, requests) == needed(sample_site, query)
    only_the_site(base, requests)
    assert errors == []
    page.close()


def test_the_header_box_on_the_home_page_searches_from_disk(sample_site, browser):
    """What a person does after `make demo`: open index.html from the folder and search from the top bar."""
    base = sample_site.as_uri()
    page, requests, errors = open_page(browser, f"{base}/index.html")
    page.fill("header input[name=q]", "Søren")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search.html?q=*")
    shows_exactly(page, sample_site, expected_hits(sample_site, "Søren"))
    only_the_site(base, requests)
    assert errors == []
    page.close()


# --- a site folder that is not whole -----------------------------------------------------------------------------

def not_found_only(errors: list[str]) -> None:
    """The browser's own line for a file that is not there, and nothing else: no error of search.js."""
    assert errors and all(e.startswith("Failed to load resource") for e in errors), errors


@pytest.mark.parametrize("way", WAYS)
def test_a_missing_shard_says_the_site_folder_is_incomplete(sample_site, browser, tmp_path, way):
    """A copy of the site without one shard: the message names the file and what to do, and search recovers."""
    site = tmp_path / "site"
    shutil.copytree(sample_site, site)
    query = "Müller"
    word, = search.words(query)
    shard = f"{search.FOLDER}/{search.shard_name(word)}.js"
    (site / shard).rename(tmp_path / "aside.js")
    with opened(site, way) as address:
        page, requests, errors, _ = open_search(browser, address, query)
        status = page.locator("#search-status")
        if way == "file":
            expect(status).to_have_text(f"The site folder is incomplete: {shard} is missing. To search, {FIX}",
                                        timeout=15000)
        else:
            expect(status).to_have_text(
                f"{shard} could not be loaded. If the server showing this site has stopped, start it again"
                f" (python build.py serve); if not, the site folder is incomplete: {FIX}",
                timeout=15000)
        assert page.locator("#search-results li").count() == 0
        not_found_only(errors)
        # Once the file is back, the next search finds the case without reloading the page.
        (tmp_path / "aside.js").rename(site / shard)
        page.press("#q", "Enter")
        shows_exactly(page, site, expected_hits(site, query))
        only_the_site(address, requests)
        page.close()


def test_a_missing_case_list_says_the_site_folder_has_no_search_index(sample_site, browser, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(sample_site, site, ignore=lambda folder, names: [n for n in names if n == f"{search.LISTING}.js"])
    page, requests, errors, _ = open_search(browser, site.as_uri(), "soren")
    expect(page.locator("#search-status")).to_have_text(
        f"The site folder has no search index: {search.FOLDER}/{search.LISTING}.js is missing. To search, {FIX}",
        timeout=15000)
    not_found_only(errors)
    page.close()


def test_a_shard_cut_short_says_it_is_damaged(sample_site, browser, tmp_path):
    """A copy that stopped partway through a file: the script does not run to its end and hands nothing over."""
    site = tmp_path / "site"
    shutil.copytree(sample_site, site)
    shard = f"{search.FOLDER}/{search.shard_name('soren')}.js"
    data = (site / shard).read_bytes()
    (site / shard).write_bytes(data[:len(data) // 2])
    page, requests, errors, _ = open_search(browser, site.as_uri(), "soren")
    expect(page.locator("#search-status")).to_have_text(f"The site folder holds a damaged {shard}. To search, build the site from "
                                                        "scratch (python build.py build --clean), or copy all of "
                                                        "site/search/ into it.",
                                                        timeout=15000)
    assert page.locator("#search-results li").count() == 0
    assert len(errors) == 1, errors  # the cut file's own syntax error, and nothing from search.js
    page.close()


def test_a_shard_of_another_shape_says_the_index_could_not_be_read(sample_site, browser, tmp_path):
    """A file that runs and hands over something search.js cannot use: said plainly, never "Searching…" for ever."""
    site = tmp_path / "site"
    shutil.copytree(sample_site, site)
    word, = search.words("Müller")
    name = search.shard_name(word)
    (site / search.FOLDER / f"{name}.js").write_bytes(search.script(name, {word: 3}))
    page, requests, errors, _ = open_search(browser, site.as_uri(), "Müller")
    status = page.locator("#search-status")
    unreadable = re.compile(r"^The search index could not be read \(.+\)\. To search, " + re.escape(FIX) + "$")
    expect(status).to_have_text(unreadable, timeout=15000)
    assert page.locator("#search-results li").count() == 0
    assert errors == []
    page.close()

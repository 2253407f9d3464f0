"""The demo site in a real headless Chromium: nothing loads from another host, nothing errors, nothing hostile runs."""
from __future__ import annotations

import shutil
import threading
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from amends import cli
from amends.report import search as search_index
from amends.report.pages import letter_page
from amends.serve import make_server

from conftest import MINIMAL_CASE, REPO, sample_project, write_case

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]

HOSTILE = """\
---
title: Pasted from an email
customer:
  name: Eve Example
  email: eve@example.com
channel: email
opened: 2026-03-01
status: open
what_went_wrong: '<img src=x onerror="window.pwned=1">'
---
<script>window.pwned = 2</script>
<img src="https://tracker.example/pixel.gif" onerror="window.pwned=3">
<a href="javascript:window.pwned=4" id="js">click</a>
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo site plus one hostile case, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("browser")
    sample_project(root)
    write_case(root, "2026-03-01-hostile.md", HOSTILE)
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 0
    yield from serving(root / "site")


def serving(site):
    """Serve a built site on 127.0.0.1 for as long as the fixture lasts: (site, base URL)."""
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def open_page(browser, url: str):
    """Open url; return the page, every request's URL, and every console error."""
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    return page, requests, errors


def test_no_page_requests_another_host_or_logs_an_error(served, browser):
    """Every page of the site loads only from 127.0.0.1 and the console stays clean."""
    site, base = served
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > 50
    for name in pages:
        page, requests, errors = open_page(browser, f"{base}/{name}")
        foreign = [u for u in requests if urlsplit(u).hostname != "127.0.0.1"]
        assert foreign == [], name
        assert errors == [], name
        assert page.locator("h1").count() == 1, name
        page.close()


def test_hostile_markup_in_a_case_never_runs(served, browser):
    """Script, onerror and javascript: links pasted into a case do nothing."""
    _, base = served
    page, requests, errors = open_page(browser, f"{base}/cases/2026-03-01-hostile.html")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert page.locator("#js").count() == 0 or page.locator("#js").get_attribute("href") is None
    assert page.evaluate("window.pwned") is None
    assert "onerror" in page.locator("main").inner_text()  # shown as text, not run
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests)
    assert dialogs == []
    page.close()


def test_follow_a_link_from_home_to_a_case(served, browser):
    """A person clicks an open case on the home page and lands on its page."""
    _, base = served
    page, _, _ = open_page(browser, f"{base}/index.html")
    link = page.locator("#attention-open a").first
    title = link.inner_text()
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == title
    assert "/cases/" in page.url
    page.close()


# The open cases and this year's, and the samples' one year: each table sorts and filters on its own.
CASE_TABLES = ["cases/index.html", "years/2026.html"]


@pytest.mark.parametrize("table", CASE_TABLES)
def test_sorting_the_cases_table(served, browser, table):
    """Clicking a heading sorts the table by it, and clicking again reverses it."""
    _, base = served
    page, _, _ = open_page(browser, f"{base}/{table}")
    dates = lambda: page.eval_on_selector_all(  # noqa: E731
        "table.cases tbody tr td:first-child", "cells => cells.map(c => c.dataset.value)")
    built = dates()
    assert built == sorted(built, reverse=True)  # newest first without JavaScript
    page.get_by_role("button", name="Opened").click()
    assert dates() == sorted(built)
    page.get_by_role("button", name="Opened").click()
    assert dates() == sorted(built, reverse=True)
    page.get_by_role("button", name="Customer").click()
    names = page.eval_on_selector_all("table.cases tbody tr td:nth-child(3)", "cells => cells.map(c => c.innerText.toLocaleLowerCase())")
    assert names == sorted(names, key=lambda n: n)
    page.close()


@pytest.mark.parametrize("table", CASE_TABLES)
def test_filtering_the_cases_table(served, browser, table):
    """Picking a status and a team hides the other rows and says how many are shown."""
    _, base = served
    page, _, errors = open_page(browser, f"{base}/{table}")
    rows = page.locator("table.cases tbody tr")
    total = rows.count()
    assert page.locator("#filters").is_visible()  # the form only shows when JavaScript runs
    page.select_option("select[name=status]", "open")
    visible = page.locator("table.cases tbody tr:not([hidden])")
    statuses = visible.locator("td:nth-child(4)").all_inner_texts()
    assert statuses and set(statuses) == {"open"}
    page.select_option("select[name=team]", "Catering")
    teams = visible.locator("td:nth-child(8)").all_inner_texts()
    assert teams and set(teams) == {"Catering"}
    assert page.locator("output[name=count]").inner_text() == f"{len(teams)} of {total} cases shown"
    page.fill("input[name=from]", "2026-11-01")
    assert all(d >= "2026-11-01" for d in visible.locator("td:first-child").evaluate_all(
        "cells => cells.map(c => c.dataset.value)"))
    page.click("button[type=reset]")
    expect(page.locator("table.cases tbody tr:not([hidden])")).to_have_count(total)
    assert errors == []
    page.close()


def test_search_finds_a_case_offline(served, browser):
    """Typing in the header's search box finds the case by a word in its notes, all from 127.0.0.1."""
    _, base = served
    page, requests, errors = open_page(browser, f"{base}/index.html")
    page.fill("header input[name=q]", "hairnet")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("#search-results a", timeout=15000)
    titles = page.locator("#search-results a").all_inner_texts()
    assert "Hair in a butter croissant posted on Instagram" in titles
    page.locator("#search-results a", has_text="Hair in a butter croissant").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Hair in a butter croissant posted on Instagram"
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests)
    assert errors == []
    page.close()


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# A page of each template, the case page with follow-ups and what was given back as well as one without.
AXE_PAGES = ["index.html", "cases/index.html", "cases/2026-03-14-late-wedding-cake.html",
             "cases/2026-11-09-hair-in-croissant.html", "followups.html", "followups-2026.html", "years/2026.html",
             "downloads.html", "promises.html",
             "figures/month.html", "figures/all.html", "lessons.html", "search.html?q=cake",
             "categories/index.html", "owners/index.html", "teams/kitchen.html", "customers/soren-odegaard.html", "problems.html",
             "briefings/kitchen/month.html",
             letter_page("2026-11-04-rude-staff-member"),
             "messages/2026-11-09-hair-in-croissant--checkin--2026-11-14.html"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)], ids=["desktop", "phone"])
def test_no_serious_accessibility_violation(served, browser, scheme, width, height):
    """axe-core finds no serious or critical violation on the main pages, on a desktop and on a phone (where
    tables are cards), in light and dark mode."""
    _, base = served
    # axe is injected from outside the page, so the page's CSP (rightly) would refuse it.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme, viewport={"width": width, "height": height})
    source = AXE.read_text(encoding="utf-8")
    found = {}
    for name in AXE_PAGES:
        page = context.new_page()
        assert page.goto(f"{base}/{name}", wait_until="load").ok, name
        if name.startswith("search"):
            page.wait_for_selector("#search-results a", timeout=15000)
        page.evaluate(source)
        violations = page.evaluate("async () => (await axe.run(document)).violations"
                                   ".filter(v => ['serious', 'critical'].includes(v.impact))"
                                   ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
        if violations:
            found[name] = violations
        page.close()
    context.close()
    assert found == {}


# =====================================================================================================================
# The search page: amends/report/search.py's index read by assets/search.js, in the real browser.
# Expected results are worked out in Python from the built site/search/ files, never hard-coded.
# =====================================================================================================================


SHOWN = 100  # search.js shows at most this many results


def index_file(site, name: str):
    """What a file of site/search/ (cases.js or a shard's NAME.js) hands to search.js."""
    return search_index.value_of((site / search_index.FOLDER / f"{name}.js").read_bytes())


def listed_cases(site) -> list[list[str]]:
    """The cases of site/search/cases.js, newest first: [id, title, customer, status, opened]."""
    return index_file(site, search_index.LISTING)["cases"]


def expected_hits(site, query: str) -> list[str] | None:
    """The ids of the cases a query must find, newest first, read from site/search/ (None: too short to search)."""
    folder = site / search_index.FOLDER
    listing = listed_cases(site)
    typed = [w for w in search_index.words(query) if len(w) >= 2]
    if not typed:
        return None
    found = None
    for word in typed:
        name = search_index.shard_name(word)
        postings = index_file(site, name) if (folder / f"{name}.js").is_file() else {}
        numbers = {n for indexed, ns in postings.items() if indexed.startswith(word) for n in ns}
        found = numbers if found is None else found & numbers
    return [listing[n][0] for n in sorted(found)]


def titles_of(site, ids: list[str]) -> list[str]:
    cases = {doc[0]: doc for doc in listed_cases(site)}
    return [cases[i][1] for i in ids]


def status_for(hits: list[str]) -> str:
    n = len(hits)
    if n == 0:
        return "No case matches."
    if n == 1:
        return "1 case matches."
    return f"{n} cases match" + (f", the newest {SHOWN} shown." if n > SHOWN else ", newest first.")


def open_search(browser, base: str, query: str | None = None):
    """The search page (with ?q= when given), recording requests, console errors and dialogs."""
    page = browser.new_page()
    requests, errors, dialogs = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/search.html" + (f"?q={quote(query)}" if query is not None else ""), wait_until="load")
    return page, requests, errors, dialogs


def shows_exactly(page, site, hits: list[str]) -> None:
    """The status says how many match, and the links are those cases, newest first, at most SHOWN."""
    expect(page.locator("#search-status")).to_have_text(status_for(hits), timeout=15000)
    links = page.locator("#search-results a")
    titles = titles_of(site, hits[:SHOWN])
    # The status may already read right for the query before (same count): wait for these very results.
    if titles:
        expect(links).to_have_text(titles)
    expect(links).to_have_count(len(titles))
    assert links.all_inner_texts() == titles
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [f"cases/{i}.html" for i in hits[:SHOWN]]
    for href in hrefs:
        assert (site / href).is_file(), href


def stayed_local_and_quiet(requests, errors) -> None:
    assert [u for u in requests if urlsplit(u).hostname != "127.0.0.1"] == []
    assert errors == []


@pytest.mark.parametrize("query, customer", [("nunez", "José Núñez"), ("lefevre", "Zoé Lefèvre"),
                                             ("ZOE Lefevre", "Zoé Lefèvre"), ("jose", "José Núñez")])
def test_search_finds_an_accented_name_typed_without_accents(served, browser, query, customer):
    site, base = served
    hits = expected_hits(site, query)
    listing = listed_cases(site)
    theirs = [doc[0] for doc in listing if doc[2] == customer]
    assert theirs and set(theirs) <= set(hits)
    page, requests, errors, _ = open_search(browser, base, query)
    shows_exactly(page, site, hits)
    hints = page.locator("#search-results .hint").all_inner_texts()
    assert sum(customer in h for h in hints) >= len(theirs)
    stayed_local_and_quiet(requests, errors)
    page.close()


def test_search_finds_a_prefix_while_typing(served, browser):
    """Typing "croiss" letter by letter finds the croissant case without pressing Enter."""
    site, base = served
    shard = index_file(site, search_index.shard_name("croiss"))
    assert "croiss" not in shard and "croissant" in shard  # only a prefix of an indexed word
    hits = expected_hits(site, "croiss")
    page, requests, errors, _ = open_search(browser, base)
    page.locator("#q").press_sequentially("croiss", delay=40)
    shows_exactly(page, site, hits)
    assert "Hair in a butter croissant posted on Instagram" in page.locator("#search-results a").all_inner_texts()
    assert "?q=" not in page.url  # found while typing, not by submitting
    stayed_local_and_quiet(requests, errors)
    page.close()


@pytest.mark.parametrize("first, second", [("catering", "late"), ("email", "refund")])
def test_search_words_must_all_match(served, browser, first, second):
    site, base = served
    one, two, both = expected_hits(site, first), expected_hits(site, second), expected_hits(site, f"{first} {second}")
    assert both == [i for i in one if i in two]
    assert 0 < len(both) < min(len(one), len(two))  # the pair narrows the search
    page, requests, errors, _ = open_search(browser, base, f"{first}, {second.upper()}")
    shows_exactly(page, site, both)
    stayed_local_and_quiet(requests, errors)
    page.close()


@pytest.mark.parametrize("query", ["zzqxnothing", "croissant zzqxnothing", "qqqq"])
def test_search_for_what_no_case_holds(served, browser, query):
    site, base = served
    assert expected_hits(site, query) == []
    page, requests, errors, _ = open_search(browser, base, query)
    expect(page.locator("#search-status")).to_have_text("No case matches.", timeout=15000)
    assert page.locator("#search-results li").count() == 0
    stayed_local_and_quiet(requests, errors)
    page.close()


def test_search_status_and_results_agree_as_the_query_changes(served, browser):
    """One page, several searches in turn: each time the status counts exactly the links shown, and none linger."""
    site, base = served
    page, requests, errors, _ = open_search(browser, base)
    box = page.locator("#q")
    for query in ["cake", "the", "late cake", "zzqxnothing", "hairnet", "wedding", "a", "Ødegaard"]:
        box.fill(query)
        hits = expected_hits(site, query)
        if hits is None:
            expect(page.locator("#search-status")).to_have_text("Type at least two letters of a word.")
            expect(page.locator("#search-results li")).to_have_count(0)
            continue
        shows_exactly(page, site, hits)
        shown = page.locator("#search-results a").count()
        status = page.locator("#search-status").inner_text()
        assert (status == "No case matches." and shown == 0) or status.startswith(f"{shown} case"), (query, status)
    page.locator("#q").fill("")
    expect(page.locator("#search-status")).to_have_text("")
    stayed_local_and_quiet(requests, errors)
    page.close()


HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
ASTRAL_CASE = MINIMAL_CASE.replace("title: Cake delivered late", "title: Wrong name piped on a birthday cake").replace(
    "name: Ann Example", "name: 𠮷田 花子").replace("The cake was late.", "The cake said 吉田 instead of 𠮷田.")


@pytest.fixture(scope="module")
def search_served(tmp_path_factory):
    """A generated project with more than a hundred valid cases, a case titled with markup, and a name beyond the BMP."""
    root = tmp_path_factory.mktemp("search-browser") / "project"
    assert cli.main(["demo", "--cases", "130", "--out", str(root)]) == 0
    shutil.rmtree(root / "templates")
    shutil.copytree(REPO / "templates", root / "templates")  # the templates under test
    write_case(root, "2026-11-20-markup-title.md",
               MINIMAL_CASE.replace("title: Cake delivered late", f"title: '{HOSTILE_TITLE}'")
               .replace("opened: 2026-03-01", "opened: 2026-11-20").replace("resolved: 2026-03-04", "resolved: 2026-11-21"))
    write_case(root, "2026-11-21-astral-name.md", ASTRAL_CASE.replace("opened: 2026-03-01", "opened: 2026-11-21")
               .replace("resolved: 2026-03-04", "resolved: 2026-11-21"))
    cli.main(["--root", str(root), "--today", "2026-11-22"])  # the generated project holds some invalid cases on purpose
    listing = listed_cases(root / "site")
    assert len(listing) > SHOWN + 10
    assert {"2026-11-20-markup-title", "2026-11-21-astral-name"} <= {doc[0] for doc in listing}
    yield from serving(root / "site")


def test_search_shows_a_title_with_markup_as_text(search_served, browser):
    site, base = search_served
    hits = expected_hits(site, "onerror alert")
    assert "2026-11-20-markup-title" in hits
    page, requests, errors, dialogs = open_search(browser, base, "onerror alert")
    shows_exactly(page, site, hits)
    link = page.locator("#search-results a", has_text="onerror")
    assert link.inner_text() == HOSTILE_TITLE
    assert page.locator("#search-results img").count() == 0
    assert page.locator("#search-results a").first.evaluate("a => a.children.length") == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert dialogs == []
    assert not [u for u in requests if urlsplit(u).path.endswith("/x")]
    stayed_local_and_quiet(requests, errors)
    page.close()


def test_search_shows_only_the_newest_hundred_of_many(search_served, browser):
    site, base = search_served
    hits = expected_hits(site, "the")
    assert len(hits) > SHOWN
    page, requests, errors, _ = open_search(browser, base, "the")
    shows_exactly(page, site, hits)
    dates = page.locator("#search-results .hint").all_inner_texts()
    opened = [d.rsplit("opened ", 1)[1] for d in dates]
    assert opened == sorted(opened, reverse=True)
    stayed_local_and_quiet(requests, errors)
    page.close()


def test_search_finds_a_name_written_beyond_the_bmp(search_served, browser):
    """𠮷 (U+20BB7, the 吉 of many Japanese family names) is one letter but two UTF-16 code units."""
    site, base = search_served
    hits = expected_hits(site, "𠮷田")
    assert hits == ["2026-11-21-astral-name"]
    page, requests, errors, _ = open_search(browser, base, "𠮷田")
    shows_exactly(page, site, hits)
    stayed_local_and_quiet(requests, errors)
    page.close()

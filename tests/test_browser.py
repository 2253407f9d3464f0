"""The demo site in a real headless Chromium: nothing loads from another host, nothing errors, nothing hostile runs."""
from __future__ import annotations

import shutil
import threading
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from amends import cli
from amends.serve import make_server

from conftest import REPO, write_case

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
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    shutil.copytree(REPO / "cases", root / "cases")
    write_case(root, "2026-03-01-hostile.md", HOSTILE)
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 0
    server = make_server(root / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root / "site", f"http://127.0.0.1:{server.server_address[1]}"
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
    link = page.locator("ul.attention a").first
    title = link.inner_text()
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == title
    assert "/cases/" in page.url
    page.close()


def test_sorting_the_cases_table(served, browser):
    """Clicking a heading sorts the table by it, and clicking again reverses it."""
    _, base = served
    page, _, _ = open_page(browser, f"{base}/cases/index.html")
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


def test_filtering_the_cases_table(served, browser):
    """Picking a status and a team hides the other rows and says how many are shown."""
    _, base = served
    page, _, errors = open_page(browser, f"{base}/cases/index.html")
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
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
    assert "Hair in a butter croissant posted on Instagram" in titles
    page.locator(".pagefind-ui__result-link", has_text="Hair in a butter croissant").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Hair in a butter croissant posted on Instagram"
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests)
    assert errors == []
    page.close()


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_PAGES = ["index.html", "cases/index.html", "cases/2026-03-14-late-wedding-cake.html", "followups.html",
             "figures/month.html", "figures/all.html", "lessons.html", "search.html?q=cake",
             "categories/index.html", "customers/soren-odegaard.html", "problems.html",
             "letters/2026-11-04-rude-staff-member.html"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation(served, browser, scheme):
    """axe-core finds no serious or critical violation on the main pages, in light and dark mode."""
    _, base = served
    # axe is injected from outside the page, so the page's CSP (rightly) would refuse it.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    source = AXE.read_text(encoding="utf-8")
    found = {}
    for name in AXE_PAGES:
        page = context.new_page()
        page.goto(f"{base}/{name}", wait_until="load")
        if name.startswith("search"):
            page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
        page.evaluate(source)
        violations = page.evaluate("async () => (await axe.run(document)).violations"
                                   ".filter(v => ['serious', 'critical'].includes(v.impact))"
                                   ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
        if violations:
            found[name] = violations
        page.close()
    context.close()
    assert found == {}

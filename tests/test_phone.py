"""Every page on a phone, 390 × 844 CSS pixels, in a real headless Chromium: the page never scrolls sideways,
and what a row of a table is about (every cell of the first row; a case's status, a follow-up's state) lies
on the screen rather than off its right edge.

The site is the demo plus a case full of long unbroken words (an order number, a link) and a case file with a
problem, so that the problems page lists something and long words meet the narrow screen.
"""
from __future__ import annotations

import mailbox


import pytest

from amends import cli
from amends.cli.args import ExitStatus
from conftest import REPO, sample_project, write_case
from test_browser import browser, serving  # noqa: F401  (the same headless Chromium, as a fixture)

WIDTH, HEIGHT = 390, 844
TODAY = "2026-11-22"

LONG_WORDS = """\
---
title: Order HLB-2026-11-15-000481516234-WEDDING-TIER-CAKE-DELIVERY never arrived
customer:
  name: Maximiliane Wolkenstein-Trostburg-Rodenegg
  email: maximiliane.wolkenstein-trostburg-rodenegg@verylongmailprovider.example.com
channel: email
opened: 2026-11-15
resolved: 2026-11-17
status: recovered
fault: ours
severity: high
owner: Ana Souza
team: Online orders
category: Delivery problem
what_went_wrong: The tracking link https://parcels.example.com/t?token=eyJvcmRlciI6IkhMQjIwMjYxMTE1MDAwNDgxNTE2MjM0IiwibWFpbCI6dHJ1ZX0 pointed at another order.
prevention: Tracking links are now checked against the order number before the confirmation goes out.
---
The customer pasted https://shop.example.com/account/orders/HLB-2026-11-15-000481516234/details?view=full into her email,
and the parcel's link: https://parcels.example.com/t?token=eyJvcmRlciI6IkhMQjIwMjYxMTE1MDAwNDgxNTE2MjM0IiwibWFpbCI6dHJ1ZX0
"""

BROKEN = """\
---
title: A case with a channel nobody uses
customer:
  name: Ann Example
  email: ann@example.com
channel: carrier-pigeon
opened: 2026-11-20
status: open
---
"""

# Each page template of templates/site and the pages made from it in the built site.
PAGES = {
    "home.html": ["index.html"],
    "cases.html": ["cases/index.html", "years/*.html"],
    "case.html": ["cases/2*.html"],
    "followups.html": ["followups.html", "followups-*.html"],
    "promises.html": ["promises.html"],
    "downloads.html": ["downloads.html"],
    "figures.html": ["figures/*.html"],
    "lessons.html": ["lessons.html"],
    "search.html": ["search.html"],
    "groups.html": [f"{section}/index.html" for section in ("categories", "teams", "tags", "customers", "owners")],
    "group.html": [f"{section}/[!i]*.html" for section in ("categories", "teams", "tags", "customers", "owners")],
    "problems.html": ["problems.html"],
    "inbox.html": ["inbox.html"],
    "letter.html": ["letters/*.html"],
    "message.html": ["messages/*.html"],
    "at-risk.html": ["at-risk.html"],
    "guidelines.html": ["guidelines/*.html"],
    "briefing.html": ["briefings/*/*.html"],
}

# The column that says where a row stands: a case's status, a follow-up's state.
STANDING = ("Status", "State")

OPEN_EVERY_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
# What lies beyond the screen's right edge: the page's own width, and any cell of the first row of a table in
# main that a closed <details> does not hide. One round trip per page: there are a hundred pages.
OFF_SCREEN = f"""() => {{
  const wrong = [], width = document.documentElement.scrollWidth;
  if (width > {WIDTH}) wrong.push(`page ${{width}} px wide`);
  document.querySelectorAll("main table").forEach((table, t) => {{
    if (!table.tBodies.length || !table.tBodies[0].rows.length || table.closest("details:not([open])")) return;
    Array.from(table.tBodies[0].rows[0].cells).forEach((cell, c) => {{
      const box = cell.getBoundingClientRect();
      if (!cell.checkVisibility({{visibilityProperty: true}}) || !box.width || !box.height)
        wrong.push(`table ${{t}} cell ${{c}} not shown`);
      else if (box.left < 0 || box.right > {WIDTH})
        wrong.push(`table ${{t}} cell ${{c}} spans ${{Math.round(box.left)}}-${{Math.round(box.right)}} px`);
    }});
  }});
  return wrong;
}}"""
# How many tables in main show where their rows stand: a Status or State column, and a row.
STANDING_TABLES = f"""() => Array.from(document.querySelectorAll("main table")).filter(t =>
  t.tHead && t.tBodies.length && t.tBodies[0].rows.length &&
  Array.from(t.tHead.rows[0].cells).some(th => {list(STANDING)}.includes(th.textContent.trim()))).length"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("phone")
    sample_project(root)
    write_case(root, "2026-11-15-order-never-arrived-long-words.md", LONG_WORDS)
    write_case(root, "2026-11-20-carrier-pigeon.md", BROKEN)
    # Mail from the business's mailbox that matches no case: the page a person reads it on.
    mailbox.Maildir(root / "Maildir").add(
        b"From: Someone With A Long Name <someone.with.a.long.address@example-of-a-long-domain.org>\n"
        b"Subject: A question about wholesaleordersforcafesandrestaurantsinthewholeregion\nMessage-ID: <q@example.org>\n\n"
        b"Do you deliver to offices? We would like to order every Monday.\n")
    with open(root / "amends.yaml", "a", encoding="utf-8") as settings:
        settings.write("\ninbox:\n  maildir: Maildir\n")
    assert cli.main(["--root", str(root), "--today", TODAY, "inbox"]) == ExitStatus.OK
    # The broken case file is a problem to report, so the build says so; the site is built all the same.
    assert cli.main(["--root", str(root), "--today", TODAY]) == ExitStatus.PROBLEMS
    assert "carrier-pigeon" in (root / "site" / "problems.html").read_text(encoding="utf-8")
    yield from serving(root / "site")


@pytest.fixture(scope="module")
def phone(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="light")
    yield context
    context.close()


def pages_of(site, template: str) -> list[str]:
    found = sorted({p.relative_to(site).as_posix() for pattern in PAGES[template] for p in site.glob(pattern)})
    assert found, template
    return found


def test_every_page_template_is_checked():
    """A new page template has to be added to PAGES, and so gets checked on a phone too."""
    templates = {p.name for p in (REPO / "templates" / "site").glob("*.html")
                 if not p.name.startswith("_") and p.name != "base.html"}
    assert set(PAGES) == templates


@pytest.mark.parametrize("template", sorted(PAGES))
def test_every_page_fits_a_phone(served, phone, template):
    """No page scrolls sideways at 390 px, as loaded or with every <details> opened, and no cell of a table's
    first row (a case's status, a follow-up's state among them) lies beyond the right edge of the screen."""
    site, base = served
    found, standing = {}, 0
    page = phone.new_page()
    for name in pages_of(site, template):
        query = "?q=cake" if template == "search.html" else ""
        page.goto(f"{base}/{name}{query}", wait_until="load")
        if query:
            page.wait_for_selector("#search-results a", timeout=15000)
        wrong = page.evaluate(OFF_SCREEN)
        page.evaluate(OPEN_EVERY_DETAILS)
        wrong += [f"opened: {w}" for w in page.evaluate(OFF_SCREEN) if w not in wrong]
        standing += page.evaluate(STANDING_TABLES)
        if wrong:
            found[name] = wrong
    page.close()
    assert found == {}
    # The pages with a case table or a follow-up table did have one to check.
    if template in ("home.html", "cases.html", "case.html", "followups.html", "group.html"):
        assert standing > 0


def test_filtering_and_sorting_the_cases_on_a_phone(served, phone):
    """On a phone the cases are cards: the filters still hide the cards of other cases, and the sort buttons
    are on the screen."""
    _, base = served
    page = phone.new_page()
    page.goto(f"{base}/cases/index.html", wait_until="load")
    rows = page.locator("table.cases tbody tr")
    total = rows.count()
    page.select_option("select[name=status]", "open")
    shown = page.locator("table.cases tbody tr:not([hidden])")
    assert 0 < shown.count() < total
    assert rows.evaluate_all("rows => rows.filter(r => r.getClientRects().length > 0).length") == shown.count()
    button = page.get_by_role("button", name="Status")
    box = button.bounding_box()
    assert button.is_visible() and box["x"] + box["width"] <= WIDTH
    page.close()


# Every label and value of every chart, as the browser lays it out, against its chart's box (half a pixel of rounding).
CHART_TEXT_OUTSIDE = """() => Array.from(document.querySelectorAll('svg')).flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll('text')).filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
  }).map(t => (svg.id || 'svg') + ': ' + t.textContent);
})"""


@pytest.mark.parametrize("width", [WIDTH, 1280])
def test_every_chart_label_stays_inside_its_chart(served, browser, width):  # noqa: F811
    """A slanted month label hangs left from its column: the first one too stays inside the picture."""
    site, base = served
    context = browser.new_context(viewport={"width": width, "height": HEIGHT})
    page = context.new_page()
    found, charts = {}, 0
    for name in pages_of(site, "figures.html"):
        page.goto(f"{base}/{name}", wait_until="load")
        charts += page.locator("svg").count()
        outside = page.evaluate(CHART_TEXT_OUTSIDE)
        if outside:
            found[name] = outside
    context.close()
    assert charts > 0 and found == {}

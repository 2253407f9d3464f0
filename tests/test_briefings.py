"""Lessons that reach the team: `acknowledged_by:` on a case records who was briefed on its lesson, and a
briefing sheet per team and period (briefings/<team>/<period>.html) lists the cases the team resolved in it:
what went wrong, what was given and why, the prevention, who was briefed and lines for the rest to sign.

The sheets are read as a browser reads them (html5lib) and printed by Debian's headless Chromium to A4 PDF,
read back with pdftotext: what is checked is what lands on paper.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.cases.project import load_project
from amends.cli.args import ExitStatus
from amends.demo import generate
from amends.model import Briefed
from amends.followups.review import review
from amends.report.exports import cases_csv, cases_json
from amends.report.pages import Links, pages

from conftest import REPO, TODAY, nu_check, write_case
from test_browser import browser  # noqa: F401  (the same headless Chromium, as a fixture)
from test_print import open_page, print_to_pdf

DAY = TODAY.isoformat()  # 2026-11-22
SIGN_LINES = 4
# What the site's bar and footer say, and the sheet's own crumb: none of it is printed.
NAVIGATION = ["Overview", "Follow-ups", "Figures", "Categories", "Customers", "Search", "Problems", "words, names",
              "as of 22 Nov", "Private report", "Team: Kitchen", "This quarter"]


def case(title: str, team: str, opened: str, resolved: str | None, status: str, more: str = "",
         wrong: str = "The scones sat on the top shelf of the oven, which runs hot since its fan was replaced.",
         prevention: str = "Scones now bake on the middle shelf only, and the oven's heat is checked each morning.",
         severity: str = "low") -> str:
    """A case file of one team; `more` is added to the front matter as it is."""
    address = re.sub(r"\W+", ".", title.lower())
    return (f"---\ntitle: {title}\ncustomer:\n  name: Ann Example\n  email: {address}@example.com\n"
            f"channel: email\nopened: {opened}\n" + (f"resolved: {resolved}\n" if resolved else "")
            + f"status: {status}\nseverity: {severity}\nteam: {team}\ncategory: Food quality\n"
            f"what_went_wrong: {wrong}\nprevention: {prevention}\n{more}---\nNotes.\n")


SCONES = "Scones burnt on the bottom"
RYE = "Sourdough sold as rye"
CAKE = "Cake collapsed in the box"
QUICHE = "Quiche undercooked in September"
CASES = {
    # Kitchen, resolved this month (and so this quarter and this year), as the sheet lists them: newest first.
    "2026-11-15-cake.md": case(CAKE, "Kitchen", "2026-11-15", "2026-11-18", "lost",
                               wrong="The cake was boxed before its cream had set, so it slid on the way home.",
                               prevention="Cream cakes now set for an hour in the cold room before they are boxed."),
    # Spelled another way, it is the same team.
    "2026-11-10-rye.md": case(RYE, "kitchen", "2026-11-10", "2026-11-12", "recovered", """\
accommodation:
  - kind: refund
    amount: 12.00
    note: for the loaf
  - kind: gift-card
    amount: 40
    code: RYE-1
    expires: 2027-11-12
approved_by: Priya Nair
asked_for: {what: their money back, amount: 12.00}
acknowledged_by:
  - {name: Tom Becker, on: 2026-11-20}
  - Ana Souza
""", wrong="Two racks were swapped at the counter, so the sourdough went out in rye bags.",
        prevention="Each rack now carries a printed card with the bread's name, checked when it is bagged.", severity="medium"),
    "2026-11-02-scones.md": case(SCONES, "Kitchen", "2026-11-02", "2026-11-05", "resolved", """\
accommodation:
  - kind: replacement
    note: a fresh batch the next morning
acknowledged_by:
  - {name: Ana Souza, on: 2026-11-06}
"""),
    # Kitchen, earlier this year: on the year's sheet only.
    "2026-09-03-quiche.md": case(QUICHE, "Kitchen", "2026-09-03", "2026-09-08", "resolved"),
    # Kitchen, still open or reopened: no final answer to brief on.
    "2026-11-19-bagels.md": case("Stale bagels", "Kitchen", "2026-11-19", None, "open"),
    "2026-11-01-reopened.md": case("Rolls short again", "Kitchen", "2026-11-01", "2026-11-03", "open"),
    # Another team, this year; and a team with nothing resolved, which gets no sheet.
    "2026-02-02-door.md": case("Order left at the wrong door", "Delivery", "2026-02-02", "2026-02-04", "resolved"),
    "2026-11-20-catering.md": case("Lunch late for the conference", "Catering", "2026-11-20", None, "open"),
}
LONG = ("The croissants of the early bake were folded with butter straight from the cold room, so the layers tore and "
        "the pastry came out flat and greasy; the baker on that shift had not been shown the resting times for the "
        "new butter, and nobody checked the first tray before it went out to the counter and the cafés we supply. ")
# A team whose year holds more cases than one sheet of paper: each case must stay whole across pages.
BAKERY = {f"2026-0{m}-0{m}-bakery.md": case(f"Bakery case of month {m}", "Bakery", f"2026-0{m}-0{m}", f"2026-0{m}-1{m}",
                                            "resolved", wrong=LONG * 2, prevention=LONG)
          for m in range(1, 8)}


def project(root: Path, cases: dict[str, str] = CASES | BAKERY) -> Path:
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    (root / "cases").mkdir()
    for name, text in cases.items():
        write_case(root, name, text)
    return root


def build(root: Path, day: str = DAY) -> Path:
    assert cli.main(["--root", str(root), "--today", day, "--quiet"]) == ExitStatus.OK
    return root / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build(project(tmp_path_factory.mktemp("briefings")))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def sheet_cases(path: Path) -> dict[str, object]:
    """The case sections of a sheet, by title, in the order shown."""
    return {text(s.find("h2")): s for s in soup(path).select("main section.briefed-case")}


# -- the field ---------------------------------------------------------------------------------------------------

def test_acknowledged_by_is_names_each_with_the_day_they_were_briefed_if_known(root: Path):
    write_case(root, "2026-11-10-rye.md", CASES["2026-11-10-rye.md"])
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    assert project.cases[0].acknowledged_by == (Briefed("Tom Becker", date(2026, 11, 20)), Briefed("Ana Souza"))


def test_check_names_each_mistake_in_acknowledged_by_by_its_line(root: Path, capsys):
    lines = ["acknowledged_by:",
             "  - {name: Tom Becker, on: 2026-11-23}",     # tomorrow
             "  - {name: Ana Souza, on: 2026-10-01}",      # before the complaint came in
             "  - {name: Jonas Lind, on: 2026-11-31}",     # no such day
             "  - {nmae: Lena Vogt}",                      # a typo in the key, so no name
             "  - [Priya Nair, Tom Becker]",               # a list inside the list
             "  - ~",                                      # nothing
             "  - tom becker"]                              # twice: a warning only
    write_case(root, "2026-11-10-rye.md", case(RYE, "Kitchen", "2026-11-10", "2026-11-12", "resolved", "\n".join(lines) + "\n"))
    assert cli.main(["--root", str(root), "--today", DAY, "check"]) == ExitStatus.PROBLEMS
    said = "".join(capsys.readouterr())
    first = (root / "cases" / "2026-11-10-rye.md").read_text().splitlines().index(lines[0]) + 1
    at = {line: f"cases/2026-11-10-rye.md:{first + n}: " for n, line in enumerate(lines)}
    assert at[lines[1]] + "'acknowledged_by[1].on' is in the future (2026-11-23; today is 2026-11-22)" in said
    assert at[lines[2]] + "'acknowledged_by[2].on' (2026-10-01) is before 'opened' (2026-11-10)" in said
    assert at[lines[3]] + "'acknowledged_by[3].on' is not a real date: '2026-11-31' (November 2026 has 30 days)" in said
    assert at[lines[4]] + "unknown key 'acknowledged_by[4].nmae'; did you mean 'name'?" in said
    assert at[lines[4]] + "'acknowledged_by[4].name' is required" in said
    assert at[lines[5]] + "'acknowledged_by[5]' should be a name, or a name and the day they were briefed" in said
    assert at[lines[6]] + "'acknowledged_by[6]' is empty" in said
    assert at[lines[7]] + "warning: 'tom becker' was briefed already (acknowledged_by[1])" in said
    assert "Traceback" not in said
    write_case(root, "2026-11-10-rye.md", case(RYE, "Kitchen", "2026-11-10", "2026-11-12", "resolved",
                                                "acknowledged_by: Tom Becker\n"))
    assert cli.main(["--root", str(root), "--today", DAY, "check"]) == ExitStatus.PROBLEMS
    assert "cases/2026-11-10-rye.md:15: 'acknowledged_by' should be a list (lines starting with '- ')" in "".join(capsys.readouterr())


def test_the_exports_say_who_was_briefed(root: Path):
    write_case(root, "2026-11-10-rye.md", CASES["2026-11-10-rye.md"])
    cases = load_project(root, TODAY).cases
    [row] = csv.DictReader(io.StringIO(cases_csv(cases).decode("utf-8-sig"), newline=""))
    assert row["acknowledged_by"] == "Tom Becker 2026-11-20; Ana Souza"
    [record] = json.loads(cases_json(cases))["cases"]
    assert record["acknowledged_by"] == [{"name": "Tom Becker", "on": "2026-11-20"}, {"name": "Ana Souza", "on": None}]


def test_the_case_page_says_who_was_briefed(site: Path):
    page = soup(site / "cases/2026-11-10-rye.html")
    assert text(page.find(id="briefed")) == "Tom Becker (20 Nov 2026), Ana Souza"
    assert text(page.find(id="briefed").find_previous_sibling("dt")) == "Briefed"
    assert soup(site / "cases/2026-11-15-cake.html").find(id="briefed") is None


def test_the_samples_and_the_demo_brief_some_settled_cases():
    people = {"Priya Nair", "Ana Souza", "Tom Becker", "Jonas Lind"}  # the sample business's, in amends.yaml
    briefed = [c for c in load_project(REPO, TODAY).cases if c.acknowledged_by]
    assert len(briefed) >= 2 and {b.name for c in briefed for b in c.acknowledged_by} <= people
    assert any(b.on for c in briefed for b in c.acknowledged_by) and all(not c.is_open for c in briefed)
    files = dict(generate(90, 3, TODAY))
    said = [text for text in files.values() if "\nacknowledged_by:\n" in text]
    assert 10 <= len(said) <= 45 and any(" on: 2" in t for t in said) and any('  - "' in t for t in said)
    assert all(re.search(r"^status: (resolved|recovered|lost)$", t, re.M) for t in said)


def test_the_demo_draws_the_briefings_without_the_random_generator(monkeypatch):
    """With the briefings left out, the same seed gives the very files it gave before they existed."""
    with_them = dict(generate(90, 3, TODAY))
    monkeypatch.setattr("amends.demo.case._briefed", lambda *drawn_from: None)
    without = dict(generate(90, 3, TODAY))
    assert with_them.keys() == without.keys() and with_them != without
    strip = re.compile(r"^acknowledged_by:\n(?:  - .*\n)+", re.M)
    assert {name: strip.sub("", text) for name, text in with_them.items()} == without


# -- the sheets --------------------------------------------------------------------------------------------------

def test_a_sheet_per_team_and_period_that_resolved_a_case(site: Path):
    made = sorted(p.relative_to(site / "briefings").as_posix() for p in (site / "briefings").rglob("*.html"))
    assert made == ["bakery/year.html", "delivery/year.html", "kitchen/month.html", "kitchen/quarter.html",
                    "kitchen/year.html"]


def test_a_sheet_lists_the_team_s_cases_resolved_in_its_period_newest_first(site: Path):
    assert list(sheet_cases(site / "briefings/kitchen/month.html")) == [CAKE, RYE, SCONES]
    assert list(sheet_cases(site / "briefings/kitchen/quarter.html")) == [CAKE, RYE, SCONES]
    assert list(sheet_cases(site / "briefings/kitchen/year.html")) == [CAKE, RYE, SCONES, QUICHE]
    assert list(sheet_cases(site / "briefings/delivery/year.html")) == ["Order left at the wrong door"]
    page = soup(site / "briefings/kitchen/month.html")
    assert text(page.find("h1")) == "Briefing: Kitchen · November 2026"
    assert page.find("a", href="../../cases/2026-11-10-rye.html")


def test_a_sheet_says_what_went_wrong_why_we_gave_what_we_gave_the_prevention_and_who_was_briefed(site: Path):
    rye = sheet_cases(site / "briefings/kitchen/month.html")[RYE]
    facts = {text(dt): text(dt.find_next_sibling("dd")) for dt in rye.find_all("dt")}
    assert facts["What went wrong"] == "Two racks were swapped at the counter, so the sourdough went out in rye bags."
    assert facts["What we gave, and why"] == (
        "We gave a refund of 12.00 EUR (for the loaf); a gift card of 40.00 EUR. They had asked for their money "
        "back (12.00 EUR). Above the guideline for a medium case: gives 52.00 EUR, more than the 40.00 EUR a "
        "medium case may get; approved by Priya Nair.")
    assert facts["Prevention"] == "Each rack now carries a printed card with the bread's name, checked when it is bagged."
    assert facts["Briefed"] == "Tom Becker (20 Nov 2026), Ana Souza"
    assert [text(li) for li in rye.select("ul.sign-lines li")] == ["Briefed: date"] * SIGN_LINES
    cases = sheet_cases(site / "briefings/kitchen/month.html")
    assert "Within the guideline for a low case" in text(cases[SCONES]) and "a replacement (a fresh batch" in text(cases[SCONES])
    assert "We gave nothing back." in text(cases[CAKE]) and "nobody yet" in text(cases[CAKE])


def test_the_team_page_and_the_lessons_link_the_team_s_sheets(site: Path):
    links = soup(site / "teams/kitchen.html").find(id="briefings").find_all("a")
    assert [(text(a), a["href"]) for a in links] == [
        ("This month (November 2026)", "../briefings/kitchen/month.html"),
        ("This quarter (Q4 2026)", "../briefings/kitchen/quarter.html"),
        ("This year (2026)", "../briefings/kitchen/year.html")]
    assert soup(site / "teams/catering.html").find(id="briefings") is None
    assert soup(site / "categories/food-quality.html").find(id="briefings") is None
    lessons = soup(site / "lessons.html")
    teams = lessons.find(id="teams-h").find_parent("section")
    assert {a["href"] for a in teams.select("p.briefings a")} == {
        "briefings/kitchen/month.html", "briefings/kitchen/quarter.html", "briefings/kitchen/year.html",
        "briefings/delivery/year.html", "briefings/bakery/year.html"}
    assert not lessons.find(id="categories-h").find_parent("section").select("p.briefings")


def test_the_sheets_and_the_pages_that_link_them_are_valid_html(site: Path):
    pages = sorted((site / "briefings").rglob("*.html")) + [site / "teams/kitchen.html", site / "lessons.html"]
    result = nu_check(*pages)
    assert result.returncode == 0, result.stdout + result.stderr


# -- on paper ----------------------------------------------------------------------------------------------------

def test_a_sheet_of_a_few_cases_prints_on_one_a4_page_without_the_site_s_bar(site: Path, browser, tmp_path: Path):  # noqa: F811
    printed, pages, _ = print_to_pdf(browser, site / "briefings/kitchen/month.html", tmp_path / "sheet.pdf")
    assert pages == 1, printed
    assert printed.startswith("Briefing: Kitchen · November 2026")
    for title in (CAKE, RYE, SCONES):
        assert title in printed
    assert "Two racks were swapped at the counter" in printed and "printed card with the bread's name" in printed
    assert "approved by Priya Nair" in printed and "Tom Becker (20 Nov 2026), Ana Souza" in printed
    assert printed.count("Briefed: date") == 3 * SIGN_LINES
    for word in NAVIGATION:
        assert word not in printed, word


def pages_text(pdf: Path) -> list[str]:
    """The text of each page of a PDF, on one line each."""
    pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                            check=True).stdout, re.M).group(1))
    return [" ".join(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-enc", "UTF-8", str(pdf), "-"],
                                    capture_output=True, text=True, check=True).stdout.split()) for n in range(1, pages + 1)]


def test_a_long_sheet_keeps_each_case_whole_on_one_page(site: Path, browser, tmp_path: Path):  # noqa: F811
    """Seven long cases take more than one sheet of paper: none is split, and no heading is left at a page's foot."""
    print_to_pdf(browser, site / "briefings/bakery/year.html", tmp_path / "year.pdf")
    pages = pages_text(tmp_path / "year.pdf")
    assert len(pages) > 1
    for m in range(1, 8):
        title = f"Bakery case of month {m}"
        [page] = [p for p in pages if title in p]  # on one page, with all that belongs to it
        after = page[page.index(title):]
        assert "Prevention:" in after and after.count("Briefed: date") >= SIGN_LINES


def test_print_media_hides_the_bar_and_keeps_cases_and_headings_together(site: Path, browser):  # noqa: F811
    page, _ = open_page(browser, (site / "briefings/kitchen/month.html").as_uri(), media="print")
    shown = "el => getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0"
    assert page.locator("header.top, nav, footer, .crumb").evaluate_all(f"els => els.filter({shown}).length") == 0
    assert set(page.locator("section.briefed-case").evaluate_all(
        "els => els.map(el => getComputedStyle(el).breakInside)")) == {"avoid"}
    assert set(page.locator("main h1, main h2").evaluate_all(
        "els => els.map(el => getComputedStyle(el).breakAfter)")) == {"avoid"}
    page.context.close()


# -- what a build rewrites ---------------------------------------------------------------------------------------

def stamps(site: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file of the site: its inode and change time (a rewrite replaces the file), and its bytes."""
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(site.rglob("*")) if p.is_file()}


def clean(root: Path, day: str, into: Path) -> dict[str, bytes]:
    """The site of a copy of the project built with no cache at all."""
    for name in ("templates", "cases"):
        shutil.copytree(root / name, into / name)
    shutil.copy(root / "amends.yaml", into / "amends.yaml")
    return {path: data for path, (_, _, data) in stamps(build(into, day)).items()}


def rewritten(before: dict, after: dict) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def sheet_keys(root: Path, day: str) -> dict[str, str]:
    """The key of every page that shows a sheet or links one, as the build would declare it on `day`."""
    state = review(root, datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=ZoneInfo("Europe/Berlin")))
    declared = pages(state, date.fromisoformat(day), lambda: {}, Links(), lambda: None)
    return {page.path: page.key for page in declared
            if page.path.startswith("briefings/") or page.path in ("teams/kitchen.html", "lessons.html")}


def test_a_sheet_s_key_holds_its_own_cases_and_its_period_and_nothing_else(tmp_path: Path):
    """A build renders a page again only when its key changes: an edit to a case on no sheet of the team, or a new
    day within the period, changes no sheet's key; an edit to a case on it, or a new period, does."""
    root = project(tmp_path, CASES)
    before = sheet_keys(root, DAY)
    assert sheet_keys(root, "2026-11-23") == before
    write_case(root, "2026-02-02-door.md", CASES["2026-02-02-door.md"].replace("wrong door", "wrong house"))
    edited = sheet_keys(root, DAY)
    # The lessons show every case: their key changes, as it should.
    assert {p for p in before if before[p] != edited[p]} == {"briefings/delivery/year.html", "lessons.html"}
    december = sheet_keys(root, "2026-12-01")
    assert {p for p in edited if december.get(p) != edited[p]} == {
        "briefings/kitchen/month.html", "teams/kitchen.html", "lessons.html"}  # the month's is gone, and its links


def test_an_edit_rewrites_only_the_sheets_that_show_the_case(tmp_path: Path):
    root = project(tmp_path / "p", CASES)
    before = stamps(build(root))
    write_case(root, "2026-02-02-door.md", CASES["2026-02-02-door.md"].replace("wrong door", "wrong house"))
    after = stamps(build(root))
    assert {p for p in rewritten(before, after) if p.startswith("briefings/")} == {"briefings/delivery/year.html"}
    write_case(root, "2026-09-03-quiche.md", CASES["2026-09-03-quiche.md"].replace("prevention: ", "prevention: Now, "))
    again = stamps(build(root))
    assert {p for p in rewritten(after, again) if p.startswith("briefings/")} == {"briefings/kitchen/year.html"}
    assert {p: data for p, (_, _, data) in again.items()} == clean(root, DAY, tmp_path / "clean")


def test_a_new_day_rewrites_only_the_sheets_whose_period_changed(tmp_path: Path):
    root = project(tmp_path / "p", CASES)
    before = stamps(build(root))
    assert not {p for p in rewritten(before, stamps(build(root, "2026-11-23"))) if p.startswith("briefings/")}
    # A new month: nothing resolved in December yet, so the month's sheets are gone; the quarter's and the year's
    # hold what they held and are left as they were, while the team's page no longer links the month.
    december = stamps(build(root, "2026-12-01"))
    changed = rewritten(before, december)
    assert {p for p in changed if p.startswith("briefings/")} == {"briefings/kitchen/month.html"}
    assert "briefings/kitchen/month.html" not in december
    assert {"teams/kitchen.html", "lessons.html"} <= changed and "teams/delivery.html" not in changed
    assert {p: data for p, (_, _, data) in december.items()} == clean(root, "2026-12-01", tmp_path / "clean")

"""The report site, checked the way a person reads it: pages, figures, links.

Expected values are worked out here from the sample case files themselves
(their YAML front matter), never from amends.views, so a wrong figure in the
code cannot hide behind the same wrong figure in the test.
"""
from __future__ import annotations

import re
import shutil
import statistics
import threading
import urllib.request
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import pytest
import yaml
from bs4 import BeautifulSoup

from amends import cli, serve
from conftest import link_target, MINIMAL_CASE, REPO, TODAY, nu_check, sample_project, shown_text, write_case

TODAY_ARG = TODAY.isoformat()
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SECTIONS = {"categories": "Category", "teams": "Team", "tags": "Tag"}
RICH_CASE = "2026-01-19-stale-bread-standing-order"
REOPENED_CASE = "2026-10-21-late-standing-order-reopened"
BROKEN_PROMISE_CASE = "2026-05-09-card-double-charged"


# --------------------------------------------------------------------------
# The sample cases, read independently of amends
# --------------------------------------------------------------------------
def read_front_matter(path: Path) -> tuple[dict, str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].rstrip() == "---", path
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1:])


def load_samples() -> dict[str, dict]:
    samples = {}
    for path in sorted((REPO / "cases").glob("*.md")):
        fm, body = read_front_matter(path)
        case_id = str(fm.get("id") or path.stem)
        samples[case_id] = {"fm": fm, "body": body, "path": path}
    return samples


SAMPLES = load_samples()
DEFAULT_CURRENCY = (yaml.safe_load((REPO / "amends.yaml").read_text(encoding="utf-8")) or {}).get("currency") or "EUR"


def human_date(value) -> str:
    """How a person reads a date on the site: 19 Jan 2026."""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def money(amount, currency: str) -> str:
    return f"{Decimal(str(amount)):,.2f} {currency}"


def expected_label(fm: dict) -> str:
    return "reopened" if fm["status"] == "open" and fm.get("resolved") else fm["status"]


def customer_key(fm: dict) -> str:
    return str(fm["customer"].get("email") or fm["customer"]["name"]).casefold()


# --------------------------------------------------------------------------
# Reading built pages
# --------------------------------------------------------------------------
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))




def is_site_file(site: Path, path: Path | None) -> bool:
    return path is not None and path.is_file() and path.is_relative_to(site.resolve())


def facts(soup: BeautifulSoup) -> dict[str, object]:
    """Every <dt> label on the page → its <dd> element."""
    found = {}
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            found[text(dt)] = dd
    return found


def section(soup: BeautifulSoup, heading: str):
    h2 = soup.find(lambda tag: tag.name == "h2" and text(tag) == heading)
    assert h2 is not None, f"no section headed {heading!r}"
    return h2.find_parent("section")


def linked_case_ids(site: Path, page: Path, container) -> list[str]:
    """Ids of the case pages linked from `container`, in order (case index excluded)."""
    ids = []
    for a in container.find_all("a", href=True):
        path = link_target(page, a["href"])
        if path is not None and path.parent == (site / "cases").resolve() and path.name != "index.html":
            ids.append(path.stem)
    return ids


def case_rows(site: Path, page: Path, soup: BeautifulSoup) -> dict[str, object]:
    """Case id → its row in the page's cases table(s)."""
    rows = {}
    for table in soup.find_all("table"):
        for tr in table.find_all("tr"):
            ids = linked_case_ids(site, page, tr)
            if ids:
                assert ids[0] not in rows, f"{ids[0]} listed twice on {page}"
                rows[ids[0]] = tr
    return rows


def build_site(root: Path) -> int:
    return cli.main(["--root", str(root), "--today", TODAY_ARG])


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The sample cases built once for every read-only test of this module."""
    root = tmp_path_factory.mktemp("demo")
    sample_project(root)
    assert build_site(root) == 0
    return root / "site"


def page_for(site: Path, case_id: str) -> BeautifulSoup:
    path = site / "cases" / f"{case_id}.html"
    assert path.is_file(), f"no page for {case_id}"
    return soup_of(path)


# --------------------------------------------------------------------------
# 1. Home page figures
# --------------------------------------------------------------------------
def test_home_page_figures_match_the_case_files(demo_site):
    cases = [s["fm"] for s in SAMPLES.values()]
    statuses = Counter(fm["status"] for fm in cases)
    days = [(fm["resolved"] - fm["opened"]).days for fm in cases if fm["status"] != "open" and fm.get("resolved")]
    median = statistics.median(days)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for fm in cases:
        for item in fm.get("accommodation") or []:
            if item.get("amount") is not None:
                totals[item.get("currency") or DEFAULT_CURRENCY] += Decimal(str(item["amount"]))

    soup = soup_of(demo_site / "index.html")
    assert text(soup.find(id="fig-open")) == str(statuses["open"])
    assert text(soup.find(id="fig-median")) == (str(int(median)) if median == int(median) else str(median))
    assert text(soup.find(id="fig-total")) == str(len(cases))
    shown = re.findall(r"[\d,]+\.\d{2} [A-Z]{3}", text(soup.find(id="fig-compensation")))
    assert sorted(shown) == sorted(f"{total:,.2f} {cur}" for cur, total in totals.items())

    table = soup.find(lambda tag: tag.name == "table" and tag.caption and "per status" in text(tag.caption))
    assert table is not None, "no cases-per-status table"
    heads = [text(th) for th in table.find("thead").find_all("th")]
    counts = [int(text(td)) for td in table.find("tbody").find_all("td")]
    per_status = dict(zip(heads, counts, strict=True))
    assert set(statuses) <= set(per_status)
    assert per_status == {name: statuses.get(name, 0) for name in per_status}
    assert sum(per_status.values()) == len(cases)


def test_home_figures_sum_money_per_currency_with_thousands_and_half_day_median(root):
    # Days to resolve: 1 and 4 → median 2.5; the reopened and the open case do not count.
    def case(title, name, opened, resolved, status, accommodation):
        lines = ["---", f"title: {title}", "customer:", f"  name: {name}", "channel: email",
                 f"opened: {opened}", f"status: {status}"]
        if resolved:
            lines.append(f"resolved: {resolved}")
        if accommodation:
            lines.append("accommodation:")
            for amount, currency in accommodation:
                lines += ["  - kind: refund", f"    amount: {amount}"] + ([f"    currency: {currency}"] if currency else [])
        return "\n".join(lines + ["---", "Body.", ""])

    write_case(root, "a.md", case("A", "Ann", "2026-03-01", "2026-03-02", "resolved", [("1000.25", None)]))
    write_case(root, "b.md", case("B", "Bob", "2026-03-01", "2026-03-05", "recovered", [("234.25", "EUR"), ("5", "GBP")]))
    write_case(root, "c.md", case("C", "Cat", "2026-03-01", "2026-05-01", "open", [("2000.00", "GBP")]))
    write_case(root, "d.md", case("D", "Dan", "2026-03-01", None, "open", []))
    assert build_site(root) == 0

    soup = soup_of(root / "site" / "index.html")
    assert text(soup.find(id="fig-open")) == "2"
    assert text(soup.find(id="fig-median")) == "2.5"
    assert text(soup.find(id="fig-total")) == "4"
    shown = re.findall(r"[\d,]+\.\d{2} [A-Z]{3}", text(soup.find(id="fig-compensation")))
    assert sorted(shown) == ["1,234.50 EUR", "2,005.00 GBP"]


# --------------------------------------------------------------------------
# 2. The cases table
# --------------------------------------------------------------------------
def test_cases_table_lists_every_case_once_with_a_working_link(demo_site):
    page = demo_site / "cases" / "index.html"
    soup = soup_of(page)
    tables = soup.find_all("table")
    assert len(tables) == 1
    ids = linked_case_ids(demo_site, page, tables[0])
    assert sorted(ids) == sorted(SAMPLES)
    assert len(ids) == len(set(ids)) == len(tables[0].find("tbody").find_all("tr"))
    for a in tables[0].find_all("a", href=True):
        path = link_target(page, a["href"])
        assert is_site_file(demo_site, path), a["href"]
        if path.parent == (demo_site / "cases").resolve():
            # The link text is the case title, and it leads to that case's page.
            assert text(a) == SAMPLES[path.stem]["fm"]["title"]
            assert text(soup_of(path).find("h1")) == SAMPLES[path.stem]["fm"]["title"]


def test_cases_table_is_newest_first(demo_site):
    page = demo_site / "cases" / "index.html"
    ids = linked_case_ids(demo_site, page, soup_of(page).find("table"))
    opened = [SAMPLES[i]["fm"]["opened"] for i in ids]
    assert opened == sorted(opened, reverse=True)


# --------------------------------------------------------------------------
# 3. The case page
# --------------------------------------------------------------------------
def test_rich_case_page_shows_every_field(demo_site):
    page = demo_site / "cases" / f"{RICH_CASE}.html"
    soup = soup_of(page)
    f = facts(soup)

    assert text(soup.find("h1")) == "Stale sourdough delivered on café standing order"
    assert soup.title.get_text().startswith("Stale sourdough delivered on café standing order")
    lede = text(soup.find("h1").find_next("p"))
    assert "19 Jan 2026" in lede and "23 Jan 2026" in lede and "phone" in lede and "4 days" in lede

    # Customer
    assert text(f["Name"]) == "Søren Ødegaard"
    assert is_site_file(demo_site, link_target(page, f["Name"].find("a")["href"]))
    assert text(f["Email"]) == "soren.odegaard@example.com"
    assert text(f["Phone"]) == "+45 31 42 77 10"
    assert text(f["Company"]) == "Ødegaard Kaffebar"
    assert text(f["Time zone"]) == "Europe/Copenhagen"
    assert text(f["Language"]) == "da"
    assert "9,800.00" in text(f["Yearly value"])

    # Assessment
    status = soup.find(class_="status")
    assert text(status) == "resolved"
    assert text(f["Severity"]) == "medium"
    assert text(f["Fault"]) == "ours"
    assert text(f["Owner"]) == "Tom Becker"
    assert text(f["Team"]) == "Kitchen"
    assert text(f["Category"]) == "Product quality"
    assert [text(a) for a in f["Tags"].find_all("a")] == ["wholesale", "bread", "standing-order"]
    for label in ("Team", "Category", "Tags"):
        for a in f[label].find_all("a"):
            assert is_site_file(demo_site, link_target(page, a["href"])), a["href"]

    # Given back
    rows = [[text(td) for td in tr.find_all("td")] for tr in section(soup, "Given back").find("tbody").find_all("tr")]
    assert rows == [
        ["replacement", "—", "a fresh batch of 12 sourdough loaves, driven over to you the same morning"],
        ["credit", "64.80 EUR", "the full value of the stale loaves, taken off your January invoice"],
    ]

    # Promises
    promises = [text(li) for li in section(soup, "Promises").find_all("li")]
    assert len(promises) == 2
    assert "Deliver a fresh replacement batch before the lunch service" in promises[0]
    assert "Explain how Sunday's bake ended up in Monday's crates" in promises[1]
    assert all(p.endswith("kept") and "broken" not in p for p in promises)

    # The story
    assert text(f["What went wrong"]) == ("The twelve loaves you received that Monday were left over from Sunday. "
                                         "Nobody had labelled our day-old rack after the weekend shift, so those loaves "
                                         "were packed into your crates instead of the fresh morning bake.")
    assert text(f["How it was resolved"]) == ("We brought you a fresh batch by 10:40 the same morning, credited the full "
                                             "value of the stale loaves, and Tom called you two days later to explain "
                                             "how it happened.")
    assert text(f["Why it will not happen again"]) == ("Day-old bread now goes only into red crates, which are never loaded "
                                                      "for wholesale deliveries, and our early baker checks and signs off "
                                                      "every Monday load before the van leaves.")

    # Timeline: every contact note, opened first, resolved last, in date order
    items = section(soup, "Timeline").find_all("li")
    lines = [text(li) for li in items]
    for when, note in [
        ("19 Jan 2026 07:55", "Søren called at opening; crusts hard, crumb dry, he had to take sandwiches off the board."),
        ("19 Jan 2026 10:40", "Tom delivered the fresh batch himself and collected the stale loaves."),
        ("21 Jan 2026 14:10", "Explained the mix-up with the day-old rack and the new red-crate rule."),
        ("23 Jan 2026", "Credit note for 64.80 EUR sent; Søren replied that he was satisfied."),
    ]:
        assert sum(note in line and line.startswith(when) for line in lines) == 1, note
    assert lines[0].startswith("19 Jan 2026") and "Opened" in lines[0]
    assert lines[-1].startswith("23 Jan 2026") and "Resolved" in lines[-1]
    days = [li.find("time")["datetime"] for li in items]
    assert days == sorted(days)
    contact_times = [line.split(" Contact")[0] for line in lines if "Contact" in line]
    assert contact_times == ["19 Jan 2026 07:55", "19 Jan 2026 10:40", "21 Jan 2026 14:10", "23 Jan 2026"]

    # The Markdown body
    body = section(soup, "Notes")
    headings = [text(h) for h in body.find_all(re.compile(r"^h[1-6]$")) if text(h) != "Notes"]
    assert headings == ["What happened", "In the customer's words", "What we changed", "Lessons"]
    assert "I pay for bread baked this morning, not yesterday." in text(body.find("blockquote"))
    assert [text(li) for li in body.find_all("li")][0].startswith("Day-old bread goes into red crates only")


def test_broken_promise_is_shown_as_broken(demo_site):
    soup = page_for(demo_site, BROKEN_PROMISE_CASE)
    promises = {text(li).split(" — ")[0]: text(li.find("strong")) for li in section(soup, "Promises").find_all("li")}
    assert promises == {
        "Confirm the refund reference from the payment provider": "broken",
        "Send the refund reference and bank timeline": "kept",
    }


@pytest.mark.parametrize("case_id", sorted(SAMPLES))
def test_every_sample_case_page_shows_its_front_matter(demo_site, case_id):
    fm, body = SAMPLES[case_id]["fm"], SAMPLES[case_id]["body"]
    page = demo_site / "cases" / f"{case_id}.html"
    soup = soup_of(page)
    f = facts(soup)

    assert text(soup.find("h1")) == fm["title"]
    assert text(soup.find(class_="status")) == expected_label(fm)
    customer = fm["customer"]
    assert text(f["Name"]) == customer["name"]
    for key, label in (("email", "Email"), ("phone", "Phone"), ("company", "Company")):
        if customer.get(key):
            assert text(f[label]) == customer[key]
    for key, label in (("fault", "Fault"), ("severity", "Severity"), ("owner", "Owner"),
                       ("team", "Team"), ("category", "Category")):
        if fm.get(key):
            assert text(f[label]) == fm[key]
    assert [text(a) for a in f["Tags"].find_all("a")] == list(fm.get("tags") or [])
    for key, label in (("what_went_wrong", "What went wrong"), ("how_resolved", "How it was resolved"),
                       ("prevention", "Why it will not happen again")):
        if fm.get(key):
            assert text(f[label]) == " ".join(fm[key].split())

    given = section(soup, "Given back")
    rows = [[text(td) for td in tr.find_all("td")] for tr in given.find_all("tr") if tr.find("td")]
    assert len(rows) == len(fm.get("accommodation") or [])
    for row, item in zip(rows, fm.get("accommodation") or []):
        assert row[0] == item["kind"]
        if item.get("amount") is not None:
            assert row[1] == money(item["amount"], item.get("currency") or DEFAULT_CURRENCY)
        if item.get("note"):
            assert row[2] == item["note"]

    shown = section(soup, "Promises").find_all("li")
    assert len(shown) == len(fm.get("promises") or [])
    for li, promise in zip(shown, fm.get("promises") or []):
        assert " ".join(promise["what"].split()) in text(li)
        state = text(li.find("strong"))
        if promise.get("kept") is True:
            assert state == "kept"
        elif promise.get("kept") is False:
            assert state == "broken"
        else:
            assert state not in ("kept", "broken")

    items = section(soup, "Timeline").find_all("li")
    lines = [text(li) for li in items]
    for contact in fm.get("contacts") or []:
        when = human_date(contact["at"])
        if len(str(contact["at"])) > 10:
            when += " " + str(contact["at"])[11:16]
        assert sum(line.startswith(when) and " ".join(contact["note"].split()) in line for line in lines) == 1, contact
    days = [li.find("time")["datetime"] for li in items]
    assert days == sorted(days), "timeline is not in date order"
    assert days[0] == fm["opened"].isoformat() and "Opened" in lines[0]
    if fm.get("resolved"):
        resolved_at = [i for i, line in enumerate(lines) if "Resolved" in line]
        assert len(resolved_at) == 1
        # Everything up to and including the resolved day comes before "Resolved".
        assert all(day > fm["resolved"].isoformat() for day in days[resolved_at[0] + 1:])
        if expected_label(fm) != "reopened":
            assert resolved_at[0] == len(lines) - 1

    headings = [m.group(2).strip() for m in re.finditer(r"^(#{1,6})\s+(.+)$", body, re.M)]
    notes = section(soup, "Notes")
    assert [text(h) for h in notes.find_all(re.compile(r"^h[1-6]$")) if text(h) != "Notes"] == headings


# --------------------------------------------------------------------------
# 4. A reopened case
# --------------------------------------------------------------------------
def test_reopened_case_is_shown_as_reopened(demo_site):
    fm = SAMPLES[REOPENED_CASE]["fm"]
    assert fm["status"] == "open" and fm.get("resolved")  # the sample really is a reopened case

    index = demo_site / "cases" / "index.html"
    soup = soup_of(index)
    rows = case_rows(demo_site, index, soup)
    assert text(rows[REOPENED_CASE].find(class_="status")) == "reopened"
    for case_id, row in rows.items():
        assert text(row.find(class_="status")) == expected_label(SAMPLES[case_id]["fm"])

    page = page_for(demo_site, REOPENED_CASE)
    assert text(page.find(class_="status")) == "reopened"
    assert "reopened" in text(page.find("main"))
    assert any("Resolved" in text(li) and "reopened" in text(li) for li in section(page, "Timeline").find_all("li"))


# --------------------------------------------------------------------------
# 5. Group pages
# --------------------------------------------------------------------------
def expected_groups(section_name: str) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for case_id, sample in SAMPLES.items():
        fm = sample["fm"]
        names = {"categories": [fm.get("category")], "teams": [fm.get("team")], "tags": fm.get("tags") or []}[section_name]
        for name in names:
            if name:
                groups[name].add(case_id)
    return groups


@pytest.mark.parametrize("section_name", sorted(SECTIONS))
def test_every_group_has_a_page_listing_exactly_its_cases(demo_site, section_name):
    expected = expected_groups(section_name)
    index = demo_site / section_name / "index.html"
    soup = soup_of(index)
    rows = soup.find("tbody").find_all("tr")
    listed = {}
    for tr in rows:
        cells = tr.find_all("td")
        a = cells[0].find("a")
        path = link_target(index, a["href"])
        assert is_site_file(demo_site, path), a["href"]
        listed[text(a)] = path
        assert int(text(cells[1])) == len(expected[text(a)])
        assert int(text(cells[2])) == sum(SAMPLES[i]["fm"]["status"] == "open" for i in expected[text(a)])
    assert set(listed) == set(expected)
    assert len(rows) == len(expected)
    assert len(set(listed.values())) == len(listed), "two groups share a page"

    for name, path in listed.items():
        group = soup_of(path)
        assert text(group.find("h1")) == f"{SECTIONS[section_name]}: {name}"
        ids = linked_case_ids(demo_site, path, group.find("main"))
        assert sorted(ids) == sorted(expected[name]), name
        assert len(ids) == len(set(ids))


def test_case_pages_link_to_their_group_pages(demo_site):
    for case_id, sample in SAMPLES.items():
        page = demo_site / "cases" / f"{case_id}.html"
        f = facts(soup_of(page))
        for label, section_name in (("Team", "teams"), ("Category", "categories"), ("Tags", "tags")):
            for a in f[label].find_all("a"):
                path = link_target(page, a["href"])
                assert is_site_file(demo_site, path)
                assert path.parent == (demo_site / section_name).resolve()
                assert case_id in linked_case_ids(demo_site, path, soup_of(path).find("main"))


def test_every_customer_has_a_page_and_the_repeat_customer_is_flagged(demo_site):
    by_customer: dict[str, set[str]] = defaultdict(set)
    for case_id, sample in SAMPLES.items():
        by_customer[customer_key(sample["fm"])].add(case_id)

    index = demo_site / "customers" / "index.html"
    links = soup_of(index).find("tbody").find_all("a")
    assert len(links) == len(by_customer)
    repeat_pages = []
    for a in links:
        path = link_target(index, a["href"])
        assert is_site_file(demo_site, path), a["href"]
        page = soup_of(path)
        ids = linked_case_ids(demo_site, path, page.find("main"))
        assert len(ids) == len(set(ids))
        keys = {customer_key(SAMPLES[i]["fm"]) for i in ids}
        assert len(keys) == 1 and set(ids) == by_customer[keys.pop()]
        if "Repeat complaints" in text(page.find("main")):
            repeat_pages.append((text(a), sorted(ids), text(page.find("main"))))
    assert len(repeat_pages) == 1
    name, ids, main = repeat_pages[0]
    assert name == "Søren Ødegaard"
    assert ids == sorted(i for i, s in SAMPLES.items() if s["fm"]["customer"]["name"] == "Søren Ødegaard")
    assert len(ids) == 3
    assert "3 cases" in main


def test_non_ascii_customer_names_have_working_links(demo_site):
    non_ascii = {i for i, s in SAMPLES.items() if not s["fm"]["customer"]["name"].isascii()}
    assert len(non_ascii) >= 5  # Søren, Zoë, José, Łukasz, Gunnar Sæther, ...
    for case_id in non_ascii:
        name = SAMPLES[case_id]["fm"]["customer"]["name"]
        page = demo_site / "cases" / f"{case_id}.html"
        a = facts(soup_of(page))["Name"].find("a")
        assert a is not None and text(a) == name
        path = link_target(page, a["href"])
        assert is_site_file(demo_site, path), a["href"]
        assert text(soup_of(path).find("h1")) == f"Customer: {name}"


def test_names_without_latin_letters_and_clashing_slugs_get_separate_pages(root):
    people = [("山田太郎", "taro@example.jp"), ("Zoë Müller", "zoe1@example.com"), ("Zoe Muller", "zoe2@example.com"),
              ("Ødegaard", "o@example.com")]
    for n, (name, email) in enumerate(people):
        write_case(root, f"c{n}.md", MINIMAL_CASE.replace("Ann Example", name).replace("ann@example.com", email)
                   .replace("Cake delivered late", f"Case {n}")
                   .replace("status: resolved", f"status: resolved\ncategory: {name}\ntags: ['{name}']"))
    assert build_site(root) == 0
    site = root / "site"
    seen = set()
    for n, (name, _) in enumerate(people):
        page = site / "cases" / f"c{n}.html"
        f = facts(soup_of(page))
        for label, heading in (("Name", f"Customer: {name}"), ("Category", f"Category: {name}"), ("Tags", f"Tag: {name}")):
            a = f[label].find("a")
            assert a is not None and text(a) == name
            path = link_target(page, a["href"])
            assert is_site_file(site, path), a["href"]
            assert path not in seen
            seen.add(path)
            group = soup_of(path)
            assert text(group.find("h1")) == heading
            assert linked_case_ids(site, path, group.find("main")) == [f"c{n}"]


@pytest.mark.parametrize("field", ["category", "team", "tags"])
def test_a_group_called_index_does_not_clash_with_the_section_index(root, field):
    value = "[index]" if field == "tags" else "index"
    write_case(root, "a.md", MINIMAL_CASE.replace("status: resolved", f"status: resolved\n{field}: {value}"))
    write_case(root, "b.md", MINIMAL_CASE.replace("status: resolved", f"status: resolved\n{field}: {value.replace('index', 'other')}")
               .replace("Cake delivered late", "Other case"))
    assert build_site(root) == 0
    section_name = {"category": "categories", "team": "teams", "tags": "tags"}[field]
    index = root / "site" / section_name / "index.html"
    soup = soup_of(index)
    assert text(soup.find("h1")) == section_name.capitalize()
    links = {text(a): link_target(index, a["href"]) for a in soup.find("tbody").find_all("a")}
    assert set(links) == {"index", "other"}
    for name, case_id in (("index", "a"), ("other", "b")):
        assert is_site_file(root / "site", links[name])
        assert links[name] != index.resolve()
        assert linked_case_ids(root / "site", links[name], soup_of(links[name]).find("main")) == [case_id]


def test_a_case_called_index_does_not_replace_the_cases_list(root):
    write_case(root, "index.md", MINIMAL_CASE)
    write_case(root, "other.md", MINIMAL_CASE.replace("Cake delivered late", "Other case"))
    build_site(root)  # must not crash
    site = root / "site"
    listing = site / "cases" / "index.html"
    soup = soup_of(listing)
    assert text(soup.find("h1")) == "Cases"
    titles = {text(a): link_target(listing, a["href"]) for a in soup.find("tbody").find_all("a")
              if link_target(listing, a["href"]).parent == (site / "cases").resolve()}
    assert "Other case" in titles
    problems = text(soup_of(site / "problems.html").find("main"))
    if "Cake delivered late" in titles:
        # Listed: then its link must lead to its own page, not back to the list.
        assert titles["Cake delivered late"] != listing.resolve()
        assert text(soup_of(titles["Cake delivered late"]).find("h1")) == "Cake delivered late"
    else:
        assert "cases/index.md" in problems, "the case called index is neither shown nor reported"


# --------------------------------------------------------------------------
# 6. Determinism
# --------------------------------------------------------------------------
def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_build_is_byte_for_byte_reproducible(demo_site, demo_root):
    assert build_site(demo_root) == 0
    first, second = site_files(demo_site), site_files(demo_root / "site")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []

    # Building again in place changes nothing, not even a modification time.
    stamps = {p: p.stat().st_mtime_ns for p in (demo_root / "site").rglob("*") if p.is_file()}
    assert build_site(demo_root) == 0
    assert {p: p.stat().st_mtime_ns for p in (demo_root / "site").rglob("*") if p.is_file()} == stamps

    # After deleting site/ the same bytes come back.
    shutil.rmtree(demo_root / "site")
    assert build_site(demo_root) == 0
    assert site_files(demo_root / "site") == first


def test_output_does_not_depend_on_the_time_of_day(demo_root, tmp_path):
    """Builds at 08:00 and at 16:30 on the same day are byte-identical."""
    outputs = []
    for moment in ("2026-11-22T08:00", "2026-11-22T16:30"):
        assert cli.main(["--root", str(demo_root), "--now", moment]) == 0
        outputs.append(site_files(demo_root / "site"))
        shutil.rmtree(demo_root / "site")
    assert outputs[0] == outputs[1]


# --------------------------------------------------------------------------
# 7. Sanitizing
# --------------------------------------------------------------------------
HOSTILE = "<script>alert('t')</script> \" onerror=\"alert(2)"
_Q = HOSTILE.replace("'", "''")  # as written inside a single-quoted YAML string
HOSTILE_CASE = f"""\
---
title: '{_Q} title'
customer:
  name: '{_Q} name'
  email: evil@example.com
channel: email
opened: 2026-03-01
status: open
what_went_wrong: '{_Q} wrong'
tags: ['<b>tag</b>']
---
Hello <script>alert(1)</script> there.

<img src=x onerror=alert(1)>

<a href="javascript:alert(1)">x</a> <a href="JaVaScRiPt:alert(1)">y</a> <a href="&#106;avascript:alert(1)">z</a>

<iframe src="https://evil.example"></iframe>

<style>body {{ background: url(https://evil.example/x.png); }}</style>

<svg onload=alert(1)><circle r="1"/></svg>

<object data="https://evil.example/x.swf"></object> <embed src="https://evil.example/x">

<form action="https://evil.example"><input name="q"></form>

<base href="https://evil.example/">

<meta http-equiv="refresh" content="0;url=https://evil.example">

<p onclick="alert(1)" style="color:red">para</p>

[md link](javascript:alert(5)) and [data](data:text/html,hi) and [fine](https://example.org/page)

![remote image](https://evil.example/pixel.png)
"""

FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "style", "img", "svg", "object", "embed", "form", "input",
                      "base", "video", "audio", "source", "picture", "link", "math", "template", "textarea"}


CHART_ELEMENTS = {"svg", "g", "rect", "line", "text", "title", "desc", "tspan"}


def is_site_chart(site: Path, path: Path, svg) -> bool:
    """A chart amends drew: on a figures page, in a figure, with only plain drawing elements."""
    if path.parent != site / "figures" or svg.parent.name != "figure" or "chart" not in svg.get("class", []):
        return False
    inside = {element.name for element in svg.find_all(True)}
    assert inside <= CHART_ELEMENTS, f"{path}: the chart holds {sorted(inside - CHART_ELEMENTS)}"
    return True


def is_site_form(site: Path, path: Path, element) -> bool:
    """The header's search box, the search page's form, or the filters above a table of cases (the index or a year's); never one from a case."""
    form = element if element.name == "form" else element.find_parent("form")
    if form is None:
        return False
    if "search-box" in form.get("class", []):
        return form.find_parent("header") is not None and form.get("action", "").endswith("search.html")
    if "search-page" in form.get("class", []):
        return path == site / "search.html" and form.get("action") == "search.html"
    return form.get("id") == "filters" and (path == site / "cases" / "index.html" or path.parent == site / "years")


def is_attachment_image(site: Path, path: Path, element) -> bool:
    """An image of a case page that is one of the site's own copies of the case's attachments, and nothing else."""
    target = link_target(path, element.get("src", ""))
    return (path.parent == site / "cases" and target is not None and target.parent == (site / "attachments").resolve()
            and target.is_file() and set(element.attrs) <= {"src", "alt", "title", "width", "height"})


def check_safe(site: Path) -> None:
    for path in html_pages(site):
        soup = soup_of(path)
        scripts = soup.find_all("script")
        own = {(site / "assets" / "table.js").resolve()}
        if path == site / "search.html":
            own.add((site / "assets" / "search.js").resolve())
        assert {link_target(path, script.get("src", "")) for script in scripts} == own, path
        assert len(scripts) == len(own), path
        assert not any(script.get_text().strip() for script in scripts), path
        for element in soup.find_all(True):
            bad = [name for name in element.attrs if name.lower().startswith("on")]
            assert not bad, f"{path}: <{element.name}> has {bad}"
            assert "style" not in element.attrs, f"{path}: <{element.name}> has a style attribute"
            if element.name == "svg" and is_site_chart(site, path, element):
                continue  # amends' own charts; their contents are checked in is_site_chart
            if element.name in ("form", "input") and is_site_form(site, path, element):
                continue
            if element.name == "img" and is_attachment_image(site, path, element):
                continue
            if element.name in FORBIDDEN_ELEMENTS:
                assert element.name == "link" and element.find_parent("head") is not None, f"{path}: <{element.name}>"
            if element.name == "meta":
                assert element.find_parent("head") is not None and element.get("http-equiv", "").lower() != "refresh"
            for attr in ("href", "src", "action", "formaction", "data"):
                value = "".join(str(element.get(attr, "")).split()).lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), f"{path}: {element}"


def test_hostile_case_is_sanitized_and_shown_literally(root):
    write_case(root, "evil.md", HOSTILE_CASE)
    write_case(root, "fine.md", MINIMAL_CASE)
    assert build_site(root) == 0
    site = root / "site"
    check_safe(site)

    page = site / "cases" / "evil.html"
    soup = soup_of(page)
    assert text(soup.find("h1")) == HOSTILE + " title"
    assert soup.title.get_text().startswith(HOSTILE + " title")
    f = facts(soup)
    assert text(f["Name"]) == HOSTILE + " name"
    assert text(f["What went wrong"]) == HOSTILE + " wrong"
    assert [text(a) for a in f["Tags"].find_all("a")] == ["<b>tag</b>"]
    notes = section(soup, "Notes")
    assert "Hello" in text(notes) and "para" in text(notes)
    assert "alert(1)" not in text(notes)  # the script's text is dropped, not shown
    fine = [a for a in notes.find_all("a") if text(a) == "fine"]
    assert len(fine) == 1 and fine[0]["href"] == "https://example.org/page"

    listing = site / "cases" / "index.html"
    rows = case_rows(site, listing, soup_of(listing))
    assert text(rows["evil"].find("a")) == HOSTILE + " title"
    customer = link_target(page, f["Name"].find("a")["href"])
    assert is_site_file(site, customer)
    assert text(soup_of(customer).find("h1")) == f"Customer: {HOSTILE} name"


# --------------------------------------------------------------------------
# 8. Privacy
# --------------------------------------------------------------------------
def check_private(site: Path) -> None:
    robots = (site / "robots.txt").read_text(encoding="utf-8").splitlines()
    rules = [line.split("#")[0].strip() for line in robots if line.split("#")[0].strip()]
    assert "User-agent: *" in rules and "Disallow: /" in rules
    assert not any(rule.lower().startswith("allow") for rule in rules)

    for path in html_pages(site):
        soup = soup_of(path)
        robots_meta = soup.find("meta", attrs={"name": "robots"})
        assert robots_meta is not None and robots_meta["content"].replace(" ", "").lower().startswith("noindex"), path
        csp = soup.find("meta", attrs={"http-equiv": re.compile("^content-security-policy$", re.I)})
        assert csp is not None and "default-src" in csp["content"], path
        tokens = csp["content"].replace(";", " ").split()
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'wasm-unsafe-eval'"} & set(tokens), path
        assert csp.find_parent("head") is not None
        for element in soup.find_all(["link", "script", "img", "iframe", "source", "video", "audio", "embed",
                                      "object", "track", "input", "a", "area", "form", "use", "image"]):
            for attr in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
                if not element.get(attr):
                    continue
                url = element[attr].strip()
                if element.name == "a" and attr == "href":
                    if element.find_parent(class_="body") is not None:
                        continue  # links written in a case's notes may point anywhere
                parts = urlsplit(url)
                assert not parts.scheme and not parts.netloc and not url.startswith("//"), f"{path}: {element}"
    for css in site.rglob("*.css"):
        content = css.read_text(encoding="utf-8")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", content) + re.findall(r"@import\s+['\"]([^'\"]+)", content):
            parts = urlsplit(url.strip())
            if parts.scheme == "data":
                continue  # an image inside the stylesheet itself: nothing is fetched
            assert not parts.scheme and not parts.netloc and not url.strip().startswith("//"), f"{css}: {url}"


def test_demo_site_is_private(demo_site):
    check_private(demo_site)
    check_safe(demo_site)


def test_hostile_case_loads_nothing_from_elsewhere(root):
    write_case(root, "evil.md", HOSTILE_CASE)
    assert build_site(root) == 0
    check_private(root / "site")


# --------------------------------------------------------------------------
# 9. Validity
# --------------------------------------------------------------------------
def test_every_demo_page_is_valid_html_and_css(demo_site):
    """Every page, and the site's own stylesheet, passes the Nu HTML Checker."""
    pages = html_pages(demo_site)
    assert len(pages) > 50
    result = nu_check(*pages)
    assert result.returncode == 0, result.stdout + result.stderr
    result = nu_check(*sorted((demo_site / "assets").glob("*.css")), css=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------
# 10. Internal links
# --------------------------------------------------------------------------
def test_no_broken_internal_link(demo_site):
    broken = []
    for page in html_pages(demo_site):
        soup = soup_of(page)
        for element, attr in [(a, "href") for a in soup.find_all(["a", "link"], href=True)] + \
                             [(s, "src") for s in soup.find_all("script", src=True)]:
            path = link_target(page, element[attr])
            if path is None:
                continue
            if not is_site_file(demo_site, path):
                broken.append(f"{page.relative_to(demo_site)} → {element[attr]}")
    assert broken == []


def test_every_page_is_reachable_from_the_home_page(demo_site):
    seen, todo = set(), [(demo_site / "index.html").resolve()]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        for a in soup_of(page).find_all("a", href=True):
            path = link_target(page, a["href"])
            if is_site_file(demo_site, path) and path.suffix == ".html":
                todo.append(path)
    assert {p.resolve() for p in html_pages(demo_site)} - seen == set()


# --------------------------------------------------------------------------
# 11. Problems
# --------------------------------------------------------------------------
def test_invalid_cases_are_reported_and_left_out(root):
    write_case(root, "good.md", MINIMAL_CASE)
    write_case(root, "also-good.md", MINIMAL_CASE.replace("Cake delivered late", "Bread burnt")
               .replace("Ann Example", "Bo Example").replace("ann@", "bo@"))
    write_case(root, "bad-status.md", MINIMAL_CASE.replace("status: resolved", "status: resolvd"))  # line 9
    write_case(root, "bad-date.md", MINIMAL_CASE.replace("opened: 2026-03-01", "opened: 2026-02-30"))  # line 7
    assert build_site(root) == 1
    site = root / "site"

    problems = soup_of(site / "problems.html")
    items = [text(li) for li in problems.find("main").find_all("li")]
    assert len(items) == 2
    status_item = next(i for i in items if "bad-status.md" in i)
    assert "cases/bad-status.md:9" in status_item and "resolvd" in status_item and "status" in status_item
    date_item = next(i for i in items if "bad-date.md" in i)
    assert "cases/bad-date.md:7" in date_item and "2026-02-30" in date_item

    for page in (site / "index.html", site / "cases" / "good.html", site / "problems.html"):
        nav = soup_of(page).find("nav")
        link = next(a for a in nav.find_all("a") if link_target(page, a["href"]) == (site / "problems.html").resolve())
        assert shown_text(page, link) == "Problems 2", page
    home = soup_of(site / "index.html")
    assert "2 problems" in text(home.find("main"))
    assert text(home.find(id="fig-total")) == "2"

    listing = site / "cases" / "index.html"
    assert sorted(case_rows(site, listing, soup_of(listing))) == ["also-good", "good"]
    assert (site / "cases" / "good.html").is_file() and (site / "cases" / "also-good.html").is_file()
    assert not (site / "cases" / "bad-status.html").exists()
    assert not (site / "cases" / "bad-date.html").exists()


def test_no_problem_count_when_all_is_well(demo_site):
    nav = soup_of(demo_site / "index.html").find("nav")
    page = demo_site / "index.html"
    assert nav.find(class_="problem-count") is not None  # there, and hidden by status.css
    assert [shown_text(page, a) for a in nav.find_all("a") if "Problems" in text(a)] == ["Problems"]
    assert "No problems" in text(soup_of(demo_site / "problems.html").find("main"))


def test_followups_page_says_so_when_no_case_is_resolved_yet(root):
    write_case(root, "open.md", MINIMAL_CASE.replace("resolved: 2026-03-04\n", "").replace("status: resolved", "status: open"))
    assert build_site(root) == 0
    main = soup_of(root / "site" / "followups.html").find("main")
    assert main.find("section") is None
    assert text(main.find("p", class_="empty")) == "No follow-ups yet: none of the cases has been resolved."


# --------------------------------------------------------------------------
# 12. Stale pages and the user's own files
# --------------------------------------------------------------------------
def test_deleted_case_loses_its_pages_and_other_files_are_left_alone(demo_root):
    mine = {
        demo_root / "notes.txt": b"my notes\n",
        demo_root / "cases" / "README.txt": b"not a case\n",
        demo_root / "outbox" / "draft.eml": b"Subject: hi\n",
        demo_root / "templates" / "site" / "extra.html.bak": b"backup\n",
    }
    for path, data in mine.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    stamps = {path: path.stat().st_mtime_ns for path in mine}

    assert build_site(demo_root) == 0
    site = demo_root / "site"
    gone = "2026-02-11-nut-free-brownie-label"
    only_here = [t for t in SAMPLES[gone]["fm"]["tags"]
                 if all(t not in (s["fm"].get("tags") or []) for i, s in SAMPLES.items() if i != gone)]
    assert only_here  # "children" and "nuts" are used by this case alone
    tag_pages = {}
    for a in facts(page_for(site, gone))["Tags"].find_all("a"):
        tag_pages[text(a)] = link_target(site / "cases" / f"{gone}.html", a["href"])
    assert all(tag_pages[t].is_file() for t in only_here)
    customer_page = link_target(site / "cases" / f"{gone}.html", facts(page_for(site, gone))["Name"].find("a")["href"])
    assert customer_page.is_file()

    (demo_root / "cases" / f"{gone}.md").unlink()
    assert build_site(demo_root) == 0
    assert not (site / "cases" / f"{gone}.html").exists()
    assert not customer_page.exists()
    for t in only_here:
        assert not tag_pages[t].exists(), t
    listing = site / "cases" / "index.html"
    assert gone not in case_rows(site, listing, soup_of(listing))
    assert len(case_rows(site, listing, soup_of(listing))) == len(SAMPLES) - 1
    for path, data in mine.items():
        assert path.read_bytes() == data
        assert path.stat().st_mtime_ns == stamps[path]


# --------------------------------------------------------------------------
# 13. serve
# --------------------------------------------------------------------------
def test_server_binds_to_loopback_and_serves_the_site(demo_site):
    server = serve.make_server(demo_site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        port = server.server_address[1]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for url, title in (("/", "Overview"), ("/cases/index.html", "Cases")):
            with opener.open(f"http://127.0.0.1:{port}{url}", timeout=5) as response:
                assert response.status == 200
                page = BeautifulSoup(response.read().decode("utf-8"), "html5lib")
            assert page.title.get_text().startswith(title), url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


# --------------------------------------------------------------------------
# 14. Template errors
# --------------------------------------------------------------------------
@pytest.mark.parametrize("template, old, new, name", [
    ("case.html", "<h1>{{ case.title }}</h1>", "<h1>{{ case.titel }}</h1>", "titel"),
    ("base.html", "<title>{{ title }}", "<title>{{ buisness_name }}{{ title }}", "buisness_name"),
])
def test_template_error_is_not_rendered_as_blank(root, capsys, template, old, new, name):
    path = root / "templates" / "site" / template
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new), encoding="utf-8")
    write_case(root, "a.md", MINIMAL_CASE)

    try:
        code = build_site(root)
    except jinja2.TemplateError as error:
        assert name in str(error)
    else:
        out = capsys.readouterr()
        assert code != 0, "a template error was ignored"
        assert name in out.out + out.err, "the error does not say what is undefined"
    page = root / "site" / "cases" / "a.html"
    if page.exists():
        assert text(soup_of(page).find("h1")) == "Cake delivered late"

"""The home page and the figures pages, checked against the case files themselves.

Every expected figure is worked out here from the YAML front matter (read with
yaml.safe_load), following the definitions in amends/report/figures.py, and never by
calling amends.figures or amends.views: a wrong figure in the code must not hide
behind the same wrong figure in the test. The only list taken from amends is the
follow-up plan (amends.followups.review.review), which the home page merely lists.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, time as clock, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from bs4 import BeautifulSoup

from amends import cli
from amends.followups.review import review
from amends.report.pages import letter_page

from conftest import MINIMAL_CASE, REPO, TODAY, link_target, sample_project, write_case

CONFIG = yaml.safe_load((REPO / "amends.yaml").read_text(encoding="utf-8")) or {}
CURRENCY = CONFIG.get("currency") or "EUR"
ATTENTION_DAYS = int(CONFIG.get("attention_days", 14))
TZ = ZoneInfo(CONFIG.get("timezone") or "Europe/Berlin")
NOON = datetime.combine(TODAY, clock(12, 0), TZ)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
KINDS = ("credit", "refund", "gift-card", "discount", "replacement", "other")
FAULTS = ("ours", "customer", "shared", "unclear")
ATTENTION_STATES = ("due", "blocked", "missed", "failed", "check", "approval")

# Each period as of TODAY (2026-11-22), and the one before it (None for all time).
PERIODS: dict[str, tuple[tuple[date | None, date], tuple[date, date] | None]] = {
    "month": ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31))),
    "quarter": ((date(2026, 10, 1), date(2026, 12, 31)), (date(2026, 7, 1), date(2026, 9, 30))),
    "year": ((date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))),
    "all": ((None, TODAY), None),
}
# The months the opened-vs-resolved chart of each period covers.
CHART_MONTHS = {
    "month": [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)],
    "quarter": [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)],
    "year": [date(2026, m, 1) for m in range(1, 12)],
    "all": None,  # from the month of the first case to this month
}


# --------------------------------------------------------------------------
# The case files, read independently of amends
# --------------------------------------------------------------------------
def to_day(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def to_amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value).replace("_", ""))


def read_front_matter(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
    assert lines[0].rstrip() == "---", path
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    return yaml.safe_load("\n".join(lines[1:end])) or {}


def load_cases(cases_dir: Path) -> list[dict]:
    """Every case file as a plain dict with the fields the figures need."""
    out = []
    for path in sorted(cases_dir.glob("*.md")):
        fm = read_front_matter(path)
        customer = fm.get("customer") or {}
        out.append({
            "id": str(fm.get("id") or path.stem),
            "title": str(fm["title"]),
            "name": str(customer["name"]),
            "phone": customer.get("phone"),
            "key": (str(customer["email"]).lower() if customer.get("email") else str(customer["name"]).casefold()),
            "channel": fm["channel"],
            "opened": to_day(fm["opened"]),
            "resolved": to_day(fm.get("resolved")),
            "status": fm["status"],
            "fault": fm.get("fault"),
            "team": fm.get("team"),
            "category": fm.get("category"),
            "prevention": (str(fm["prevention"]).strip() if fm.get("prevention") else None),
            "tags": {str(t).casefold() for t in (fm.get("tags") or [])},
            "repeat_of": (str(fm["repeat_of"]) if fm.get("repeat_of") else None),
            "not_a_repeat_of": {str(i).casefold() for i in (fm.get("not_a_repeat_of") or [])},
            "customer_value": to_amount(fm.get("customer_value")),
            "accommodation": [(a["kind"], to_amount(a.get("amount")), (a.get("currency") or CURRENCY).upper())
                              for a in (fm.get("accommodation") or [])],
            "promises": [(str(p["what"]).strip(), to_day(p.get("due")), p.get("kept"))
                         for p in (fm.get("promises") or [])],
            "contacts": sorted(to_day(c["at"]) for c in (fm.get("contacts") or [])),
        })
    return out


SAMPLE_CASES = load_cases(REPO / "cases")


def within(day: date | None, span: tuple[date | None, date]) -> bool:
    start, end = span
    return day is not None and (start is None or start <= day) and day <= end


def settle_day(case: dict) -> date:
    return case["resolved"] or case["opened"]


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def amounts_text(totals: dict[str, Decimal]) -> str:
    """How the page shows per-currency totals: one block per currency (.money is display: block)."""
    return " ".join(money(totals[cur], cur) for cur in sorted(totals)) if totals else "—"


def median_text(values: list[int]) -> str:
    return "—" if not values else "%g" % statistics.median(values)


def pct(value: float) -> str:
    return "%.0f%%" % (value * 100)


def whole_shares(counts: list[int]) -> list[int | None]:
    """Whole percents summing to 100 by largest remainder: exact shares as fractions, each cut down to a
    whole number, then one more point to each of the largest cut-off parts (the earlier fault on a tie)."""
    total = sum(counts)
    if not total:
        return [None] * len(counts)
    exact = [Fraction(100 * n, total) for n in counts]
    whole = [math.floor(x) for x in exact]
    by_part = sorted(range(len(counts)), key=lambda i: (whole[i] - exact[i], i))  # largest part first
    for i in by_part[:100 - sum(whole)]:
        whole[i] += 1
    assert sum(whole) == 100
    return whole


def sum_money(cases: list[dict]) -> tuple[dict[str, Decimal], dict[str, dict[str, Decimal]]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    by_kind: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for case in cases:
        for kind, amount, currency in case["accommodation"]:
            if amount is not None:
                totals[currency] += amount
                by_kind[kind][currency] += amount
    return dict(totals), {k: dict(v) for k, v in by_kind.items()}


def expected_figures(cases: list[dict], span: tuple[date | None, date]) -> tuple[dict[str, str], dict[str, dict]]:
    """figure id → the text its cell must show, and the per-kind totals (to know which kind rows exist)."""
    opened = [c for c in cases if within(c["opened"], span)]
    resolved = [c for c in cases if c["status"] != "open" and c["resolved"] is not None and within(c["resolved"], span)]
    first_contact = [(c["contacts"][0] - c["opened"]).days for c in opened if c["contacts"]]
    settled = [c for c in cases if c["status"] in ("recovered", "lost") and within(settle_day(c), span)]
    recovered = [c for c in settled if c["status"] == "recovered"]
    costly = [c for c in cases if c["accommodation"] and within(settle_day(c), span)]
    totals, by_kind = sum_money(costly)
    cost, _ = sum_money(recovered)
    overall = Counter(c["key"] for c in cases)
    faults = Counter(c["fault"] or "unclear" for c in opened)
    at_risk = [c["customer_value"] for c in opened if c["status"] == "open" and c["customer_value"] is not None]
    kept = [c["customer_value"] for c in recovered if c["customer_value"] is not None]

    out = {
        "opened": str(len(opened)),
        "resolved": str(len(resolved)),
        "first-contact": median_text(first_contact),
        "resolve": median_text([(c["resolved"] - c["opened"]).days for c in resolved]),
        "recovery": (f"{pct(len(recovered) / len(settled))} ({len(recovered)} of {len(settled)})" if settled
                     else "— (0 of 0)"),
        "compensation": amounts_text(totals),
        "per-case": (money((totals[CURRENCY] / len(costly)).quantize(Decimal("0.01"), ROUND_HALF_EVEN), CURRENCY)
                     if CURRENCY in totals and costly else "—"),
        "repeat": str(len({c["key"] for c in opened if overall[c["key"]] > 1})),
        "reopened": str(sum(1 for c in opened if c["status"] == "open" and c["resolved"] is not None)),
        "at-risk": money(sum(at_risk, Decimal(0)), CURRENCY) if at_risk else "—",
        "kept": money(sum(kept, Decimal(0)), CURRENCY) if kept else "—",
        "recovery-cost": amounts_text(cost),
    }
    shares = whole_shares([faults[fault] for fault in FAULTS])
    for fault, share in zip(FAULTS, shares):
        n = faults[fault]
        out[f"fault-{fault}"] = f"{n} ({share}%)" if opened else str(n)
    for kind in KINDS:
        out[f"kind-{kind}"] = amounts_text(by_kind.get(kind, {}))
    return out, by_kind


def expected_cells(cases: list[dict], key: str) -> dict[str, str]:
    """Every cell id of one period's table → its text; kind rows only where the table shows them."""
    span, before = PERIODS[key]
    now, now_kinds = expected_figures(cases, span)
    prev, prev_kinds = expected_figures(cases, before) if before else ({}, {})
    cells = {}
    for figure, value in now.items():
        if figure.startswith("kind-") and figure[5:] not in now_kinds and figure[5:] not in prev_kinds:
            continue  # no money of this kind in either period: no row
        cells[f"p-{key}-{figure}"] = value
        if before:
            cells[f"p-{key}-{figure}-prev"] = prev[figure]
    return cells


# --------------------------------------------------------------------------
# Reading the pages
# --------------------------------------------------------------------------
def soup_of(path: Path) -> BeautifulSoup:
    assert path.is_file(), f"{path} was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())




def case_links(site: Path, page: Path, element) -> list[str]:
    """Ids of the case pages linked from `element`, in order; each link must lead to a built file."""
    ids = []
    for a in element.find_all("a", href=True):
        path = link_target(page, a["href"])
        assert path is not None and path.is_file() and path.is_relative_to(site.resolve()), \
            f"link {a['href']!r} on {page.name} leads to no file of the site"
        if path.parent == (site / "cases").resolve() and path.name != "index.html":
            ids.append(path.stem)
    return ids


def one_case(site: Path, page: Path, li) -> str:
    ids = case_links(site, page, li)
    assert len(ids) == 1, f"expected one case link in {text(li)!r}, found {ids}"
    return ids[0]


def human_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def build(root: Path) -> Path:
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat()]) == 0
    return root / "site"


def new_project(tmp_path_factory, name: str) -> Path:
    root = tmp_path_factory.mktemp(name)
    sample_project(root)
    return root


# --------------------------------------------------------------------------
# Fixtures: the samples, and the samples plus cases for every attention list
# --------------------------------------------------------------------------
PROMISE_TODAY = "2026-11-08-promise-due-today"
LOST_BROKEN = "2026-11-07-lost-with-broken-promise"
OPEN_15_DAYS = "2026-11-07-open-fifteen-days"
NO_PREVENTION = "2026-11-03-explanation-without-prevention"
PHONE_RESOLVED = "2026-11-12-phone-complaint-resolved"
CROSS_MONTH = "2026-10-28-opened-october-settled-november"
CROSS_QUARTER = "2026-09-25-opened-q3-lost-q4"

EXTRA_CASES = {
    # Open exactly attention_days (14) days: listed, but not flagged; its promise falls due today.
    PROMISE_TODAY: """\
---
title: Quiche tray short by two slices
customer:
  name: Hanna Berg
  email: hanna.berg@example.com
channel: email
opened: 2026-11-08
status: open
fault: ours
team: Kitchen
category: Wrong order
customer_value: 300
promises:
  - what: Call Hanna back with the kitchen's answer
    due: 2026-11-22
---
A promise falls due today.
""",
    # A lost case: its broken promise is still listed, its overdue unkept one is not.
    LOST_BROKEN: """\
---
title: Anniversary cake collapsed in the box
customer:
  name: Piet de Vries
  email: piet.devries@example.com
channel: in-person
opened: 2026-11-07
resolved: 2026-11-15
status: lost
fault: ours
team: Kitchen
category: Product quality
customer_value: 450
accommodation:
  - kind: refund
    amount: 42.00
promises:
  - what: Send photos of the replacement before delivery
    due: 2026-11-12
    kept: false
  - what: Post the written apology from the decorator
    due: 2026-11-18
---
Broken promise on a lost case.
""",
    # Open fifteen days: flagged; its promise is due tomorrow, so not listed yet.
    OPEN_15_DAYS: """\
---
title: Gift box delivered to the wrong office floor
customer:
  name: Olu Adeyemi
  email: olu.adeyemi@example.com
channel: chat
opened: 2026-11-07
status: open
fault: unclear
team: Delivery
category: Delivery problem
customer_value: 700
promises:
  - what: Check the courier's scan log
    due: 2026-11-23
---
Open for fifteen days.
""",
    # Resolved after followups.since with no prevention: the explanation cannot be written.
    NO_PREVENTION: """\
---
title: Soup served cold at lunch
customer:
  name: Clara Jensen
  email: clara.jensen@example.com
channel: email
opened: 2026-11-03
resolved: 2026-11-16
status: resolved
fault: ours
team: Front of house
category: Service
what_went_wrong: The soup urn was switched off after the morning clean.
how_resolved: We served a fresh bowl and refunded the first.
accommodation:
  - kind: refund
    amount: 6.50
---
No prevention written down.
""",
    # A phone complaint resolved after followups.since: a call is due with the first follow-up.
    PHONE_RESOLVED: """\
---
title: Rye loaf sliced although asked whole
customer:
  name: Walter Koch
  phone: "+49 40 555 0199"
channel: phone
opened: 2026-11-12
resolved: 2026-11-16
status: recovered
fault: ours
team: Front of house
category: Wrong order
customer_value: 200
accommodation:
  - kind: gift-card
    amount: 10.00
prevention: Orders for whole loaves get a sticker on the bag.
---
Resolved phone complaint.
""",
    # Opened in October, settled in November: counts as opened in one month and resolved,
    # recovered and paid for in the next. No fault (counts as unclear), money in two
    # currencies, and its contacts typed out of order (the earliest is the first contact).
    CROSS_MONTH: """\
---
title: Christmas stollen order mixed up
customer:
  name: Lena Vogel
  email: lena.vogel@example.com
channel: email
opened: 2026-10-28
resolved: 2026-11-03
status: recovered
team: Online orders
category: Wrong order
customer_value: 1234.50
accommodation:
  - kind: credit
    amount: 12.35
  - kind: refund
    amount: 75
    currency: DKK
contacts:
  - at: 2026-11-01
    channel: email
  - at: "2026-10-29 09:00"
    channel: phone
prevention: Stollen orders are checked against the order slip before boxing.
---
Crosses a month.
""",
    # Opened in Q3, lost in Q4; the same customer as a sample case, her address written in capitals.
    CROSS_QUARTER: """\
---
title: Platters for the atelier's summer party arrived warm
customer:
  name: Zoé Lefèvre
  email: Zoe.Lefevre@Example.org
channel: email
opened: 2026-09-25
resolved: 2026-10-02
status: lost
fault: customer
team: Catering
category: Delivery problem
customer_value: 800
accommodation:
  - kind: refund
    amount: 20.00
contacts:
  - at: 2026-09-27 10:00
    channel: phone
---
Crosses a quarter.
""",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The shipped samples, built once: (project root, the cases read independently)."""
    root = new_project(tmp_path_factory, "home-demo")
    build(root)
    return root, load_cases(root / "cases")


@pytest.fixture(scope="module")
def extra(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The samples plus EXTRA_CASES, built once."""
    root = new_project(tmp_path_factory, "home-extra")
    for case_id, body in EXTRA_CASES.items():
        write_case(root, f"{case_id}.md", body)
    build(root)
    return root, load_cases(root / "cases")


# --------------------------------------------------------------------------
# 1. Every figure of every period, now and before
# --------------------------------------------------------------------------
PAGES = [("index.html", "month")] + [(f"figures/{key}.html", key) for key in PERIODS]


@pytest.mark.parametrize("project", ["demo", "extra"])
@pytest.mark.parametrize("page,key", PAGES, ids=[p for p, _ in PAGES])
def test_every_figure_matches_the_case_files(request, project, page, key):
    root, cases = request.getfixturevalue(project)
    soup = soup_of(root / "site" / page)
    table = soup.find("table", id=f"figures-{key}")
    assert table is not None, f"{page} has no table of {key} figures"
    shown = {td["id"]: text(td) for td in table.find_all("td", id=True)}
    expected = expected_cells(cases, key)
    assert shown == expected
    if PERIODS[key][1] is None:
        assert not any(i.endswith("-prev") for i in shown), "all time has no period before it"


def test_samples_exercise_the_figures():
    """The sample data must make the figures worth checking: money, outcomes and medians in the month."""
    month, _ = expected_figures(SAMPLE_CASES, PERIODS["month"][0])
    assert month["opened"] != "0" and month["resolved"] != "0"
    assert month["compensation"] != "—" and month["per-case"] != "—"
    everything, _ = expected_figures(SAMPLE_CASES, PERIODS["all"][0])
    assert everything["recovery"] != "— (0 of 0)" and everything["kept"] != "—"


def fault_percents(table, key: str, suffix: str) -> list[int] | None:
    """The whole percents of the fault rows of one column, or None when the column shows no shares."""
    cells = [text(table.find("td", id=f"p-{key}-fault-{fault}{suffix}")) for fault in FAULTS]
    found = [re.fullmatch(r"\d+(?: \((\d+)%\))?", cell) for cell in cells]
    assert all(found), cells
    if all(m.group(1) is None for m in found):
        return None
    return [int(m.group(1)) for m in found]


@pytest.mark.parametrize("project", ["demo", "extra"])
@pytest.mark.parametrize("page,key", PAGES, ids=[p for p, _ in PAGES])
def test_fault_shares_sum_to_exactly_100(request, project, page, key):
    root, cases = request.getfixturevalue(project)
    table = soup_of(root / "site" / page).find("table", id=f"figures-{key}")
    for suffix, span in [("", PERIODS[key][0])] + ([("-prev", PERIODS[key][1])] if PERIODS[key][1] else []):
        percents = fault_percents(table, key, suffix)
        if any(within(c["opened"], span) for c in cases):
            assert percents is not None and sum(percents) == 100, (key, suffix, percents)
        else:
            assert percents is None


def fault_case(n: int, opened: date, fault: str) -> str:
    return f"""\
---
title: Share case {n}
customer:
  name: Share Customer {n}
  email: share{n}@example.com
channel: email
opened: {opened.isoformat()}
status: open
fault: {fault}
---
Counted for the shares.
"""


@pytest.fixture(scope="module")
def awkward_shares(tmp_path_factory) -> tuple[Path, list[dict]]:
    """Cases whose fault shares, each rounded on its own, add up to 101 this month and 99 last month."""
    root = tmp_path_factory.mktemp("home-shares")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    (root / "cases").mkdir()
    faults = [(date(2026, 11, 2), f) for f in ("ours", "customer", "customer", "shared", "shared", None, None)]
    faults += [(date(2026, 10, 5), f) for f in ("ours", "customer", "shared")]
    for n, (opened, fault) in enumerate(faults):
        body = fault_case(n, opened, fault or "unclear")
        if fault is None:
            body = body.replace("fault: unclear\n", "")
        write_case(root, f"{opened.isoformat()}-share-{n}.md", body)
    build(root)
    return root, load_cases(root / "cases")


def test_shares_sum_to_100_where_rounding_each_does_not(awkward_shares):
    root, cases = awkward_shares
    naive = {}
    for name, span in (("now", PERIODS["month"][0]), ("before", PERIODS["month"][1])):
        counts = Counter(c["fault"] or "unclear" for c in cases if within(c["opened"], span))
        naive[name] = sum(round(100 * counts[f] / sum(counts.values())) for f in FAULTS)
    assert naive == {"now": 101, "before": 99}, "the constructed cases no longer make rounding each share fail"
    for page, key in PAGES:
        table = soup_of(root / "site" / page).find("table", id=f"figures-{key}")
        assert {td["id"]: text(td) for td in table.find_all("td", id=True)} == expected_cells(cases, key)
    table = soup_of(root / "site" / "figures" / "month.html").find("table", id="figures-month")
    assert fault_percents(table, "month", "") == [14, 29, 29, 28]
    assert fault_percents(table, "month", "-prev") == [34, 33, 33, 0]


FORMULA_PAGES = ["index.html"] + [f"figures/{key}.html" for key in PERIODS]


def balanced(formula: str) -> bool:
    depth = 0
    for ch in formula:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("page", FORMULA_PAGES)
def test_every_formula_is_written_with_its_parentheses(demo, page):
    root, _ = demo
    soup = soup_of(root / "site" / page)
    formulas = [text(th) for th in soup.find_all("th") if re.search(r"[÷×]", text(th))]
    assert "Recovery rate (recovered ÷ (recovered + lost))" in formulas
    for formula in formulas:
        assert balanced(formula), formula
        # What a division divides by is one word or one parenthesized sum, never a bare sum.
        for divisor in re.findall(r"÷\s*(.*)", formula):
            head = divisor.split(")")[0] if not divisor.startswith("(") else ""
            assert not re.search(r"[+−-]", head), f"{formula!r}: the divisor needs parentheses"


# --------------------------------------------------------------------------
# 2. Home: needs attention today
# --------------------------------------------------------------------------
def attention_section(soup: BeautifulSoup):
    h2 = soup.find("h2", id="attention-h")
    assert h2 is not None and text(h2) == "Needs attention today"
    return h2.find_parent("section")


def check_open_cases(root: Path, cases: list[dict]) -> list[tuple[str, int]]:
    site, page = root / "site", root / "site" / "index.html"
    soup = soup_of(page)
    expected = sorted(((c["id"], (TODAY - c["opened"]).days) for c in cases if c["status"] == "open"),
                      key=lambda pair: (-pair[1], pair[0]))
    ul = soup.find("ul", id="attention-open")
    if not expected:
        assert ul is None and "No open cases." in text(attention_section(soup))
        return expected
    assert ul is not None, "the open cases are not listed"
    items = ul.find_all("li", recursive=False)
    assert [one_case(site, page, li) for li in items] == [case_id for case_id, _ in expected]
    for li, (case_id, age) in zip(items, expected):
        assert f"for {age} day{'' if age == 1 else 's'}" in text(li), f"{case_id}: age {age} not shown in {text(li)!r}"
        badges = [text(b) for b in li.find_all(class_="badge")]
        if age > ATTENTION_DAYS:
            assert badges == [f"over {ATTENTION_DAYS} days"], f"{case_id} is {age} days old but not flagged"
        else:
            assert badges == [], f"{case_id} is only {age} days old but flagged"
    return expected


def expected_promises(cases: list[dict]) -> Counter:
    found = Counter()
    for c in cases:
        for what, due, kept in c["promises"]:
            if kept is False:
                found[(c["id"], what, "broken")] += 1
            elif kept is None and due is not None and due <= TODAY and c["status"] != "lost":
                found[(c["id"], what, "due today" if due == TODAY else f"overdue since {human_date(due)}")] += 1
    return found


def check_promises(root: Path, cases: list[dict]) -> Counter:
    site, page = root / "site", root / "site" / "index.html"
    soup = soup_of(page)
    expected = expected_promises(cases)
    ul = soup.find("ul", id="attention-promises")
    if not expected:
        assert ul is None and "No promise is due or broken." in text(attention_section(soup))
        return expected
    assert ul is not None, "the promises due or broken are not listed"
    shown = Counter()
    for li in ul.find_all("li", recursive=False):
        case_id = one_case(site, page, li)
        state = text(li.find("span", class_="fstate"))
        # Overdue and broken promises are shown in the colour of failure, one due today in the colour of due.
        wanted = "f-due" if state == "due today" else "f-failed"
        assert wanted in li.find("span", class_="fstate")["class"], f"{text(li)!r} is not marked {wanted}"
        whats = [what for cid, what, _ in expected if cid == case_id and what in text(li)]
        assert whats, f"{text(li)!r} names no promise of {case_id} that should be listed"
        shown[(case_id, max(whats, key=len), state)] += 1
    assert shown == expected
    return expected


def check_tasks(root: Path) -> list[tuple[str, str]]:
    site, page = root / "site", root / "site" / "index.html"
    soup = soup_of(page)
    state = review(root, NOON)
    expected = [(p.followup.kind, p.followup.case.id) for p in state.prepared
                if p.followup.state == "due" and p.followup.is_task]
    ul = soup.find("ul", id="attention-tasks")
    if not expected:
        assert ul is None and "No calls, letters or posts to answer." in text(attention_section(soup))
        return expected
    assert ul is not None, "the calls and letters to do are not listed"
    shown = []
    for li in ul.find_all("li", recursive=False):
        words = text(li)
        kind = ("call" if words.startswith("Call ") else "letter" if words.startswith("Letter to ")
                else "social" if re.match(r"Answer .+ where they posted", words) else None)
        assert kind, f"task {words!r} is neither a call, a letter nor a post to answer"
        case_id = one_case(site, page, li)  # also checks every link leads to a built page
        if kind == "letter":
            letters = [a["href"] for a in li.find_all("a", href=True) if a["href"] == letter_page(case_id)]
            assert letters and (site / letter_page(case_id)).is_file(), f"no printable letter for {case_id}"
        shown.append((kind, case_id))
    assert Counter(shown) == Counter(expected)
    return expected


def check_followups(root: Path) -> list[tuple[str, str, str]]:
    site, page = root / "site", root / "site" / "index.html"
    soup = soup_of(page)
    state = review(root, NOON)
    expected = [(p.followup.state, p.followup.kind, p.followup.case.id) for p in state.prepared
                if not p.followup.is_task and p.followup.state in ATTENTION_STATES
                and (p.followup.state != "due" or p.followup.due_at.astimezone(TZ).date() <= TODAY)]
    ul = soup.find("ul", id="attention-followups")
    if not expected:
        assert ul is None
        assert "Nothing due today, blocked, missed or failed." in text(attention_section(soup))
        return expected
    assert ul is not None, "the follow-ups to act on are not listed"
    shown = []
    for li in ul.find_all("li", recursive=False):
        state_name = text(li.find("span", class_="fstate"))
        case_id = one_case(site, page, li)
        kinds = [k for s, k, cid in expected if cid == case_id and s == state_name and f" {k} to " in f" {text(li)}"]
        assert kinds, f"{text(li)!r} is not a follow-up that needs attention"
        shown.append((state_name, max(kinds, key=len), case_id))
    assert Counter(shown) == Counter(expected)
    return expected


def test_home_lists_the_open_cases_oldest_first_with_their_age(demo):
    root, cases = demo
    expected = check_open_cases(root, cases)
    assert expected, "the samples have open cases, so the list must not be empty"
    assert any(age > ATTENTION_DAYS for _, age in expected) and any(age <= ATTENTION_DAYS for _, age in expected)


def test_home_lists_exactly_the_promises_due_or_broken(demo):
    root, cases = demo
    expected = check_promises(root, cases)
    assert expected, "the samples have a broken promise and one due, so the list must not be empty"


def test_home_lists_exactly_the_calls_and_letters_to_do(demo):
    root, _ = demo
    check_tasks(root)


def test_home_lists_exactly_the_followups_to_act_on(demo):
    root, _ = demo
    check_followups(root)


def test_followups_page_sums_up_the_old_followups_in_one_line(demo):
    """Follow-ups of cases resolved before followups.since are one line, not a row each; the rest keep their rows."""
    root, _ = demo
    site, since = root / "site", CONFIG["followups"]["since"]
    # Counted on the case pages, which list every follow-up of their case.
    early = sum(text(td).startswith("not sent: the case was resolved on ")
                and text(td).endswith(f"before amends began sending follow-ups on {human_date(since)} "
                                      f"Technical detail followups.since is {since} in amends.yaml")
                for page in (site / "cases").glob("*.html") for td in soup_of(page).find_all("td"))
    assert early > 0, "the samples have cases resolved before followups.since"
    # Not sent is over: on the page of the year they were due, not on followups.html. The samples' are all of 2026.
    assert soup_of(site / "followups.html").find("section", attrs={"aria-labelledby": "skipped"}) is None
    assert sorted(p.name for p in site.glob("followups-*.html")) == ["followups-2026.html"]
    section = soup_of(site / "followups-2026.html").find("section", attrs={"aria-labelledby": "skipped"})
    assert text(section.find("p")) == (f"{early} follow-ups of cases resolved before {human_date(since)} are not sent: "
                                       "amends began sending follow-ups on that day. Each case's page shows its own.")
    assert "not sent: the case was resolved on" not in text(section)
    listed = section.select("tbody tr") + section.select("ul.tasks > li")
    assert listed, "the samples have a follow-up not sent for another reason, so it must still be listed"
    assert text(section.find("h2")) == f"Not sent ({early + len(listed)})"


def test_home_heading_counts_match_the_lists(demo):
    root, cases = demo
    soup = soup_of(root / "site" / "index.html")
    open_count = sum(c["status"] == "open" for c in cases)
    assert text(soup.find("h3", id="open-h")) == f"Open cases, oldest first ({open_count})"
    assert text(soup.find("h3", id="promises-h")) == f"Promises due or broken ({sum(expected_promises(cases).values())})"


# --------------------------------------------------------------------------
# 3. Every attention list, with the edge cases
# --------------------------------------------------------------------------
def test_extra_cases_are_valid(extra):
    root, cases = extra
    assert {c["id"] for c in cases} >= set(EXTRA_CASES)
    # build() asserted exit status 0: no problems, so every extra case is in the report.
    for case_id in EXTRA_CASES:
        assert (root / "site" / "cases" / f"{case_id}.html").is_file(), f"{case_id} was left out"


def test_every_attention_list_is_exact_and_non_empty(extra):
    root, cases = extra
    assert check_open_cases(root, cases)
    assert check_promises(root, cases)
    assert check_tasks(root)
    assert check_followups(root)


def test_open_cases_are_flagged_only_when_older_than_attention_days(extra):
    root, _ = extra
    site, page = root / "site", root / "site" / "index.html"
    items = {one_case(site, page, li): li for li in soup_of(page).find("ul", id="attention-open").find_all("li")}
    assert "for 14 days" in text(items[PROMISE_TODAY]) and items[PROMISE_TODAY].find(class_="badge") is None
    assert "for 15 days" in text(items[OPEN_15_DAYS])
    assert text(items[OPEN_15_DAYS].find(class_="badge")) == f"over {ATTENTION_DAYS} days"
    assert LOST_BROKEN not in items and NO_PREVENTION not in items


def test_promise_due_today_and_broken_promise_are_listed(extra):
    root, _ = extra
    site, page = root / "site", root / "site" / "index.html"
    lines = [(one_case(site, page, li), text(li)) for li in soup_of(page).find("ul", id="attention-promises").find_all("li")]
    today = [line for cid, line in lines if cid == PROMISE_TODAY]
    assert today == [f"due today Call Hanna back with the kitchen's answer — Quiche tray short by two slices"]
    lost = [line for cid, line in lines if cid == LOST_BROKEN]
    assert lost == ["broken Send photos of the replacement before delivery (due 12 Nov 2026) — Anniversary cake collapsed in the box"]
    assert not any(cid == OPEN_15_DAYS for cid, _ in lines), "a promise due tomorrow is not due yet"
    # Due promises come first, oldest first; then the broken ones.
    states = [line.split(" ")[0] for _, line in lines]
    assert states == sorted(states, key=lambda s: s == "broken")


def test_blocked_follow_up_is_listed_with_its_reason(extra):
    root, _ = extra
    site, page = root / "site", root / "site" / "index.html"
    ul = soup_of(page).find("ul", id="attention-followups")
    assert ul is not None
    mine = [li for li in ul.find_all("li") if one_case(site, page, li) == NO_PREVENTION]
    assert len(mine) == 1, "exactly the follow-up (which explains) of the case without prevention needs a person"
    line = text(mine[0])
    assert line.startswith("blocked followup to Clara Jensen"), line
    assert "prevention" in line, "the reason should name the missing field"
    assert (site / "cases" / f"{NO_PREVENTION}.html").is_file()


def test_call_for_resolved_phone_complaint_is_listed(extra):
    root, _ = extra
    site, page = root / "site", root / "site" / "index.html"
    ul = soup_of(page).find("ul", id="attention-tasks")
    assert ul is not None
    mine = [li for li in ul.find_all("li") if one_case(site, page, li) == PHONE_RESOLVED]
    assert len(mine) == 1
    assert text(mine[0]).startswith("Call Walter Koch on +49 40 555 0199 — Rye loaf sliced although asked whole")
    assert (site / "cases" / f"{PHONE_RESOLVED}.html").is_file()


# --------------------------------------------------------------------------
# 4. Lessons
# --------------------------------------------------------------------------
def expected_repeats(cases: list[dict]) -> list[tuple[str, str]]:
    """A later case repeats the case it names in repeat_of; else the latest earlier case with a prevention,
    the same team and category, and a shared tag or the same customer, that not_a_repeat_of does not list."""
    ordered = sorted(cases, key=lambda c: (c["opened"], c["id"]))
    by_id = {c["id"].casefold(): c for c in cases}
    out = []
    for i, later in enumerate(ordered):
        if later["repeat_of"] and later["repeat_of"].casefold() in by_id:
            out.append((later["id"], by_id[later["repeat_of"].casefold()]["id"]))
            continue
        if not (later["category"] and later["team"]):
            continue
        earlier = [c for c in ordered[:i] if c["category"] == later["category"] and c["team"] == later["team"]
                   and c["prevention"] and c["opened"] < later["opened"]
                   and c["id"].casefold() not in later["not_a_repeat_of"]
                   and (c["tags"] & later["tags"] or c["key"] == later["key"])]
        if earlier:
            out.append((later["id"], earlier[-1]["id"]))
    return out


def test_sample_repeats_are_the_real_ones():
    """On the samples only the nut-free label (shared tag 'allergen') is a failed prevention: the three that
    shared only a team and category are gone, and the step at the entrance, which shares only the tag 'letter'
    with the rude server, says not_a_repeat_of."""
    assert expected_repeats(SAMPLE_CASES) == [
        ("2026-07-08-gluten-free-loaf-swap", "2026-02-11-nut-free-brownie-label"),
    ]


@pytest.mark.parametrize("project", ["demo", "extra"])
def test_home_lists_the_open_repeat_failures(request, project):
    """Needs attention lists each repeat whose later case is still open, newest first, with a link to both cases."""
    root, cases = request.getfixturevalue(project)
    site, page = root / "site", root / "site" / "index.html"
    soup = soup_of(page)
    status = {c["id"]: c["status"] for c in cases}
    opened = {c["id"]: c["opened"] for c in cases}
    expected = sorted((pair for pair in expected_repeats(cases) if status[pair[0]] == "open"),
                      key=lambda pair: (opened[pair[0]], pair[0]), reverse=True)
    section = attention_section(soup)
    h3 = section.find("h3", id="repeats-h")
    assert h3 is not None and text(h3).endswith(f"({len(expected)})")
    ul = section.find("ul", id="attention-repeats")
    if not expected:
        assert ul is None
        return
    shown = [tuple(case_links(site, page, li)) for li in ul.find_all("li", recursive=False)]
    assert shown == expected


@pytest.mark.parametrize("project", ["demo", "extra"])
def test_lessons_list_every_repeat_failure_once(request, project):
    root, cases = request.getfixturevalue(project)
    site, page = root / "site", root / "site" / "lessons.html"
    soup = soup_of(page)
    expected = expected_repeats(cases)
    assert expected, "the samples hold repeat failures"
    h2 = soup.find("h2", id="repeats-h")
    assert h2 is not None and text(h2) == f"Preventions that did not hold ({len(expected)})"
    shown = []
    for li in soup.find("ul", class_="repeats").find_all("li", recursive=False):
        ids = case_links(site, page, li)
        assert len(ids) == 2, f"a repeat must name both cases: {text(li)!r}"
        shown.append(tuple(ids))
    assert Counter(shown) == Counter(expected)
    assert len(shown) == len(set(shown))


@pytest.mark.parametrize("project", ["demo", "extra"])
@pytest.mark.parametrize("field,section", [("category", "categories"), ("team", "teams")])
def test_lessons_groups_are_most_frequent_first(request, project, field, section):
    root, cases = request.getfixturevalue(project)
    soup = soup_of(root / "site" / "lessons.html")
    counts = Counter(c[field] for c in cases if c[field])
    expected = [(name, n) for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))]
    part = soup.find("h2", id=f"{section}-h").find_parent("section")
    shown = []
    for summary in part.find_all("summary"):
        name = text(summary.find("strong"))
        n = int(text(summary).split(": ", 1)[1].split(" ")[0])
        shown.append((name, n))
    assert shown == expected


def test_lessons_show_the_most_recent_of_a_long_group_and_link_to_all(root):
    """A category with many cases lists its newest LESSON_ROWS on the lessons page; its own page has them all."""
    from amends.report.contexts import LESSON_ROWS

    many, few = LESSON_ROWS + 5, 3
    for i in range(many + few):
        category = "Bulk orders" if i < many else "Labels"
        opened = date(2026, 1, 1) + timedelta(days=3 * i)
        write_case(root, f"{opened}-case-{i:02d}.md", MINIMAL_CASE
                   .replace("opened: 2026-03-01", f"opened: {opened}")
                   .replace("resolved: 2026-03-04", f"resolved: {opened + timedelta(days=1)}\ncategory: {category}")
                   .replace("title: Cake delivered late", f"title: Case number {i}")
                   .replace("status: resolved", f"status: resolved\nwhat_went_wrong: Mistake {i}"))
    site = build(root)
    soup = soup_of(site / "lessons.html")
    part = soup.find("h2", id="categories-h").find_parent("section")
    shown = {}
    for details in part.find_all("details"):
        name = text(details.find("summary").find("strong"))
        rows = details.find("tbody").find_all("tr")
        shown[name] = ([text(r.find("td").find("a")) for r in rows], text(details.find_all("p")[-1]))
    newest_bulk = [f"Case number {i}" for i in reversed(range(many))][:LESSON_ROWS]
    assert shown["Bulk orders"][0] == newest_bulk
    assert shown["Bulk orders"][1].startswith(f"The {LESSON_ROWS} most recent of {many}.")
    assert shown["Labels"][0] == [f"Case number {i}" for i in reversed(range(many, many + few))]
    assert "most recent" not in shown["Labels"][1]
    link = part.find("a", string=re.compile("All Bulk orders cases"))
    group = soup_of(site / "categories" / link["href"].split("/")[-1])
    assert len(group.find("table", class_="cases").find("tbody").find_all("tr")) == many


# --------------------------------------------------------------------------
# 5. Charts
# --------------------------------------------------------------------------
def chart(soup: BeautifulSoup, chart_id: str):
    svgs = [s for s in soup.find_all("svg") if s.get("aria-labelledby", "").split()[:1] == [f"{chart_id}-title"]]
    assert len(svgs) == 1, f"expected one {chart_id} chart, found {len(svgs)}"
    return svgs[0]


@pytest.mark.parametrize("key", list(PERIODS))
def test_figures_page_has_five_labelled_charts(demo, key):
    root, _ = demo
    soup = soup_of(root / "site" / "figures" / f"{key}.html")
    figures = soup.find_all("figure")
    assert len(figures) == 5
    for figure in figures:
        svgs = figure.find_all("svg", recursive=False)
        assert len(svgs) == 1 and svgs[0].get("role") == "img"
        ids = svgs[0].get("aria-labelledby", "").split()
        assert len(ids) == 2
        for label_id in ids:
            found = soup.find_all(id=label_id)
            assert len(found) == 1 and text(found[0]), f"{label_id} is not one non-empty element of the page"
            assert found[0] in svgs[0].descendants


@pytest.mark.parametrize("project", ["demo", "extra"])
def test_category_chart_has_a_bar_per_category_in_count_order(request, project):
    root, cases = request.getfixturevalue(project)
    soup = soup_of(root / "site" / "figures" / "all.html")
    counts = Counter(c["category"] for c in cases if c["category"] and c["opened"] <= TODAY)
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    svg = chart(soup, "chart-category")
    bars = svg.find_all("rect", class_="bar")
    assert len(bars) == len(expected)
    labels = [text(bar.find_parent("g").find("title")) for bar in bars]
    assert labels == [f"{name}: {n}" for name, n in expected]
    widths = [float(bar["width"]) for bar in bars]
    assert widths == sorted(widths, reverse=True)
    for width, (_, n) in zip(widths, expected):
        assert width == pytest.approx(widths[0] * n / expected[0][1], abs=0.15)
    assert widths[-1] > 0


@pytest.mark.parametrize("key", list(PERIODS))
def test_flow_chart_desc_names_each_month_with_its_counts(demo, key):
    root, cases = demo
    soup = soup_of(root / "site" / "figures" / f"{key}.html")
    firsts = CHART_MONTHS[key]
    if firsts is None:
        first = min(c["opened"] for c in cases).replace(day=1)
        firsts = []
        while first <= TODAY:
            firsts.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
    desc = soup.find(id="chart-flow-desc")
    assert desc is not None and desc in chart(soup, "chart-flow").descendants
    words = text(desc)
    label = lambda d: f"{MONTHS[d.month - 1]} {d.year}"  # noqa: E731
    assert f"{label(firsts[0])} to {label(firsts[-1])}" in words
    for m in firsts:
        opened = sum(1 for c in cases if c["opened"].replace(day=1) == m)
        resolved = sum(1 for c in cases if c["status"] != "open" and c["resolved"] and c["resolved"].replace(day=1) == m)
        assert f"{label(m)}: Opened {opened}, Resolved {resolved}" in words, label(m)


# --------------------------------------------------------------------------
# 6. Exports
# --------------------------------------------------------------------------
def test_exports_are_linked_and_exist(demo):
    root, cases = demo
    site = root / "site"
    # The samples were all opened in 2026: one year's files, linked from its table; the downloads page lists them all.
    for page, hrefs in (("cases/index.html", ("../downloads.html",)),
                        ("years/2026.html", ("../cases-2026.csv", "../cases-2026.json", "../downloads.html")),
                        ("followups.html", ("followups.ics",)),
                        ("downloads.html", ("followups.ics", "cases-2026.csv", "cases-2026.json"))):
        soup = soup_of(site / page)
        links = {a["href"] for a in soup.find_all("a", href=True)}
        for href in hrefs:
            assert href in links, f"{page} does not link to {href}"
            path = link_target(site / page, href)
            assert path is not None and path.is_file() and path.stat().st_size > 0, f"{href} from {page} is missing"
    ids = {c["id"] for c in cases}
    assert {row["id"] for row in csv.DictReader(io.StringIO((site / "cases-2026.csv").read_text(encoding="utf-8-sig")))} == ids
    assert {c["id"] for c in json.loads((site / "cases-2026.json").read_text(encoding="utf-8"))["cases"]} == ids
    assert (site / "followups.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")

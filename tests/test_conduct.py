"""A customer who abused our staff (conduct: abusive): one short, plain, polite note of what was done, signed
by the business alone, and no call or check-in; a warning for staff on every page of that customer; and
the count for staff safety on the figures pages.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from amends.followups.review import review
from conftest import write_case

CASE = """\
---
title: Shouted at the counter
customer:
  name: Max Muster
  email: max@example.com
  phone: "+49 40 1234"
channel: phone
opened: 2026-11-20
resolved: 2026-11-24
status: resolved
fault: ours
severity: medium
{conduct}
about: the late delivery of your order
what_went_wrong: Your order left our kitchen an hour late.
how_resolved: We delivered it the same afternoon.
prevention: Orders are now checked against the delivery list every hour.
accommodation:
  - kind: gift-card
    amount: 10
    code: HLB-1234
    expires: 2027-06-30
---
"""
EARLIER = CASE.replace("Shouted at the counter", "Cold coffee").replace("2026-11-20", "2026-06-01").replace(
    "2026-11-24", "2026-06-02").replace("{conduct}", "")


def plan(root: Path) -> dict[str, object]:
    return {p.followup.kind: p for p in review(root, datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)).prepared
            if p.followup.case.id == "2026-11-20-shouted"}


def test_an_abusive_customer_gets_one_plain_note_and_no_call_or_check_in(root: Path):
    write_case(root, "2026-11-20-shouted.md", CASE.format(conduct="conduct: abusive"))
    kinds = plan(root)
    note = kinds["followup"].rendered
    assert note.text.startswith("Dear Max Muster,\n\nWe apologise for the late delivery of your order.\n\n"
                                "We delivered it the same afternoon.")
    # Signed by the business alone: the sample signature names four people.
    assert note.text.rstrip().endswith("Regards,\nHarbour Lane Bakery & Café") and "Priya" not in note.text
    assert "what went wrong" not in note.text.lower() and "thank you for your patience" not in note.text.lower()
    for kind in ("call", "checkin"):
        assert kinds[kind].followup.state == "skipped"
        assert "the customer was abusive to our staff (conduct: abusive)" in kinds[kind].followup.reason
    assert kinds["gift-card"].followup.state != "skipped"  # what was given is still owed
    write_case(root, "2026-11-20-shouted.md", CASE.format(conduct=""))
    kinds = plan(root)
    assert "Priya" in kinds["followup"].rendered.text and kinds["checkin"].followup.state == "upcoming"


def test_conduct_is_checked_by_line(root: Path, capsys):
    write_case(root, "2026-11-20-shouted.md", CASE.format(conduct="conduct: rude"))
    cli.main(["--root", str(root), "--today", "2026-12-01", "check"])
    line = CASE.splitlines().index("{conduct}") + 1
    assert (f"cases/2026-11-20-shouted.md:{line}: 'rude' is not a valid conduct; choose one of: abusive "
            "(the customer insulted or threatened our staff)") in capsys.readouterr().err


def test_every_page_of_the_customer_warns_staff_and_the_figures_count_it(root: Path):
    write_case(root, "2026-11-20-shouted.md", CASE.format(conduct="conduct: abusive"))
    write_case(root, "2026-06-01-coffee.md", EARLIER)
    assert cli.main(["--root", str(root), "--today", "2026-12-01", "--quiet", "build"]) in (0, 1)
    site = root / "site"

    def soup(name: str) -> BeautifulSoup:
        return BeautifulSoup((site / name).read_text(encoding="utf-8"), "html5lib")

    assert "in this case" in soup("cases/2026-11-20-shouted.html").find(id="conduct").text
    earlier = soup("cases/2026-06-01-coffee.html").find(id="conduct")
    assert earlier.a["href"] == "2026-11-20-shouted.html" and "Take care" in earlier.text
    customer = next(p for p in (site / "customers").glob("*.html") if p.name != "index.html")
    assert "Take care" in soup(f"customers/{customer.name}").find(id="conduct").text
    assert soup("figures/month.html").find(id="abusive-month").text == (
        "Cases opened in December 2026 whose customer was abusive to our staff (conduct: abusive): 0; in November 2026: 1.")
    assert "(conduct: abusive): 1." in soup("figures/all.html").find(id="abusive-all").text

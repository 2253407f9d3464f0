"""Did recovery pay: what was given back and used (`redeemed`), the customer's next purchase
(`next_purchase`), a recovered case with neither (nor a confirmation) shown as not confirmed, and the
figures: redemption, customers who came back and what they spent, and what winning one back cost beside
finding a new one (`acquisition_cost`).
"""
from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from conftest import MINIMAL_CASE, write_case

TODAY = "2026-12-07"


def case(status: str, resolved: str, given: str = "", more: str = "") -> str:
    text = MINIMAL_CASE.replace("status: resolved", f"status: {status}\n{more}").replace("resolved: 2026-03-04",
                                                                                        f"resolved: {resolved}")
    return text.replace("\n---\n", f"\naccommodation:\n{given}---\n", 1) if given else text


def check(root: Path, capsys) -> str:
    cli.main(["--root", str(root), "--today", TODAY, "check"])
    out = capsys.readouterr()
    return out.out + out.err


def build(root: Path) -> Path:
    assert cli.main(["--root", str(root), "--today", TODAY, "--quiet", "build"]) in (0, 1)
    return root / "site"


def test_redeemed_and_next_purchase_are_checked_by_line(root: Path, capsys):
    write_case(root, "2026-03-01-a.md", case("recovered", "2026-11-04", "  - kind: gift-card\n    amount: 10\n"
                                             "    sent: 2026-11-04\n    redeemed: 2026-12-24\n",
                                             "next_purchase: {date: 2026-12-08, price: 4}"))
    said = check(root, capsys)
    text = (root / "cases" / "2026-03-01-a.md").read_text(encoding="utf-8").splitlines()
    redeemed = next(i for i, line in enumerate(text, 1) if "redeemed:" in line)
    purchase = next(i for i, line in enumerate(text, 1) if line.startswith("next_purchase"))
    assert f"cases/2026-03-01-a.md:{redeemed}: 'redeemed' is in the future (2026-12-24; today is 2026-12-07)" in said
    assert f"cases/2026-03-01-a.md:{purchase}: unknown key 'next_purchase.price'" in said
    write_case(root, "2026-03-01-a.md", case("recovered", "2026-11-04", more="next_purchase: 2026-12-08"))
    assert "'next_purchase' is in the future (2026-12-08; today is 2026-12-07)" in check(root, capsys)


def heard(site: Path) -> str:
    page = BeautifulSoup((site / "cases" / "2026-03-01-cake-late.html").read_text(encoding="utf-8"), "html5lib")
    return " ".join(page.find(id="heard-h").parent.text.split())


def test_a_recovered_case_shows_the_signs_that_it_held_or_says_nothing_does(root: Path):
    write_case(root, "2026-03-01-cake-late.md", case("recovered", "2026-11-04", "  - kind: gift-card\n    amount: 10\n"
                                                     "    sent: 2026-11-04\n"))
    assert "not confirmed Marked recovered, but nothing says so yet" in heard(build(root))
    write_case(root, "2026-03-01-cake-late.md", case("recovered", "2026-11-04", "  - kind: gift-card\n    amount: 10\n"
                                                     "    sent: 2026-11-04\n    redeemed: 2026-11-20\n",
                                                     "next_purchase: {date: 2026-11-28, amount: 42}"))
    said = heard(build(root))
    assert "came back They used the gift-card on 20 Nov 2026; bought again on 28 Nov 2026 (42.00 EUR)." in said
    assert "not confirmed" not in said


def test_the_figures_say_whether_recovery_paid(root: Path):
    """November: a gift card used and a discount not; two of three settled customers bought again, for 40 and
    (in USD, not counted) 30, after 10 + 5 given back; one recovered case that cost 50; one lost case."""
    settings = root / "amends.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("acquisition_cost: 60", "acquisition_cost: 75"),
                        encoding="utf-8")
    cases = {
        "a": case("recovered", "2026-11-03", "  - kind: gift-card\n    amount: 10\n    sent: 2026-11-03\n    redeemed: 2026-11-10\n",
                  "next_purchase: {date: 2026-11-20, amount: 40}"),
        "b": case("resolved", "2026-11-04", "  - kind: discount\n    amount: 5\n",
                  "next_purchase: {date: 2026-11-21, amount: 30, currency: USD}"),
        "c": case("recovered", "2026-11-05", "  - kind: refund\n    amount: 50\n"),
        "d": case("lost", "2026-11-06", "  - kind: refund\n    amount: 99\n"),
    }
    for name, text in cases.items():
        write_case(root, f"2026-03-01-{name}.md", text.replace("Ann Example", f"Ann {name}").replace(
            "ann@example.com", f"{name}@example.com"))
    site = build(root)
    page = BeautifulSoup((site / "figures" / "quarter.html").read_text(encoding="utf-8"), "html5lib")
    cell = {key: page.find(id=f"pay-quarter-{key}").text for key in
            ("redeemed", "came-back", "spent", "spent-cost", "per-recovered", "acquisition")}
    assert cell == {"redeemed": "1 of 2 (50%)", "came-back": "2 of 3 (67%)", "spent": "40.00 EUR",
                    "spent-cost": "15.00 EUR", "per-recovered": "30.00 EUR", "acquisition": "75.00 EUR"}

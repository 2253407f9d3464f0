"""Second chances: a customer won back (recovered) and let down again within second_chance_days is on
their second chance. The new case names the earlier one in a banner, and weighs at least high for what
may be given, how often we get in touch and who reads our emails first.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.followups.review import review
from conftest import write_case

EARLIER = """\
---
title: Wedding cake delivered late
customer:
  name: Zoë Müller
  email: zoe@example.com
channel: phone
opened: 2026-06-10
resolved: 2026-06-20
status: {status}
severity: medium
---
"""
LATER = """\
---
title: Birthday cake with the wrong name
customer:
  name: Zoë Müller
  email: ZOE@example.com
channel: email
opened: 2026-11-30
resolved: 2026-12-02
status: resolved
severity: low
fault: ours
about: the wrong name on your birthday cake
what_went_wrong: The name was copied from the wrong order.
how_resolved: We made a new cake the same afternoon.
prevention: The name is now read back to you when you order.
accommodation:
  - kind: refund
    amount: 60
contacts:
  - at: 2026-11-30
    by: us
---
"""


def project(root: Path, status: str = "recovered", settings: str = "") -> Path:
    write_case(root, "2026-06-10-wedding.md", EARLIER.format(status=status))
    write_case(root, "2026-11-30-birthday.md", LATER)
    if settings:
        path = root / "amends.yaml"
        path.write_text(path.read_text(encoding="utf-8") + settings, encoding="utf-8")
    return root


def check(root: Path, capsys) -> str:
    cli.main(["--root", str(root), "--today", "2026-12-03", "check"])
    out = capsys.readouterr()
    return out.out + out.err


def test_a_second_chance_names_the_earlier_case_and_weighs_as_high(root: Path, capsys):
    project(root)
    # Low allows 15.00 EUR and no refund; high allows 150.00 EUR of anything (the sample guidelines).
    assert "(amends.yaml guidelines)" not in check(root, capsys)
    assert cli.main(["--root", str(root), "--today", "2026-12-03", "--quiet", "build"]) in (0, 1)
    page = BeautifulSoup((root / "site" / "cases" / "2026-11-30-birthday.html").read_text(encoding="utf-8"), "html5lib")
    banner = page.find(id="second-chance")
    assert "A second chance." in banner.text and banner.a["href"] == "2026-06-10-wedding.html"
    assert "counts as high" in banner.text
    assert page.find(id="guideline").text.startswith("within the guideline for a high case")
    followup = next(p.followup for p in review(root, datetime(2026, 12, 7, 10, tzinfo=timezone.utc)).prepared
                    if p.followup.kind == "followup" and p.followup.case.id == "2026-11-30-birthday")
    assert followup.state == "approval"
    assert "severity high, as a second chance after 2026-06-10-wedding: a person reads it first" in followup.reason
    # Open again: high is every 2 days, and our last word was on 30 Nov.
    write_case(root, "2026-11-30-birthday.md", LATER.replace("resolved: 2026-12-02\nstatus: resolved", "status: open"))
    assert cli.main(["--root", str(root), "--today", "2026-12-03", "--quiet", "build"]) in (0, 1)
    home = BeautifulSoup((root / "site" / "index.html").read_text(encoding="utf-8"), "html5lib")
    assert "no contact for 3 days; high: every 2 days" in home.find(id="attention-touch").text


@pytest.mark.parametrize("status, settings", [("resolved", ""), ("lost", ""), ("recovered", "second_chance_days: 100\n")])
def test_no_second_chance_without_a_recovery_within_the_days(root: Path, capsys, status: str, settings: str):
    project(root, status, settings)
    said = check(root, capsys)
    assert "gives 60.00 EUR, more than the 15.00 EUR a low case may get" in said
    assert cli.main(["--root", str(root), "--today", "2026-12-03", "--quiet", "build"]) in (0, 1)
    page = BeautifulSoup((root / "site" / "cases" / "2026-11-30-birthday.html").read_text(encoding="utf-8"), "html5lib")
    assert page.find(id="second-chance") is None


def test_the_banner_follows_the_earlier_case_when_only_that_file_changes(root: Path):
    project(root, "resolved")
    assert cli.main(["--root", str(root), "--today", "2026-12-03", "--quiet", "build"]) in (0, 1)
    page = root / "site" / "cases" / "2026-11-30-birthday.html"
    assert "second-chance" not in page.read_text(encoding="utf-8")
    write_case(root, "2026-06-10-wedding.md", EARLIER.format(status="recovered"))
    assert cli.main(["--root", str(root), "--today", "2026-12-03", "--quiet", "build"]) in (0, 1)
    assert 'id="second-chance"' in page.read_text(encoding="utf-8")

"""The smaller points of issue 21: each one a way a user could be misled or a case lost without a word."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends.cases.project import load_project
from amends.cli import main
from amends.followups.send import send_pass

from conftest import MINIMAL_CASE, TODAY, write_case
from test_send import at, case as send_case, events, write_config
from test_tasks_and_guard import case as guard_case, project as guard_project


def test_new_skips_an_id_another_case_claims(capsys, root):
    """`new` never names its file after an id that another case holds with `id:`, in any case of letters."""
    held = MINIMAL_CASE.replace("title: Cake delivered late", "id: 2026-11-22-Cake-late\ntitle: Cake delivered late")
    write_case(root, "2026-03-01-old-cake.md", held)
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "new", "--title", "Cake late", "--name", "Bo"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (root / "cases").iterdir()) == ["2026-03-01-old-cake.md", "2026-11-22-cake-late-2.md"]
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    assert sorted(c.id for c in project.cases) == ["2026-11-22-Cake-late", "2026-11-22-cake-late-2"]


GIFT_CARD_CASE = """\
---
title: Cake delivered late
customer:
  name: Ann Example
  email: ann@example.com
channel: email
opened: 2026-11-16
resolved: 2026-11-16
status: resolved
fault: ours
about: the late delivery of your cake
what_went_wrong: The van broke down (the second time this month).
how_resolved: We refunded the delivery fee (see https://shop.example.com/refunds).
prevention: A second van is now on standby every Saturday.
accommodation:
  - kind: gift-card
    amount: 25
    url: https://shop.example.com/gift/(7Q4Z)
---
The cake arrived two hours late.
"""


def html_links(eml: Path) -> list[str]:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    return [a["href"] for a in BeautifulSoup(html, "html5lib").find_all("a")]


def test_a_url_keeps_its_own_closing_bracket(capsys, root):
    """The gift card's link keeps the ")" it ends with; a URL in brackets does not take the bracket."""
    write_case(root, "cake.md", GIFT_CARD_CASE)
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "followups"])
    assert code == 0, capsys.readouterr()
    links = [link for eml in sorted((root / "outbox" / "preview").rglob("*.eml")) for link in html_links(eml)]
    assert "https://shop.example.com/gift/(7Q4Z)" in links
    assert "https://shop.example.com/refunds" in links
    assert not any(link.startswith("https://shop.example.com/gift/(7Q4Z") and link != "https://shop.example.com/gift/(7Q4Z)"
                   for link in links)


def label_case(opened: str, name: str, team: str, category: str, tag: str) -> str:
    return f"""---
title: Coffee served cold
customer:
  name: {name}
  email: {name.lower()}@example.com
channel: in-person
opened: {opened}
resolved: {opened}
status: resolved
team: {team}
category: {category}
tags: [{tag}]
prevention: The machine is now serviced every month.
---
The coffee was cold.
"""


def test_labels_that_differ_only_in_unicode_form_or_case_are_one(capsys, root):
    """"Café" typed (NFC) and pasted (NFD) is one team page that both cases link to; "Service" and "service",
    "Crème" and "crème" are one category and one tag, so the later case is a repeat failure of the earlier."""
    write_case(root, "a.md", label_case("2026-10-01", "Ann", "Caf\u00e9", "Service", "Cr\u00e8me"))
    write_case(root, "b.md", label_case("2026-11-01", "Bo", "Cafe\u0301", "service", "cre\u0300me"))
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "build"])
    assert code == 0, capsys.readouterr()
    site = root / "site"
    for section in ("teams", "categories", "tags"):
        assert len(list((site / section).glob("*.html"))) == 2, section  # the index and one group
        # The first table: the teams index has one a period, all time first.
        rows = BeautifulSoup((site / section / "index.html").read_text(encoding="utf-8"), "html5lib").find("tbody").find_all("tr")
        assert len(rows) == 1 and rows[0].find_all("td")[1].get_text() == "2", section
    # Each case page links its own spelling to the one page: "Service" and "service" alike.
    for section in ("teams", "categories", "tags"):
        links = []
        for case_id in ("a", "b"):
            page = BeautifulSoup((site / "cases" / f"{case_id}.html").read_text(encoding="utf-8"), "html5lib")
            links.append({a["href"] for a in page.find_all("a", href=True) if f"{section}/" in a["href"]
                          and not a["href"].endswith("index.html")})
        assert links[0] == links[1] and len(links[0]) == 1, (section, links)
    lessons = (site / "lessons.html").read_text(encoding="utf-8")
    assert "Preventions that did not hold (1)" in lessons


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "right/Europe/Berlin", "posix/Europe/Berlin"])
def test_a_machine_time_zone_file_is_refused(capsys, root, zone):
    """Only IANA names from the tzdata package: the files of this computer's zoneinfo folder are refused,
    in amends.yaml and for a customer, on their line."""
    config = root / "amends.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("timezone: Europe/Berlin", f"timezone: {zone}"),
                      encoding="utf-8")
    line = config.read_text(encoding="utf-8").splitlines().index(f"timezone: {zone}") + 1
    write_case(root, "cake.md", MINIMAL_CASE.replace("channel: email", f"  timezone: {zone}\nchannel: email"))
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "check"])
    out, err = capsys.readouterr()
    assert code != 0
    for where in (f"amends.yaml:{line}", "cases/cake.md:6"):
        said = [l for l in (out + err).splitlines() if l.startswith(f"{where}: '{zone}'")]
        assert len(said) == 1 and "use an IANA name like" in said[0], (where, out + err)


def test_a_time_zone_in_the_wrong_case_is_named_as_meant(capsys, root):
    write_case(root, "cake.md", MINIMAL_CASE.replace("channel: email", "  timezone: europe/berlin\nchannel: email"))
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "check"])
    out, err = capsys.readouterr()
    assert code != 0
    assert "cases/cake.md:6: 'europe/berlin' is not a known time zone; use an IANA name like Europe/Berlin" in out + err


DATES_CASE = """\
---
title: Cake delivered late
customer:
  name: Ann Example
  email: ann@example.com
channel: email
opened: 2026-02-30
status: open
contacts:
  - at: 2026-03-01T10:00+25:00
  - at: 2026-11-23 9:30
  - at: 2250-03-01 9:00
  - at: 2026-03-01T9:61
---
The cake was late.
"""


def test_date_errors_quote_the_value_as_written(capsys, root):
    """Every date problem names the value as the user typed it and says in plain words what is wrong."""
    write_case(root, "cake.md", DATES_CASE)
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "check"])
    out, err = capsys.readouterr()
    said = out + err
    assert code != 0
    for line in [
        "cases/cake.md:7: 'opened' is not a real date: '2026-02-30' (February 2026 has 28 days)",
        "cases/cake.md:10: 'contacts[1].at' is not a real date and time: '2026-03-01T10:00+25:00' "
        "(a UTC offset is less than 24 hours, e.g. +01:00)",
        "cases/cake.md:11: the contact on 2026-11-23 9:30 is in the future (today is 2026-11-22)",
        "cases/cake.md:12: 'contacts[3].at' should be a date between 1900 and 2199, not '2250-03-01 9:00'",
        "cases/cake.md:13: 'contacts[4].at' is not a real date and time: '2026-03-01T9:61' "
        "(a time runs from 00:00 to 23:59)",
    ]:
        assert line in said, said
    for python in ("datetime", "timedelta", "isoformat", "out of range", "must be in"):
        assert python not in said


def test_send_without_a_password_lists_what_is_due(capsys, root, monkeypatch):
    """With a login name and no password nothing can go, and the pass says which messages wait, not only why."""
    monkeypatch.delenv("AMENDS_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    write_config(root, 9, transport="smtp")
    config = root / "amends.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("timeout: 5}", "timeout: 5, user: care}"),
                      encoding="utf-8")
    write_case(root, "cake.md", send_case("ann@example.com", "2026-03-02"))
    code = main(["--root", str(root), "--now", "2026-03-04T10:00", "send"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "error: no SMTP password: set AMENDS_SMTP_PASSWORD" in err
    assert "Pass by smtp: nothing sent, 1 thing to act on." in out
    assert "  due       cake apology: not sent to ann@example.com: the pass stopped (see the error above)" in out
    assert not (root / "outbox" / "ledger.jsonl").exists() or "cake/apology" not in (root / "outbox" / "ledger.jsonl").read_text()


def with_address(lines: list[str]) -> str:
    block = "\n".join(f"    {line}" for line in lines)
    return MINIMAL_CASE.replace("channel: email", f"  address: |\n{block}\nchannel: email")


def test_an_address_that_cannot_fit_the_envelope_window_is_a_problem(capsys, root):
    """A 400-character line or a 60-line address would print outside the window, over two sheets."""
    write_case(root, "long.md", with_address(["Hauptstraße 1 " + "x" * 386, "10115 Berlin"]))
    write_case(root, "tall.md", with_address([f"Line {n}" for n in range(60)]))
    write_case(root, "fits.md", with_address(["Zoë Example", "Flat 3, Harbour View House", "12 Quay Street",
                                              "Cork T12 AB34", "Ireland"]))
    config = root / "amends.yaml"
    text = config.read_text(encoding="utf-8")
    more = "".join(f"    Floor {n}\n" for n in range(6))
    config.write_text(text.replace("    Germany\n", "    Germany\n" + more, 1), encoding="utf-8")
    sender_line = next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith("  address: |"))
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "check"])
    out, err = capsys.readouterr()
    said = out + err
    assert code != 0
    assert (f"amends.yaml:{sender_line}: 'business.address' has 9 lines; at most 8 fit in an envelope's window"
            in said), said
    assert "cases/long.md:6: line 1 of 'customer.address' has 400 characters; at most 60 fit in an envelope's window, " \
           "so split it: 'Hauptstraße 1 xxx" in said
    assert "cases/tall.md:6: 'customer.address' has 60 lines; at most 8 fit in an envelope's window" in said
    assert "fits.md" not in said


def test_a_copy_is_not_held_for_a_case_whose_email_does_not_go(root):
    """The copy guard holds a copied case only for an email that goes: one that waits for approval (found
    only when it is written) holds nothing back, and the copy goes in its place."""
    guard_project(root)
    write_case(root, "cake.md", guard_case(opened="2026-03-01", resolved="2026-03-02",
                                           about="the late cake for the patient"))
    write_case(root, "cake-copy.md", guard_case(opened="2026-03-01", resolved="2026-03-02", about="your late cake"))
    report = send_pass(root, at("2026-03-04"))
    assert [e["key"] for e in events(root) if e["ev"] == "sent"] == ["cake-copy/apology/2026-03-02"]
    assert [(a.case, a.kind, a.state) for a in report.attention] == [("cake", "apology", "approval")]
    assert not any("sends the same" in a.reason for a in report.attention)

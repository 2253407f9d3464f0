"""Staff tasks keep the business's hours, and the resend guard holds only the same complaint.

Every case here is a file as a person writes it, read with the project's amends.yaml;
passes use the outbox transport, so nothing needs a mail server. Dates worked out by
hand: 2026-03-04 is a Wednesday, 2026-03-06 a Friday; Berlin is on CET (UTC+1) until
29 March, Tokyo always UTC+9.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from amends.cli import main
from amends.followups.review import review
from amends.followups.send import send_pass

from conftest import write_case
from test_send import at, cli, events, write_config

BERLIN = ZoneInfo("Europe/Berlin")


def case(*, opened: str, resolved: str | None = None, channel: str = "email", email: str | None = "ann@example.com",
         phone: str | None = None, zone: str | None = None, about: str | None = None,
         wrong: str = "The van broke down on the way.", contacts: str = "") -> str:
    """A case file as a person writes it; resolved when given a resolved date, else still open."""
    lines = ["---", "title: Cake delivered late", "customer:", "  name: Ann Example"]
    lines += [f"  email: {email}"] * bool(email) + [f'  phone: "{phone}"'] * bool(phone) + [f"  timezone: {zone}"] * bool(zone)
    lines += [f"channel: {channel}", f"opened: {opened}"]
    lines += [f"resolved: {resolved}", "status: resolved"] if resolved else ["status: open"]
    lines += [f"about: {about}"] * bool(about) + [f"what_went_wrong: {wrong}",
                                                  "how_resolved: We brought a new cake ourselves.",
                                                  "prevention: A second van is now on standby."]
    return "\n".join(lines) + "\n" + contacts + "---\nThe cake was late.\n"


def project(root: Path) -> Path:
    write_config(root, 2525, transport="outbox")
    return root


def followup(root: Path, now: datetime, case_id: str, kind: str):
    [item] = [p for p in review(root, now).prepared if p.followup.case.id == case_id and p.followup.kind == kind]
    return item.followup


def sent(root: Path) -> list[str]:
    return [e["key"] for e in events(root) if e["ev"] == "sent"]


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


# --------------------------------------------------------------------------
# A. Staff tasks keep the business's hours
# --------------------------------------------------------------------------
def test_a_call_is_due_in_the_business_hours_not_the_customers(root):
    project(root)
    write_case(root, "far.md", case(opened="2026-03-04", resolved="2026-03-06", channel="phone",
                                    phone="+81 3 1234 5678", zone="Asia/Tokyo"))
    # The apology goes at 09:00 in Tokyo on Tue 10 March: 01:00 in Berlin.
    apology = followup(root, at("2026-03-09"), "far", "apology")
    assert apology.due_at == datetime(2026, 3, 10, 1, 0, tzinfo=BERLIN)
    # The call is made by a person here: at the window's opening in Berlin that day, not at 01:00.
    call = followup(root, at("2026-03-09"), "far", "call")
    assert call.due_at == datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)
    assert (call.state, call.when) == ("upcoming", datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN))
    assert followup(root, at("2026-03-10", "08:59"), "far", "call").state == "upcoming"
    assert followup(root, at("2026-03-10", "09:00"), "far", "call").state == "due"


def test_a_letter_is_due_in_the_business_hours_too(root):
    project(root)
    text = case(opened="2026-03-04", resolved="2026-03-06", channel="letter", zone="Asia/Tokyo")
    write_case(root, "far.md", text.replace("  timezone:", "  address: |\n    1-2-3 Ginza\n    Tokyo\n  timezone:"))
    letter = followup(root, at("2026-03-09"), "far", "letter")
    assert letter.due_at == datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)


def test_a_social_answer_is_due_the_day_of_the_post_while_the_case_is_still_open(root):
    project(root)
    write_case(root, "post.md", case(opened="2026-03-04", channel="social", zone="Asia/Tokyo"))
    before = followup(root, at("2026-03-04", "08:00"), "post", "social")
    assert (before.state, before.due_at) == ("upcoming", datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN))
    assert before.reason == "answer where they posted, soon after the post"
    assert before.key == "post/social/2026-03-04"
    now = followup(root, at("2026-03-04", "10:00"), "post", "social")
    assert now.state == "due" and "python build.py done post social" in now.reason
    # Nothing else of an open case: the emails wait for the resolution.
    assert [p.followup.kind for p in review(root, at("2026-03-04", "10:00")).prepared] == ["social"]

    # Resolved later: the answer keeps its day and its key, and the emails are planned.
    write_case(root, "post.md", case(opened="2026-03-04", resolved="2026-03-06", channel="social", zone="Asia/Tokyo"))
    later = followup(root, at("2026-03-09"), "post", "social")
    assert (later.state, later.due_at, later.key) == ("due", datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN),
                                                      "post/social/2026-03-04")
    assert followup(root, at("2026-03-09"), "post", "apology").state == "upcoming"


def test_a_post_on_a_saturday_is_answered_at_the_next_opening(root):
    project(root)
    write_case(root, "post.md", case(opened="2026-03-07", channel="social"))
    assert followup(root, at("2026-03-07"), "post", "social").due_at == datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)


def test_an_open_case_with_a_post_to_answer_shows_everywhere_and_can_be_marked_done(root, capsys):
    project(root)
    write_case(root, "post.md", case(opened="2026-03-04", channel="social"))
    # The site: on the home page's list of things to do, on the follow-ups page and the case's page.
    assert main(["--root", str(root), "--now", "2026-03-04T10:00", "build"]) == 0
    home = soup(root / "site" / "index.html").find("ul", id="attention-tasks")
    assert "Answer Ann Example where they posted" in home.get_text()
    tasks = soup(root / "site" / "followups.html").select("ul.tasks > li")
    assert len(tasks) == 1 and "to do: answer where they posted" in tasks[0].get_text()
    rows = soup(root / "site" / "cases" / "post.html").select("table.followups tbody tr")
    assert [r.find_all("td")[0].get_text() for r in rows] == ["social"]
    # The followups command, and a send pass, which sends nothing and names it as something to do.
    code, out, err = cli(capsys, root, at("2026-03-04", "10:00"), "followups")
    assert code == 0 and "due" in out and " post " in out and " social " in out
    report = send_pass(root, at("2026-03-04", "10:00"))
    assert report.results == [] and [(a.state, a.kind) for a in report.attention] == [("due", "social")]
    # Marked done by a person: recorded under the day of the post.
    code, out, err = cli(capsys, root, at("2026-03-04", "11:00"), "done", "post", "social")
    assert code == 0, err
    assert [(e["key"], e["ev"]) for e in events(root)] == [("post/social/2026-03-04", "done")]
    assert followup(root, at("2026-03-04", "11:05"), "post", "social").state == "done"


def test_a_social_answer_marked_done_in_an_older_ledger_stays_done(root):
    project(root)
    write_case(root, "post.md", case(opened="2026-03-04", resolved="2026-03-06", channel="social"))
    # Before the answer stopped waiting for the resolution, it was recorded under the resolved day.
    (root / "outbox").mkdir()
    (root / "outbox" / "ledger.jsonl").write_text(json.dumps(
        {"v": 1, "ts": "2026-03-10T11:00:00+01:00", "key": "post/social/2026-03-06", "ev": "done"}) + "\n",
        encoding="utf-8")
    got = followup(root, at("2026-03-11"), "post", "social")
    assert (got.state, got.reason) == ("done", "marked done by a person")


def test_a_social_answer_logged_in_the_case_file_is_done(root):
    project(root)
    contacts = ("contacts:\n"
                "  - {at: 2026-03-04 08:10, by: customer, channel: social, note: Posted a photo of the cake.}\n"
                "  - {at: 2026-03-04 08:30, by: us, channel: email, note: Emailed the shop manager.}\n")
    write_case(root, "post.md", case(opened="2026-03-04", channel="social", contacts=contacts))
    # An email of ours is not the answer where they posted.
    assert followup(root, at("2026-03-04", "12:00"), "post", "social").state == "due"

    answered = contacts + "  - {at: 2026-03-04 11:30, by: us, channel: social, note: Answered under the post.}\n"
    write_case(root, "post.md", case(opened="2026-03-04", channel="social", contacts=answered))
    got = followup(root, at("2026-03-04", "12:00"), "post", "social")
    assert got.state == "done"
    assert got.reason == "done: you answered where they posted on 4 Mar 2026 (contact in the case file)"
    assert got.when == datetime(2026, 3, 4, 11, 30, tzinfo=BERLIN)


def test_a_call_logged_after_it_fell_due_is_done_and_one_while_the_case_was_open_is_not(root):
    project(root)
    # Resolved Fri 6 March; the follow-up call falls due Tue 10 March at 09:00.
    early = ("contacts:\n"
             "  - {at: 2026-03-04, by: customer, channel: phone, note: Called about the cake.}\n"
             "  - {at: 2026-03-06 15:00, by: us, channel: phone, note: Offered a refund; accepted.}\n"
             "  - {at: 2026-03-09, by: us, channel: phone, note: Left a voicemail about the new van.}\n")
    def call(contacts: str) -> str:
        return case(opened="2026-03-04", resolved="2026-03-06", channel="phone", phone="+49 40 1234", contacts=contacts)

    write_case(root, "cake.md", call(early))
    assert followup(root, at("2026-03-10", "12:00"), "cake", "call").state == "due"

    write_case(root, "cake.md", call(early + "  - {at: 2026-03-10 14:00, by: us, channel: phone, note: All well now.}\n"))
    got = followup(root, at("2026-03-10", "15:00"), "cake", "call")
    assert got.state == "done"
    assert got.reason == "done: you called on 10 Mar 2026 (contact in the case file)"
    # A call logged with its day only counts from the day the call fell due.
    write_case(root, "cake.md", call(early + "  - {at: 2026-03-11, by: us, channel: phone, note: All well now.}\n"))
    assert followup(root, at("2026-03-11", "15:00"), "cake", "call").state == "done"


def test_a_call_without_a_phone_number_is_blocked(root):
    project(root)
    for channel, address in (("phone", "ann@example.com"), ("in-person", "bo@example.com")):
        write_case(root, f"{channel}.md", case(opened="2026-03-04", resolved="2026-03-06", channel=channel, email=address))
    state = review(root, at("2026-03-10", "10:00"))
    calls = [p.followup for p in state.prepared if p.followup.kind == "call"]
    assert [(f.case.id, f.state) for f in calls] == [("in-person", "blocked"), ("phone", "blocked")]
    assert {f.reason for f in calls} == {"the call needs the customer's phone number (customer.phone in the case file)"}
    # The emails still go where there is an address.
    assert followup(root, at("2026-03-10", "10:00"), "phone", "apology").state == "due"


# --------------------------------------------------------------------------
# B. The resend guard holds only the same complaint
# --------------------------------------------------------------------------
def test_a_different_complaint_from_the_same_address_is_not_held(root):
    project(root)
    write_case(root, "cake.md", case(opened="2026-03-01", resolved="2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "bread.md", case(opened="2026-03-05", resolved="2026-03-06", about="the stale bread",
                                      wrong="The bread was from the day before."))
    send_pass(root, at("2026-03-10"))
    assert "bread/apology/2026-03-06" in sent(root)
    assert followup(root, at("2026-03-10", "10:05"), "bread", "apology").state == "sent"


def test_a_copy_with_another_opened_date_but_the_same_words_is_held(root):
    project(root)
    write_case(root, "cake.md", case(opened="2026-03-01", resolved="2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake-copy.md", case(opened="2026-03-02", resolved="2026-03-03",
                                          wrong="The van  broke down on the WAY."))
    send_pass(root, at("2026-03-05"))
    assert sent(root) == ["cake/apology/2026-03-02", "cake/explanation/2026-03-02"]
    got = followup(root, at("2026-03-05", "10:05"), "cake-copy", "apology")
    assert got.state == "held"
    assert got.reason == ("held so that it does not go twice: the apology already went to ann@example.com on "
                          "4 Mar 2026 (case cake). Send it anyway: python build.py release cake-copy apology")


def test_two_complaints_due_at_once_both_go_and_a_copy_does_not(root):
    project(root)
    write_case(root, "cake.md", case(opened="2026-03-01", resolved="2026-03-02"))
    write_case(root, "bread.md", case(opened="2026-02-27", resolved="2026-03-02", about="the stale bread",
                                      wrong="The bread was from the day before."))
    write_case(root, "cake-copy.md", case(opened="2026-03-01", resolved="2026-03-02", wrong="Another text."))
    report = send_pass(root, at("2026-03-04"))
    assert sorted(k for k in sent(root) if "/apology/" in k) == ["bread/apology/2026-03-02", "cake/apology/2026-03-02"]
    assert [(a.case, a.state) for a in report.attention] == [("cake-copy", "held")]
    assert "case cake sends the same apology" in report.attention[0].reason


def test_an_earlier_case_that_is_gone_holds_as_it_cannot_be_told_apart(root):
    project(root)
    old = write_case(root, "cake.md", case(opened="2026-03-01", resolved="2026-03-02"))
    send_pass(root, at("2026-03-04"))
    old.unlink()
    write_case(root, "bread.md", case(opened="2026-03-05", resolved="2026-03-06", about="the stale bread",
                                      wrong="The bread was from the day before."))
    send_pass(root, at("2026-03-10"))
    assert sent(root) == ["cake/apology/2026-03-02"]
    got = followup(root, at("2026-03-10", "10:05"), "bread", "apology")
    assert got.state == "held"
    assert ("the apology already went to ann@example.com on 4 Mar 2026 (case cake, which no longer exists, so "
            "amends cannot tell whether it was about this complaint). Send it anyway: "
            "python build.py release bread apology") in got.reason


def test_a_held_follow_up_that_turns_missed_keeps_why_it_was_held(root):
    project(root)
    write_case(root, "cake.md", case(opened="2026-03-01", resolved="2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake-copy.md", case(opened="2026-03-01", resolved="2026-03-02"))
    # Due Wed 4 March; three business days later, at the window's close on Mon 9 March, it is late.
    assert followup(root, at("2026-03-09", "16:59"), "cake-copy", "apology").state == "held"
    got = followup(root, at("2026-03-09", "17:00"), "cake-copy", "apology")
    assert got.state == "missed"
    assert got.reason == (
        "not sent: it was held so that it does not go twice (the apology already went to ann@example.com on "
        "4 Mar 2026, case cake), and is now more than 3 business days late. Send it anyway: "
        "python build.py release cake-copy apology; or mark it handled: python build.py done cake-copy apology")


def test_a_post_from_before_amends_began_asks_for_no_answer(root):
    write_config(root, 2525, transport="outbox", followups="  since: 2026-03-05\n")
    write_case(root, "old.md", case(opened="2026-03-04", channel="social"))
    write_case(root, "new.md", case(opened="2026-03-05", channel="social", email="bo@example.com"))
    old = followup(root, at("2026-03-05"), "old", "social")
    assert (old.state, old.reason) == ("skipped", "not asked for: the complaint was posted on 4 Mar 2026, "
                                                  "before amends began on 5 Mar 2026")
    assert followup(root, at("2026-03-05"), "new", "social").state == "due"
    # The site counts follow-ups of cases resolved before that day apart: an open case is not one of them.
    assert main(["--root", str(root), "--now", "2026-03-05T10:00", "build"]) == 0
    # Not sent is over: on the page of the year it was due.
    skipped = soup(root / "site" / "followups-2026.html").find("section", attrs={"aria-labelledby": "skipped"})
    assert "posted on 4 Mar 2026" in skipped.get_text()

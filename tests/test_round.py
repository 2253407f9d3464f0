"""Follow-ups as a round: who got in touch, the order and spacing of the kinds, the customer's hours.

Every expected moment here is worked out by hand from a calendar (2026-03-06 is a
Friday; the US moves its clocks on Sunday 2026-03-08 and Sunday 2026-11-01, Europe
on Sunday 2026-03-29 and Sunday 2026-10-25), never from amends.plan itself.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from amends.cases.config import Step
from amends.cli import main
from amends.cli.show import their_time
from amends.model import Accommodation, Contact, Customer, FollowupOverrides

from conftest import CLASSIC_PLAN_YAML, write_case
from test_plan import CONFIG, at, by_kind, ev, make_case, one, run

UTC = timezone.utc
LA = ZoneInfo("America/Los_Angeles")
GIFT = (Accommodation("gift-card", Decimal("20"), "EUR"),)


# --------------------------------------------------------------------------
# Who got in touch
# --------------------------------------------------------------------------
def test_our_own_call_after_resolution_does_not_hold():
    case = make_case(contacts=(Contact(datetime(2026, 3, 9, 11, 0), "phone", "We called to check in", by="us"),))
    got = run(case, at(2026, 3, 10, 10))
    assert {f.kind: f.state for f in got}["apology"] == "due"
    assert not any(f.state == "held" for f in got)


def test_the_customer_getting_in_touch_after_resolution_holds():
    case = make_case(contacts=(Contact(datetime(2026, 3, 9, 11, 0), "phone", "We called to check in", by="us"),
                               Contact(date(2026, 3, 9), "email", "They wrote back, still unhappy", by="customer")))
    got = run(case, at(2026, 3, 10, 10))
    assert got and all(f.state == "held" for f in got)
    assert all("9 Mar 2026" in f.reason for f in got)


# --------------------------------------------------------------------------
# Catching up counts to the close of the window
# --------------------------------------------------------------------------
def test_upcoming_at_nine_the_night_before_is_due_at_nine_oh_one():
    # catch_up_days 0: only on the day it was due. Apology due Tue 10 March 09:00.
    config = dataclasses.replace(CONFIG, catch_up_days=0)
    night = one(make_case(), "apology", at(2026, 3, 9, 22, 0), config=config)
    assert (night.state, night.when) == ("upcoming", at(2026, 3, 10, 9, 0))
    morning = one(make_case(), "apology", at(2026, 3, 10, 9, 1), config=config)
    assert (morning.state, morning.reason) == ("due", "due now")
    assert one(make_case(), "apology", at(2026, 3, 10, 16, 59), config=config).state == "due"
    assert one(make_case(), "apology", at(2026, 3, 10, 17, 0), config=config).state == "missed"


# --------------------------------------------------------------------------
# One round, in order
# --------------------------------------------------------------------------
# Resolved Fri 6 March: apology Tue 10 March 09:00, explanation Wed 11, thanks Fri 13.
# With catch_up_days 3 the apology is missed once Fri 13 March 17:00 has passed.

def test_with_the_apology_missed_the_later_kinds_wait_and_say_why():
    got = by_kind(make_case(), at(2026, 3, 16, 10, 0))
    assert got["apology"].state == "missed"
    for kind in ("explanation", "thanks"):
        assert got[kind].state == "upcoming", (kind, got[kind].reason)
        assert got[kind].reason == "waits for the apology, which was missed: a person decides (release or done) first"


@pytest.mark.parametrize("events, state, words", [
    ([("permfail", {"code": 550, "reply": "no such user"})], "failed", "which failed"),
    ([("attempt", {}), ("data", {})], "check", "which may have arrived"),
])
def test_a_failed_or_uncertain_apology_holds_the_rest(events, state, words):
    case = make_case()
    log = [ev(case, "apology", name, at(2026, 3, 10, 10, 0), transport="smtp", **details) for name, details in events]
    got = by_kind(case, at(2026, 3, 11, 10, 0), events=log)  # the explanation's own due day
    assert got["apology"].state == state
    assert got["explanation"].state == "upcoming"
    assert got["explanation"].reason.startswith(f"waits for the apology, {words}")


def test_an_apology_waiting_for_approval_holds_the_rest():
    config = dataclasses.replace(CONFIG, plan=(Step("apology", 2, True, "apology", approval=True),
                                               Step("explanation", 3, True, "explanation")))
    got = by_kind(make_case(), at(2026, 3, 11, 10, 0), config=config)
    assert got["apology"].state == "approval"
    assert (got["explanation"].state, got["explanation"].reason) == ("upcoming", "waits for the apology, which waits for approval")


def test_the_gift_card_goes_with_the_apology_and_never_before_it():
    case = make_case(accommodation=GIFT)
    got = by_kind(case, at(2026, 3, 10, 10, 0))
    # Distance 0: the gift card goes a minute after the apology, in the next pass, never before it.
    assert (got["apology"].state, got["gift-card"].state) == ("due", "upcoming")
    assert got["gift-card"].when == at(2026, 3, 10, 10, 1)
    sent = [ev(case, "apology", "sent", at(2026, 3, 10, 10, 0, 30), transport="smtp", msgid="<a@x>")]
    assert one(case, "gift-card", at(2026, 3, 10, 10, 1), events=sent).state == "upcoming"
    assert one(case, "gift-card", at(2026, 3, 10, 10, 1, 30), events=sent).state == "due"
    # The apology failed for now: the gift card waits for its retry.
    log = [ev(case, "apology", "tempfail", at(2026, 3, 10, 10, 0), transport="smtp", code=451)]
    got = by_kind(case, at(2026, 3, 10, 10, 1), events=log)
    assert got["apology"].when == at(2026, 3, 10, 10, 5)
    assert (got["gift-card"].state, got["gift-card"].when) == ("upcoming", at(2026, 3, 10, 10, 6))
    assert got["gift-card"].reason == "waits for the apology, then goes out right after it"


def test_after_a_released_late_apology_the_rest_keeps_its_distance():
    case = make_case()
    log = [ev(case, "apology", "released", at(2026, 3, 16, 10, 0)),
           ev(case, "apology", "sent", at(2026, 3, 16, 10, 5), transport="smtp", msgid="<a@x>")]
    got = by_kind(case, at(2026, 3, 16, 12, 0), events=log)
    # One business day after Mon 16 March 10:05; thanks three days after the apology
    # (Tue 10 to Fri 13 March as planned) and two after the explanation: Thu 19 March 10:05.
    assert (got["explanation"].state, got["explanation"].when) == ("upcoming", at(2026, 3, 17, 10, 5))
    assert got["explanation"].reason == "goes out 1 business day after the apology was sent"
    assert (got["thanks"].state, got["thanks"].when) == ("upcoming", at(2026, 3, 19, 10, 5))
    # Its own catch-up days ran out on Mon 16 March; it counts from the late apology instead.
    assert one(case, "explanation", at(2026, 3, 17, 10, 5), events=log).state == "due"


def test_a_round_dropped_by_hand_does_not_go_on_with_stale_mail():
    case = make_case()
    log = [ev(case, "apology", "done", at(2026, 3, 16, 10, 0))]
    waiting = one(case, "explanation", at(2026, 3, 16, 12, 0), events=log)
    assert (waiting.state, waiting.when) == ("upcoming", at(2026, 3, 17, 10, 0))
    assert waiting.reason == "goes out 1 business day after the apology was marked done"
    # Due Wed 11 March, its catch-up days ended Mon 16 March 17:00: a person decides.
    assert one(case, "explanation", at(2026, 3, 17, 10, 0), events=log).state == "missed"


def simulate(case, config, start: datetime, end: datetime, off: tuple[datetime, datetime]) -> list[tuple[str, datetime]]:
    """Passes every 15 minutes from `start` to `end`, none while the sender is `off`; each sends what is due."""
    log: list[dict] = []
    sent: list[tuple[str, datetime]] = []
    now = start
    while now <= end:
        if not off[0] <= now < off[1]:
            for f in run(case, now, config=config, events=log):
                assert f.state not in ("missed", "blocked", "failed", "check", "held"), (now, f.kind, f.state, f.reason)
                if f.state == "due" and not f.is_task:
                    log.append(ev(case, f.kind, "sent", now, transport="smtp", msgid=f"<{f.kind}@x>"))
                    sent.append((f.kind, now))
        now += timedelta(minutes=15)
    return sent


def test_after_five_days_of_downtime_the_round_goes_out_in_order_and_spaced():
    case = make_case(accommodation=GIFT)
    # The sender is off from Sat 7 March to the end of Wed 11 March: the apology and the gift card
    # (due Tue 10) and the explanation (due Wed 11) are late; the apology's catch-up ends Fri 13.
    sent = simulate(case, CONFIG, at(2026, 3, 6, 0, 0), at(2026, 3, 20, 0, 0),
                    off=(at(2026, 3, 7, 0, 0), at(2026, 3, 12, 0, 0)))
    assert [kind for kind, _ in sent] == ["apology", "gift-card", "explanation", "thanks"]
    when = dict(sent)
    assert when["apology"] == at(2026, 3, 12, 9, 0)     # Thu, first pass back
    assert when["gift-card"] == at(2026, 3, 12, 9, 15)  # the next pass: never in the apology's minute
    assert when["explanation"] == at(2026, 3, 13, 9, 15)  # one business day after the gift card: Fri
    # Three days after the apology (Sun 15) and two after the explanation (Sun 15): Monday's opening.
    assert when["thanks"] == at(2026, 3, 16, 9, 0)


def test_a_fixed_later_date_for_the_apology_holds_the_rest_of_the_round():
    case = make_case(followups=FollowupOverrides(dates=(("apology", date(2026, 3, 17)),)))
    sent = simulate(case, CONFIG, at(2026, 3, 9, 0, 0), at(2026, 3, 24, 0, 0), off=(at(2026, 3, 9), at(2026, 3, 9)))  # never off
    # Apology Tue 17 March; explanation one business day later; thanks three days after the apology.
    assert sent == [("apology", at(2026, 3, 17, 9, 0)), ("explanation", at(2026, 3, 18, 9, 0)),
                    ("thanks", at(2026, 3, 20, 9, 0))]


# --------------------------------------------------------------------------
# The customer's own hours
# --------------------------------------------------------------------------
def in_la(**changes):
    return make_case(customer=Customer(name="Ann Example", email="ann@example.com", timezone="America/Los_Angeles"),
                     **changes)


@pytest.mark.parametrize("resolved, expected_utc", [
    (date(2026, 3, 3), datetime(2026, 3, 5, 17, 0, tzinfo=UTC)),   # Thu 5 March 09:00 PST (-8); Berlin 18:00 CET
    (date(2026, 3, 5), datetime(2026, 3, 9, 16, 0, tzinfo=UTC)),   # Mon 9 March 09:00 PDT (-7), after the US change
    (date(2026, 3, 26), datetime(2026, 3, 30, 16, 0, tzinfo=UTC)),  # Mon 30 March 09:00 PDT; Berlin now CEST
    (date(2026, 10, 23), datetime(2026, 10, 27, 16, 0, tzinfo=UTC)),  # Tue 27 Oct 09:00 PDT; Berlin back to CET
    (date(2026, 10, 29), datetime(2026, 11, 2, 17, 0, tzinfo=UTC)),   # Mon 2 Nov 09:00 PST, after the US change
])
def test_a_customer_in_los_angeles_gets_it_at_nine_their_time(resolved, expected_utc):
    case = in_la(resolved=resolved)
    apology = one(case, "apology", expected_utc - timedelta(days=3))
    assert apology.due_at == expected_utc
    assert apology.due_at.astimezone(LA).hour == 9 and apology.due_at.astimezone(LA).minute == 0
    assert one(case, "apology", expected_utc - timedelta(minutes=1)).state == "upcoming"
    assert one(case, "apology", expected_utc).state == "due"


def test_their_weekdays_and_our_holidays():
    # Resolved Wed 11 March: apology Fri 13 March 09:00 in Los Angeles (16:00 UTC).
    case = in_la(resolved=date(2026, 3, 11))
    # Fri 16:30 in Los Angeles is already Saturday 00:30 in Berlin: still their Friday, so it goes.
    late_friday = datetime(2026, 3, 13, 16, 30, tzinfo=LA)
    assert one(case, "apology", late_friday).state == "due"
    # At 17:00 their time the window has closed: Monday 09:00 theirs.
    closed = one(case, "apology", datetime(2026, 3, 13, 17, 0, tzinfo=LA))
    assert (closed.state, closed.when) == ("upcoming", datetime(2026, 3, 16, 9, 0, tzinfo=LA))
    # The business's holiday on Fri 13 March still counts: Mon 16 March.
    config = dataclasses.replace(CONFIG, holidays=(date(2026, 3, 13),))
    assert one(case, "apology", late_friday, config=config).due_at == datetime(2026, 3, 16, 9, 0, tzinfo=LA)


def test_without_their_zone_nothing_changes():
    assert one(make_case(), "apology", at(2026, 3, 1)).due_at == at(2026, 3, 10, 9, 0)
    assert one(make_case(customer=Customer(name="Ann", email="ann@example.com", timezone="Europe/Berlin")),
               "apology", at(2026, 3, 1)).due_at == at(2026, 3, 10, 9, 0)


# --------------------------------------------------------------------------
# Both times shown when the customer's clock differs
# --------------------------------------------------------------------------
def write_project(root):
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                      "timezone: Europe/Berlin\nfollowups:\n" + CLASSIC_PLAN_YAML, encoding="utf-8")
    for name, zone, channel in (("far", "  timezone: America/Los_Angeles\n  phone: +1 213 555 0100\n", "phone"),
                                ("near", "", "email")):
        write_case(root, f"{name}.md", (
            "---\ntitle: Cake delivered late\ncustomer:\n  name: Ann Example\n  email: ann@example.com\n" + zone +
            f"channel: {channel}\nopened: 2026-03-02\nresolved: 2026-03-06\nstatus: resolved\n---\nLate.\n"))


def test_followups_page_shows_their_time_and_ours(root):
    write_project(root)
    assert main(["--root", str(root), "--today", "2026-03-09", "build"]) == 0
    soup = BeautifulSoup((root / "site" / "followups.html").read_text(encoding="utf-8"), "html5lib")

    def when(case_id: str, kind: str) -> str:
        [row] = [tr for tr in soup.select("table.followups tr")
                 if tr.find("a", href=f"cases/{case_id}.html") and tr.find_all("td")[1].get_text() == kind]
        return row.find("time").get_text()

    # Tue 10 March 09:00 in Los Angeles (PDT, since Sunday) is 17:00 in Berlin (CET).
    assert when("far", "apology") == "10 Mar 2026 09:00 their time, 17:00 ours"
    assert when("near", "apology") == "10 Mar 2026 09:00"
    # A person makes the call, in the business's hours: 09:00 in Berlin is 01:00 in Los Angeles.
    [call] = [li for li in soup.select("ul.tasks > li") if li.find("a", href="cases/far.html")]
    assert "10 Mar 2026 01:00 their time, 09:00 ours" in call.get_text()


def test_followups_command_shows_their_time_and_ours(root, capsys):
    write_project(root)
    assert main(["--root", str(root), "--now", "2026-03-09T12:00", "followups"]) == 0
    out = capsys.readouterr().out
    [far] = [line for line in out.splitlines() if " far " in line and " apology " in line]
    assert far.split()[1:3] == ["2026-03-10", "17:00"]
    assert far.endswith("(Tue 09:00 their time, 17:00 ours)")
    [near] = [line for line in out.splitlines() if " near " in line and " apology " in line]
    assert "their time" not in near and near.split()[1:3] == ["2026-03-10", "09:00"]
    # Friday 16:30 in Los Angeles is already Saturday in Berlin.
    assert their_time(datetime(2026, 3, 13, 16, 30, tzinfo=LA), ZoneInfo("Europe/Berlin"), "America/Los_Angeles") \
        == "Fri 16:30 their time, Sat 00:30 ours"

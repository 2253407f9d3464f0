"""The follow-up plan: a pure function of cases, settings, ledger and `now`.

Every expected date here is worked out by hand from a calendar (2026-03-06 is a
Friday; Europe/Berlin moves to summer time on Sunday 2026-03-29 and back on
Sunday 2026-10-25), never from amends.plan itself.
"""
from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from zoneinfo import ZoneInfo

from amends.cases.config import Config, Step, load_config
from amends.followups import ledger, plan
from amends.followups.ledger import key_for
from amends.followups.plan import followups
from amends.followups.window import add_business_days, due_time, next_slot
from amends.model import Accommodation, Case, Contact, Customer, FollowupOverrides

from conftest import CLASSIC_PLAN

TZ = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
CONFIG = dataclasses.replace(Config(), plan=CLASSIC_PLAN, timezone="Europe/Berlin", business_email="care@shop.example.com",
                             business_name="Harbour Shop")
RESOLVED = date(2026, 3, 6)  # a Friday
STEPS = {step.kind: step for step in CLASSIC_PLAN}


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def make_case(**changes) -> Case:
    values = dict(
        id="c1", path="cases/c1.md", title="Cake delivered late",
        customer=Customer(name="Ann Example", email="ann@example.com"),
        channel="email", opened=date(2026, 3, 2), status="resolved", resolved=RESOLVED,
        what_went_wrong="The van broke down.", how_resolved="We baked a new cake.",
        prevention="A spare van is on standby.",
    )
    values.update(changes)
    return Case(**values)


def ev(case: Case, kind: str, name: str, when: datetime, **details) -> dict:
    return ledger.event(key_for(case.id, kind, case.resolved), name, when, **details)


def run(case: Case, now: datetime, config: Config = CONFIG, events: list[dict] = (), transport: str = "smtp"):
    return followups([case], config, ledger.histories(list(events)), now, transport)


def by_kind(case: Case, now: datetime, **kwargs) -> dict[str, plan.Followup]:
    result = run(case, now, **kwargs)
    kinds = [f.kind for f in result]
    assert len(kinds) == len(set(kinds)), kinds
    return {f.kind: f for f in result}


def one(case: Case, kind: str, now: datetime, **kwargs) -> plan.Followup:
    return by_kind(case, now, **kwargs)[kind]


# --------------------------------------------------------------------------
# Due dates
# --------------------------------------------------------------------------
def test_business_days_skip_the_weekend():
    got = by_kind(make_case(), at(2026, 3, 1))
    # Fri + 2 business days = Tue, + 3 = Wed; 7 calendar days = next Fri.
    assert got["apology"].due_at == at(2026, 3, 10, 9, 0)
    assert got["explanation"].due_at == at(2026, 3, 11, 9, 0)
    assert got["thanks"].due_at == at(2026, 3, 13, 9, 0)
    assert got["apology"].due_at.utcoffset() == timedelta(hours=1)
    assert add_business_days(RESOLVED, 2, CONFIG) == date(2026, 3, 10)
    assert add_business_days(date(2026, 3, 5), 1, CONFIG) == date(2026, 3, 6)  # Thu + 1 = Fri


def test_holiday_pushes_business_days_on():
    config = dataclasses.replace(CONFIG, holidays=(date(2026, 3, 10),))
    got = by_kind(make_case(), at(2026, 3, 1), config=config)
    assert got["apology"].due_at == at(2026, 3, 11, 9, 0)      # Tue is a holiday: Wed
    assert got["explanation"].due_at == at(2026, 3, 12, 9, 0)  # Mon, Wed, Thu
    assert add_business_days(RESOLVED, 2, config) == date(2026, 3, 11)


def test_calendar_days_count_the_weekend():
    config = dataclasses.replace(CONFIG, plan=(Step("thanks", 3, False, "thanks"),))
    # Fri + 3 calendar days = Mon (3 business days would be Wed).
    assert one(make_case(), "thanks", at(2026, 3, 1), config=config).due_at == at(2026, 3, 9, 9, 0)


def test_calendar_days_landing_on_a_weekend_move_to_the_next_opening():
    case = make_case(resolved=date(2026, 3, 7))  # a Saturday; + 7 days = Saturday 14th
    got = one(case, "thanks", at(2026, 3, 1))
    assert got.due_at == at(2026, 3, 16, 9, 0)  # Monday 09:00
    assert got.due_at.weekday() == 0


def test_calendar_days_landing_on_a_holiday_move_on():
    config = dataclasses.replace(CONFIG, holidays=(date(2026, 3, 13),))
    assert one(make_case(), "thanks", at(2026, 3, 1), config=config).due_at == at(2026, 3, 16, 9, 0)


def test_fixed_date_wins():
    case = make_case(followups=FollowupOverrides(dates=(("apology", date(2026, 3, 20)),)))
    got = by_kind(case, at(2026, 3, 12, 10))
    assert got["apology"].due_at == at(2026, 3, 20, 9, 0)
    assert got["apology"].state == "upcoming"
    assert got["apology"].reason == "on the date set in the case file"
    assert got["apology"].when == at(2026, 3, 20, 9, 0)
    # The other kinds keep their own dates.
    assert got["explanation"].due_at == at(2026, 3, 11, 9, 0)


def test_fixed_date_on_a_weekend_moves_to_monday():
    case = make_case(followups=FollowupOverrides(dates=(("apology", date(2026, 3, 21)),)))
    assert due_time(case, STEPS["apology"], CONFIG) == at(2026, 3, 23, 9, 0)


def test_fixed_date_may_be_earlier_than_the_plan():
    case = make_case(followups=FollowupOverrides(dates=(("thanks", date(2026, 3, 9)),)))
    assert one(case, "thanks", at(2026, 3, 1)).due_at == at(2026, 3, 9, 9, 0)


def test_dst_week_still_gives_nine_local_with_summer_offset():
    case = make_case(resolved=date(2026, 3, 26))  # Thursday; clocks change on Sunday 29th
    got = by_kind(case, at(2026, 3, 20))
    apology = got["apology"].due_at
    assert apology == datetime(2026, 3, 30, 9, 0, tzinfo=TZ)
    assert apology.astimezone(TZ).time() == time(9, 0)
    assert apology.utcoffset() == timedelta(hours=2)
    assert apology.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    thanks = got["thanks"].due_at  # Thu + 7 = Thu 2 April
    assert thanks.astimezone(UTC) == datetime(2026, 4, 2, 7, 0, tzinfo=UTC)


def test_dst_winter_side_has_winter_offset():
    case = make_case(resolved=date(2026, 3, 20))  # + 7 days = Fri 27 March, still winter time
    thanks = one(case, "thanks", at(2026, 3, 20)).due_at
    assert thanks.astimezone(UTC) == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert thanks.utcoffset() == timedelta(hours=1)


def test_dst_autumn_change():
    case = make_case(resolved=date(2026, 10, 23))  # Fri; clocks go back on Sunday 25th
    apology = one(case, "apology", at(2026, 10, 23)).due_at
    assert apology.astimezone(UTC) == datetime(2026, 10, 27, 8, 0, tzinfo=UTC)  # Tue 09:00 CET


def test_state_does_not_depend_on_the_zone_now_is_given_in():
    # Thanks (alone in the plan, so no earlier kind holds it) due Fri 27 March 09:00 CET
    # (08:00 UTC). Monday 30 March 09:30 CEST is 07:30 UTC: within catch_up_days (3).
    # The same moment, written in UTC or in Berlin time, must give the same state.
    config = dataclasses.replace(CONFIG, plan=(STEPS["thanks"],))
    case = make_case(resolved=date(2026, 3, 20))
    moment = datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    in_utc = one(case, "thanks", moment, config=config)
    in_berlin = one(case, "thanks", moment.astimezone(TZ), config=config)
    assert in_utc.state == in_berlin.state == "due", (in_utc.state, in_utc.reason, in_berlin.state, in_berlin.reason)


# --------------------------------------------------------------------------
# next_slot
# --------------------------------------------------------------------------
def test_next_slot_inside_window_is_the_same_moment():
    assert next_slot(at(2026, 3, 10, 11, 30), CONFIG) == at(2026, 3, 10, 11, 30)
    assert next_slot(at(2026, 3, 10, 9, 0), CONFIG) == at(2026, 3, 10, 9, 0)
    assert next_slot(at(2026, 3, 10, 16, 59, 59), CONFIG) == at(2026, 3, 10, 16, 59, 59)
    # Given in UTC: 10:30 UTC is 11:30 in Berlin, inside the window.
    assert next_slot(datetime(2026, 3, 10, 10, 30, tzinfo=UTC), CONFIG) == at(2026, 3, 10, 11, 30)


def test_next_slot_before_opening():
    assert next_slot(at(2026, 3, 10, 7, 15), CONFIG) == at(2026, 3, 10, 9, 0)
    assert next_slot(at(2026, 3, 10, 0, 0), CONFIG) == at(2026, 3, 10, 9, 0)
    # 07:30 UTC is 08:30 in Berlin: before opening.
    assert next_slot(datetime(2026, 3, 10, 7, 30, tzinfo=UTC), CONFIG) == at(2026, 3, 10, 9, 0)


def test_next_slot_after_closing():
    assert next_slot(at(2026, 3, 10, 17, 0), CONFIG) == at(2026, 3, 11, 9, 0)
    assert next_slot(at(2026, 3, 10, 18, 0), CONFIG) == at(2026, 3, 11, 9, 0)
    assert next_slot(at(2026, 3, 10, 23, 59), CONFIG) == at(2026, 3, 11, 9, 0)


def test_next_slot_friday_evening_and_weekend_give_monday():
    assert next_slot(at(2026, 3, 13, 17, 30), CONFIG) == at(2026, 3, 16, 9, 0)
    assert next_slot(at(2026, 3, 14, 12, 0), CONFIG) == at(2026, 3, 16, 9, 0)
    assert next_slot(at(2026, 3, 15, 23, 0), CONFIG) == at(2026, 3, 16, 9, 0)


def test_next_slot_skips_holidays():
    config = dataclasses.replace(CONFIG, holidays=(date(2026, 3, 11),))
    assert next_slot(at(2026, 3, 10, 18, 0), config) == at(2026, 3, 12, 9, 0)
    assert next_slot(at(2026, 3, 11, 10, 0), config) == at(2026, 3, 12, 9, 0)


def test_next_slot_across_dst_change():
    got = next_slot(at(2026, 3, 27, 18, 0), CONFIG)
    assert got == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert got.astimezone(TZ).time() == time(9, 0)


def test_next_slot_honours_configured_window():
    config = dataclasses.replace(CONFIG, window_start=time(8, 0), window_end=time(12, 0), window_days=(0, 2, 4))
    assert next_slot(at(2026, 3, 10, 10, 0), config) == at(2026, 3, 11, 8, 0)   # Tue is closed: Wed
    assert next_slot(at(2026, 3, 11, 7, 0), config) == at(2026, 3, 11, 8, 0)
    assert next_slot(at(2026, 3, 11, 11, 59), config) == at(2026, 3, 11, 11, 59)
    assert next_slot(at(2026, 3, 11, 12, 0), config) == at(2026, 3, 13, 8, 0)   # Wed after 12: Fri
    assert next_slot(at(2026, 3, 13, 13, 0), config) == at(2026, 3, 16, 8, 0)   # Fri after 12: Mon


def test_configured_window_days_are_the_business_days():
    config = dataclasses.replace(CONFIG, window_start=time(8, 0), window_end=time(12, 0), window_days=(0, 2, 4))
    # Fri + 2 window days = Mon, Wed.
    assert one(make_case(), "apology", at(2026, 3, 1), config=config).due_at == at(2026, 3, 11, 8, 0)


def test_saturday_window_is_honoured():
    config = dataclasses.replace(CONFIG, window_days=(0, 1, 2, 3, 4, 5))
    assert next_slot(at(2026, 3, 13, 17, 30), config) == at(2026, 3, 14, 9, 0)


# --------------------------------------------------------------------------
# States by time
# --------------------------------------------------------------------------
def test_upcoming_before_due():
    got = by_kind(make_case(), at(2026, 3, 9, 12))
    assert got["apology"].state == "upcoming"
    assert got["apology"].reason == "due 2 business days after the case was resolved"
    assert got["apology"].when == at(2026, 3, 10, 9, 0)
    assert got["thanks"].reason == "due 7 days after the case was resolved"
    assert got["thanks"].when == at(2026, 3, 13, 9, 0)


def test_due_inside_window_after_due_at():
    got = one(make_case(), "apology", at(2026, 3, 10, 10))
    assert (got.state, got.reason, got.when) == ("due", "due now", None)
    assert one(make_case(), "apology", at(2026, 3, 10, 9, 0)).state == "due"


def test_upcoming_outside_window_waits_for_next_opening():
    got = one(make_case(), "apology", at(2026, 3, 10, 18))
    assert (got.state, got.reason, got.when) == ("upcoming", "waits for sending hours", at(2026, 3, 11, 9, 0))
    assert "followups.send_window" in got.detail and "09:00 to 17:00" in got.detail


def test_missed_after_catch_up_days():
    # Due Tue 10 March; 3 business days later is Fri 13 March, sendable until the window closes.
    assert one(make_case(), "apology", at(2026, 3, 13, 16, 59, 59)).state == "due"
    got = one(make_case(), "apology", at(2026, 3, 13, 17, 0))
    assert got.state == "missed"
    assert got.reason.startswith("not sent: it was due on 10 Mar 2026, more than 3 business days before today. ")
    assert "python build.py release c1 apology" in got.reason and "python build.py done c1 apology" in got.reason
    assert "catch_up_days is 3" in got.detail and "catch_up_days" not in got.reason


def test_exactly_at_catch_up_boundary_is_still_due():
    got = one(make_case(), "apology", at(2026, 3, 13, 9, 0))
    assert got.state == "due"


def test_catch_up_counts_business_days_so_a_weekend_outage_loses_nothing():
    """Due Friday 09:00, sender down all weekend: still due on Tuesday, missed once Wednesday's window closes."""
    case = make_case(resolved=date(2026, 3, 11))  # Wed + 2 business days = Fri 13 March
    assert one(case, "apology", at(2026, 3, 13, 9, 0)).due_at == at(2026, 3, 13, 9, 0)
    assert one(case, "apology", at(2026, 3, 16, 10, 0)).state == "due"   # Monday
    assert one(case, "apology", at(2026, 3, 18, 9, 1)).state == "due"    # Wednesday, the last day
    assert one(case, "apology", at(2026, 3, 18, 16, 59)).state == "due"
    assert one(case, "apology", at(2026, 3, 18, 17, 0)).state == "missed"


def test_catch_up_days_from_config():
    config = dataclasses.replace(CONFIG, catch_up_days=0)
    # 0: only on the day it was due, until the window closes.
    assert one(make_case(), "apology", at(2026, 3, 10, 9, 0), config=config).state == "due"
    assert one(make_case(), "apology", at(2026, 3, 10, 16, 59, 59), config=config).state == "due"
    assert one(make_case(), "apology", at(2026, 3, 10, 17, 0), config=config).state == "missed"
    assert one(make_case(), "apology", at(2026, 3, 11, 9, 0), config=config).state == "missed"


def test_released_after_missed_is_due_again():
    case = make_case()
    events = [ev(case, "apology", "released", at(2026, 3, 16, 10, 0))]
    assert one(case, "apology", at(2026, 3, 16, 10, 1)).state == "missed"
    got = one(case, "apology", at(2026, 3, 16, 10, 1), events=events)
    assert (got.state, got.reason) == ("due", "due now")


def test_released_still_waits_for_the_window():
    case = make_case()
    events = [ev(case, "apology", "released", at(2026, 3, 16, 10, 0))]
    got = one(case, "apology", at(2026, 3, 16, 18, 0), events=events)
    assert (got.state, got.when) == ("upcoming", at(2026, 3, 17, 9, 0))


def test_tempfail_backs_off_five_minutes():
    case = make_case()
    events = [ev(case, "apology", "attempt", at(2026, 3, 10, 10, 0), transport="smtp"),
              ev(case, "apology", "tempfail", at(2026, 3, 10, 10, 0), transport="smtp", code=451, reply="try later")]
    waiting = one(case, "apology", at(2026, 3, 10, 10, 4, 59), events=events)
    assert waiting.state == "upcoming"
    assert waiting.when == at(2026, 3, 10, 10, 5)
    assert "could not take it just now" in waiting.reason and "451 try later" in waiting.reason
    again = one(case, "apology", at(2026, 3, 10, 10, 5), events=events)
    assert (again.state, again.reason) == ("due", "due now (retry)")


def test_two_tempfails_back_off_fifteen_minutes():
    case = make_case()
    events = [ev(case, "apology", "tempfail", at(2026, 3, 10, 10, 0), transport="smtp", code=421),
              ev(case, "apology", "tempfail", at(2026, 3, 10, 10, 5), transport="smtp", code=421)]
    waiting = one(case, "apology", at(2026, 3, 10, 10, 19), events=events)
    assert (waiting.state, waiting.when) == ("upcoming", at(2026, 3, 10, 10, 20))
    assert one(case, "apology", at(2026, 3, 10, 10, 20), events=events).state == "due"


def test_tempfail_retry_outside_window_waits_for_opening():
    case = make_case()
    events = [ev(case, "apology", "tempfail", at(2026, 3, 10, 16, 58), transport="smtp", code=451)]
    got = one(case, "apology", at(2026, 3, 10, 17, 10), events=events)
    assert (got.state, got.when) == ("upcoming", at(2026, 3, 11, 9, 0))


def test_sent_by_smtp_is_sent_for_ever():
    case = make_case()
    sent_at = at(2026, 3, 10, 10, 0)
    events = [ev(case, "apology", "attempt", sent_at, transport="smtp", msgid="<m1@shop.example.com>"),
              ev(case, "apology", "data", sent_at, transport="smtp", msgid="<m1@shop.example.com>"),
              ev(case, "apology", "sent", sent_at, transport="smtp", msgid="<m1@shop.example.com>")]
    for now in (at(2026, 3, 10, 10, 1), at(2026, 3, 11, 12), at(2026, 3, 20, 12), at(2030, 1, 7, 10)):
        for transport in ("smtp", "outbox"):
            got = one(case, "apology", now, events=events, transport=transport)
            assert got.state == "sent", (now, transport, got.reason)
            assert got.when == sent_at
            assert got.reason == "sent by email" and "<m1@shop.example.com>" in got.detail


def test_sent_wins_over_a_later_guard():
    case = make_case()
    events = [ev(case, "apology", "sent", at(2026, 3, 10, 10), transport="smtp", msgid="<m@x>")]
    got = one(dataclasses.replace(case, do_not_contact=True), "apology", at(2026, 3, 11, 10), events=events)
    assert got.state == "sent"


def test_sent_by_outbox_counts_only_for_outbox():
    case = make_case()
    events = [ev(case, "apology", "sent", at(2026, 3, 10, 10), transport="outbox")]
    as_outbox = one(case, "apology", at(2026, 3, 10, 11), events=events, transport="outbox")
    assert (as_outbox.state, as_outbox.when) == ("sent", at(2026, 3, 10, 10))
    assert "outbox" in as_outbox.reason
    as_smtp = one(case, "apology", at(2026, 3, 10, 11), events=events, transport="smtp")
    assert (as_smtp.state, as_smtp.reason) == ("due", "due now")
    later = one(case, "apology", at(2026, 3, 16, 11), events=events, transport="smtp")
    assert later.state == "missed"


@pytest.mark.parametrize("last", ["data", "ambiguous"])
def test_handed_over_but_unconfirmed_is_check(last):
    case = make_case()
    events = [ev(case, "apology", "attempt", at(2026, 3, 10, 10), transport="smtp"),
              ev(case, "apology", last, at(2026, 3, 10, 10), transport="smtp")]
    for now in (at(2026, 3, 10, 10, 1), at(2026, 3, 20, 10)):
        got = one(case, "apology", now, events=events)
        assert got.state == "check", (now, got.reason)
        assert "may have arrived" in got.reason
        assert got.when == at(2026, 3, 10, 10)


def test_check_released_is_due_again():
    case = make_case()
    events = [ev(case, "apology", "data", at(2026, 3, 10, 10), transport="smtp"),
              ev(case, "apology", "released", at(2026, 3, 10, 11))]
    assert one(case, "apology", at(2026, 3, 10, 11, 1), events=events).state == "due"


def test_permfail_is_failed_with_reply():
    case = make_case()
    events = [ev(case, "apology", "permfail", at(2026, 3, 10, 10), transport="smtp",
                 code=550, reply="5.1.1 mailbox unavailable")]
    got = one(case, "apology", at(2026, 3, 10, 11), events=events)
    assert got.state == "failed"
    assert "550 5.1.1 mailbox unavailable" in got.reason
    assert one(case, "apology", at(2026, 3, 30, 11), events=events).state == "failed"


def test_attempt_without_outcome_is_due_again():
    case = make_case()
    events = [ev(case, "apology", "attempt", at(2026, 3, 10, 10), transport="smtp", n=1)]
    got = one(case, "apology", at(2026, 3, 10, 10, 15), events=events)
    assert (got.state, got.reason) == ("due", "due now (retry)")


def test_done_is_done():
    case = make_case()
    events = [ev(case, "apology", "done", at(2026, 3, 10, 10))]
    for now in (at(2026, 3, 10, 11), at(2026, 3, 30, 11)):
        got = one(case, "apology", now, events=events)
        assert (got.state, got.when) == ("done", at(2026, 3, 10, 10))


def test_events_of_one_kind_do_not_touch_another():
    case = make_case()
    events = [ev(case, "apology", "sent", at(2026, 3, 10, 10), transport="smtp")]
    got = by_kind(case, at(2026, 3, 11, 10), events=events)
    assert got["apology"].state == "sent"
    assert got["explanation"].state == "due"


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------
def test_never_resolved_case_has_no_followups():
    case = make_case(status="open", resolved=None)
    assert followups([case], CONFIG, {}, at(2026, 4, 1, 10), "smtp") == []


def test_reopened_case_is_skipped():
    case = make_case(status="open")
    got = run(case, at(2026, 3, 11, 10))
    assert got and {f.state for f in got} == {"skipped"}
    assert all("reopened" in f.reason for f in got)


def test_lost_case_is_skipped():
    got = run(make_case(status="lost"), at(2026, 3, 11, 10))
    assert got and all(f.state == "skipped" and "lost" in f.reason for f in got)


def test_recovered_case_gets_followups():
    assert one(make_case(status="recovered"), "apology", at(2026, 3, 10, 10)).state == "due"


def test_do_not_contact_in_case_is_skipped():
    got = run(make_case(do_not_contact=True), at(2026, 3, 11, 10))
    assert got and all(f.state == "skipped" and "says not to contact" in f.reason and f.detail == "do_not_contact: true"
                       for f in got)


@pytest.mark.parametrize("customer_email, listed", [
    ("Ann@Example.com", "ann@example.com"),
    ("ann@example.com", "ANN@Example.COM"),
])
def test_address_on_config_do_not_contact_list_is_skipped(customer_email, listed):
    case = make_case(customer=Customer(name="Ann Example", email=customer_email))
    config = dataclasses.replace(CONFIG, do_not_contact=(listed,))
    got = run(case, at(2026, 3, 11, 10), config=config)
    assert got and all(f.state == "skipped" and "list of people not to contact" in f.reason and "do_not_contact" in f.detail for f in got), \
        [(f.kind, f.state) for f in got]


def test_other_address_on_do_not_contact_list_does_not_matter():
    config = dataclasses.replace(CONFIG, do_not_contact=("bob@example.com",))
    assert one(make_case(), "apology", at(2026, 3, 10, 10), config=config).state == "due"


def test_hold_holds_every_followup():
    case = make_case(followups=FollowupOverrides(hold=True))
    got = run(case, at(2026, 3, 11, 10))
    assert got and all(f.state == "held" and "hold" in f.reason for f in got)


def test_skip_thanks_skips_only_thanks():
    case = make_case(followups=FollowupOverrides(skip=("thanks",)))
    got = by_kind(case, at(2026, 3, 13, 9, 0))  # thanks due now; apology on its last catch-up day
    assert got["thanks"].state == "skipped"
    assert "skip" in got["thanks"].reason
    assert got["apology"].state == "due"
    # Not skipped: it waits for the apology, which goes out first.
    assert got["explanation"].state == "upcoming"
    assert got["explanation"].reason.startswith("waits for the apology")


def test_contact_after_resolution_holds_with_its_date():
    case = make_case(contacts=(Contact(date(2026, 3, 4), "phone"), Contact(date(2026, 3, 6), "email"),
                               Contact(datetime(2026, 3, 8, 15, 20), "phone", "Called again")))
    got = run(case, at(2026, 3, 11, 10))
    assert got and all(f.state == "held" for f in got)
    assert all("8 Mar 2026" in f.reason for f in got)


def test_contact_on_resolved_day_does_not_hold():
    case = make_case(contacts=(Contact(date(2026, 3, 6), "email"),))
    assert one(case, "apology", at(2026, 3, 10, 10)).state == "due"


def test_no_address_email_case_is_blocked():
    case = make_case(customer=Customer(name="Ann Example"))
    got = by_kind(case, at(2026, 3, 10, 10))
    assert got["apology"].state == "blocked"
    assert "no email address" in got["apology"].reason
    assert "call" not in got and "letter" not in got


def test_no_address_phone_case_skipped_call_covers_it():
    case = make_case(channel="phone", customer=Customer(name="Ann Example", phone="+49 40 1"))
    got = by_kind(case, at(2026, 3, 10, 10))
    for kind in ("apology", "explanation", "thanks"):
        assert got[kind].state == "skipped"
        assert "call covers it" in got[kind].reason
    assert got["call"].state == "due"


def test_no_business_email_blocks():
    config = dataclasses.replace(CONFIG, business_email=None)
    got = one(make_case(), "apology", at(2026, 3, 10, 10), config=config)
    assert got.state == "blocked"
    assert "email address is not set up" in got.reason and "business.email" in got.detail


def test_since_later_than_resolved_is_skipped():
    config = dataclasses.replace(CONFIG, since=date(2026, 3, 7))
    got = run(make_case(), at(2026, 3, 10, 10), config=config)
    assert got and all(f.state == "skipped" and "resolved on 6 Mar 2026" in f.reason and "on 7 Mar 2026" in f.reason
                       and f.detail == "followups.since is 2026-03-07 in amends.yaml" for f in got)


def test_since_on_resolved_day_is_not_skipped():
    config = dataclasses.replace(CONFIG, since=RESOLVED)
    assert one(make_case(), "apology", at(2026, 3, 10, 10), config=config).state == "due"


# --------------------------------------------------------------------------
# Gift card and channel tasks
# --------------------------------------------------------------------------
def test_gift_card_step_only_with_gift_card():
    with_card = make_case(accommodation=(Accommodation("refund", Decimal("5"), "EUR"),
                                         Accommodation("gift-card", Decimal("20"), "EUR")))
    got = run(with_card, at(2026, 3, 10, 10))
    assert [f.kind for f in got] == ["apology", "gift-card", "explanation", "thanks"]
    card = got[1]
    # Due with the apology, it goes a minute after it, so that it never arrives first.
    assert (card.state, card.due_at, card.medium) == ("upcoming", at(2026, 3, 10, 9, 0), "email")
    assert card.when == at(2026, 3, 10, 10, 1) and "right after" in card.reason
    assert card.key == "c1/gift-card/2026-03-06"

    without = make_case(accommodation=(Accommodation("refund", Decimal("5"), "EUR"),))
    assert "gift-card" not in [f.kind for f in run(without, at(2026, 3, 10, 10))]
    assert "gift-card" not in [f.kind for f in run(make_case(), at(2026, 3, 10, 10))]


def test_phone_case_gets_a_call_due_with_first_step():
    case = make_case(channel="phone", customer=Customer(name="Ann Example", email="ann@example.com", phone="+49 40 1"))
    before = by_kind(case, at(2026, 3, 9, 10))
    call = before["call"]
    assert (call.medium, call.state, call.due_at, call.when) == ("call", "upcoming", at(2026, 3, 10, 9, 0),
                                                                 at(2026, 3, 10, 9, 0))
    assert call.is_task and call.step is None
    assert call.key == "c1/call/2026-03-06"
    due = one(case, "call", at(2026, 3, 10, 10))
    assert due.state == "due"
    assert "python build.py done c1 call" in due.reason
    # ...and the emails still go out (email_too defaults to true).
    assert one(case, "apology", at(2026, 3, 10, 10)).state == "due"


def test_call_done_is_done():
    case = make_case(channel="phone")
    events = [ev(case, "call", "done", at(2026, 3, 10, 11))]
    assert one(case, "call", at(2026, 3, 10, 12), events=events).state == "done"


def test_call_respects_guards():
    case = make_case(channel="phone", followups=FollowupOverrides(skip=("call",)))
    got = by_kind(case, at(2026, 3, 10, 10))
    assert got["call"].state == "skipped"
    assert got["apology"].state == "due"


def test_letter_case_gets_a_letter():
    got = by_kind(make_case(channel="letter"), at(2026, 3, 10, 10))
    assert "call" not in got
    letter = got["letter"]
    assert (letter.medium, letter.state, letter.due_at) == ("letter", "due", at(2026, 3, 10, 9, 0))
    assert "letter" in letter.reason


def test_email_case_gets_no_task():
    got = run(make_case(channel="email"), at(2026, 3, 10, 10))
    assert all(f.medium == "email" and not f.is_task for f in got)
    assert {f.kind for f in got} == {"apology", "explanation", "thanks"}


def test_calls_and_letters_off():
    config = dataclasses.replace(CONFIG, calls_and_letters=False)
    for channel in ("phone", "letter"):
        got = by_kind(make_case(channel=channel), at(2026, 3, 10, 10), config=config)
        assert set(got) == {"apology", "explanation", "thanks"}
        assert got["apology"].state == "due"


def test_email_too_false_skips_emails_of_phone_case():
    config = dataclasses.replace(CONFIG, email_too=False)
    case = make_case(channel="phone", customer=Customer(name="Ann Example", email="ann@example.com", phone="+49 40 1"))
    got = by_kind(case, at(2026, 3, 10, 10), config=config)
    for kind in ("apology", "explanation", "thanks"):
        assert got[kind].state == "skipped"
        assert got[kind].reason == "answered by call only" and "email_too is false" in got[kind].detail
    assert got["call"].state == "due"
    # An email case is not affected by email_too.
    assert one(make_case(), "apology", at(2026, 3, 10, 10), config=config).state == "due"


# --------------------------------------------------------------------------
# Keys and re-resolution
# --------------------------------------------------------------------------
def test_re_resolved_case_gets_fresh_keys():
    old = make_case()
    events = [ev(old, "apology", "sent", at(2026, 3, 10, 10), transport="smtp", msgid="<old@x>")]
    assert one(old, "apology", at(2026, 3, 20, 10), events=events).state == "sent"

    new = make_case(resolved=date(2026, 3, 20), contacts=(Contact(date(2026, 3, 12), "phone"),))
    got = one(new, "apology", at(2026, 3, 24, 10), events=events)
    assert got.key == "c1/apology/2026-03-20" != events[0]["key"]
    assert got.key == key_for("c1", "apology", date(2026, 3, 20))
    assert got.state == "due"
    assert got.due_at == at(2026, 3, 24, 9, 0)


# --------------------------------------------------------------------------
# Purity
# --------------------------------------------------------------------------
def test_same_arguments_give_same_result():
    cases = [make_case(), make_case(id="c2", channel="phone"),
             make_case(id="c3", accommodation=(Accommodation("gift-card", Decimal("10"), "EUR"),))]
    hist = ledger.histories([ev(cases[0], "apology", "tempfail", at(2026, 3, 10, 10), transport="smtp")])
    before = copy.deepcopy(hist)
    first = followups(cases, CONFIG, hist, at(2026, 3, 10, 10, 2), "smtp")
    second = followups(cases, CONFIG, hist, at(2026, 3, 10, 10, 2), "smtp")
    assert first == second
    assert len(first) == 3 + 4 + 4
    assert hist == before  # the histories are not changed


def test_result_is_sorted_by_due_time_then_case():
    cases = [make_case(id="b"), make_case(id="a", resolved=date(2026, 3, 9))]
    got = followups(cases, CONFIG, {}, at(2026, 3, 1), "smtp")
    due = [f.due_at for f in got]
    assert due == sorted(due)
    assert [(f.case.id, f.kind) for f in got[:3]] == [("b", "apology"), ("a", "apology"), ("b", "explanation")]


def test_state_follows_now_not_the_clock():
    case = make_case()
    future = {f.kind: f for f in run(case, at(2030, 6, 3, 10))}
    assert future["apology"].state == "missed"
    assert {future[k].state for k in ("explanation", "thanks")} == {"upcoming"}  # waiting for the apology
    past = run(case, at(2020, 6, 3, 10))
    assert past and {f.state for f in past} == {"upcoming"}
    assert all(f.when == f.due_at for f in past)


def test_plan_never_asks_for_the_time(monkeypatch):
    class NoClock(datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("plan read the clock")

        @classmethod
        def utcnow(cls):
            raise AssertionError("plan read the clock")

        @classmethod
        def today(cls):
            raise AssertionError("plan read the clock")

    class NoToday(date):
        @classmethod
        def today(cls):
            raise AssertionError("plan read the clock")

    monkeypatch.setattr(plan, "datetime", NoClock)
    monkeypatch.setattr(plan, "date", NoToday)
    got = by_kind(make_case(channel="phone"), at(2026, 3, 10, 10))
    assert got["apology"].state == "due"


# --------------------------------------------------------------------------
# amends.yaml: the plan section
# --------------------------------------------------------------------------
def load(tmp_path: Path, text: str):
    path = tmp_path / "amends.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_yaml_plan_delays(tmp_path):
    config, problems = load(tmp_path, (
        "timezone: Europe/Berlin\n"
        "followups:\n"
        "  plan:\n"
        "    - kind: apology\n"
        "      after: 2 business days\n"
        "    - kind: thanks\n"
        "      after: 1 day\n"
        "      approval: required\n"
    ))
    assert problems == []
    assert config.plan == (Step("apology", 2, True, "apology"), Step("thanks", 1, False, "thanks", approval=True))
    assert config.plan[1].delay_text == "1 day"
    assert config.plan[0].delay_text == "2 business days"


def test_yaml_bad_delay_names_its_line(tmp_path):
    config, problems = load(tmp_path, (
        "followups:\n"
        "  plan:\n"
        "    - kind: apology\n"
        "      after: 2 business days\n"
        "    - kind: thanks\n"
        "      after: soon\n"
    ))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.line == 6
    assert "'soon'" in problem.message and "is not a delay" in problem.message
    assert str(problem).startswith("amends.yaml:6:")


def test_yaml_send_window(tmp_path):
    config, problems = load(tmp_path, (
        "followups:\n"
        "  send_window:\n"
        "    from: \"08:30\"\n"
        "    to: \"16:00\"\n"
        "    days: [mon, wed, fri]\n"
        "  holidays: [2026-03-11]\n"
    ))
    assert problems == []
    assert (config.window_start, config.window_end, config.window_days) == (time(8, 30), time(16, 0), (0, 2, 4))
    assert config.holidays == (date(2026, 3, 11),)
    config = dataclasses.replace(config, plan=CLASSIC_PLAN, timezone="Europe/Berlin", business_email="care@shop.example.com")
    # Fri + 2 window days (Mon, then Wed is a holiday, so Fri) at 08:30.
    assert one(make_case(), "apology", at(2026, 3, 1), config=config).due_at == at(2026, 3, 13, 8, 30)


def test_yaml_window_ending_before_it_starts(tmp_path):
    config, problems = load(tmp_path, (
        "followups:\n"
        "  send_window:\n"
        "    from: \"17:00\"\n"
        "    to: \"09:00\"\n"
    ))
    assert len(problems) == 1
    assert "ends (09:00) before it starts (17:00)" in problems[0].message
    assert problems[0].line == 2
    assert (config.window_start, config.window_end) == (time(9, 0), time(17, 0))


def test_yaml_smtp_password_is_refused(tmp_path):
    config, problems = load(tmp_path, (
        "transport: smtp\n"
        "smtp:\n"
        "  host: mail.example.com\n"
        "  password: hunter2\n"
    ))
    assert len(problems) == 1
    assert problems[0].line == 4
    assert "AMENDS_SMTP_PASSWORD" in problems[0].message
    assert "hunter2" not in repr(config)


@pytest.mark.parametrize("typo, meant", [("catchup_days", "catch_up_days"), ("send_windw", "send_window")])
def test_yaml_unknown_followups_key_suggests_closest(tmp_path, typo, meant):
    config, problems = load(tmp_path, f"followups:\n  email_too: false\n  {typo}: 5\n")
    assert len(problems) == 1
    assert problems[0].line == 3
    assert f"unknown key 'followups.{typo}'" in problems[0].message
    assert f"did you mean '{meant}'?" in problems[0].message
    assert config.email_too is False


def test_yaml_do_not_contact_is_case_insensitive(tmp_path):
    config, problems = load(tmp_path, "business:\n  email: care@shop.example.com\ndo_not_contact: [ANN@Example.COM]\n")
    assert problems == []
    config = dataclasses.replace(config, timezone="Europe/Berlin")
    case = make_case(customer=Customer(name="Ann Example", email="Ann@example.com"))
    got = run(case, at(2026, 3, 11, 10), config=config)
    assert got and all(f.state == "skipped" and "list of people not to contact" in f.reason and "do_not_contact" in f.detail for f in got)

"""Follow-ups as a round: who got in touch, the order and spacing of the kinds, the customer's hours.

Every expected moment here is worked out by hand from a calendar (2026-03-06 is a
Friday; the US moves its clocks on Sunday 2026-03-08 and Sunday 2026-11-01, Europe
on Sunday 2026-03-29 and Sunday 2026-10-25), never from amends.plan itself.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from amends.model import Contact

from test_plan import CONFIG, at, make_case, one, run


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
    assert all("2026-03-09" in f.reason for f in got)


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

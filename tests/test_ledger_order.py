"""The ledger decides by what happened, in one form of every address (issue 21, items 1 and 4).

An address with an international domain is the same customer in the case file
(zoe@müller.example) and in the ledger (the ASCII form that was sent); a ledger
line duplicated or pasted out of order never makes "may have arrived" sendable
again, and is told by `check`; a line with a field amends reads in the wrong
shape is a problem on its line, never a traceback and never ignored.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from amends.followups import ledger
from amends.followups.send import send_pass

from conftest import write_case
from test_resend_guard import sent, states
from test_send import at, case, cli, events, write_config

ZOE = "zoe@müller.example"
ZOE_SENT = "zoe@xn--mller-kva.example"
KEY = "cake/apology/2026-03-02"
NAME = "outbox/ledger.jsonl"


# -- 1. one form of every address ------------------------------------------------------

def test_an_international_address_renamed_case_sends_nothing_twice_and_is_told(root, capsys):
    write_config(root, 2525, transport="outbox")
    old = write_case(root, "cake.md", case(ZOE, "2026-03-02", opened="2026-03-01"))
    send_pass(root, at("2026-03-04"))
    assert sent(root) == [(KEY, ZOE_SENT)]

    old.rename(root / "cases" / "2026-03-01-wedding-cake.md")
    assert send_pass(root, at("2026-03-04", "10:05")).results == []
    state, reason = states(root, at("2026-03-04", "10:05"), "2026-03-01-wedding-cake")["apology"]
    assert state == "held" and "(case cake)" in reason
    code, out, err = cli(capsys, root, at("2026-03-04", "10:05"), "check")
    assert ("cases/2026-03-01-wedding-cake.md:1: warning: the ledger has follow-ups for case 'cake', which no longer "
            "exists, to the same customer opened the same day: renamed? add `id: cake` to keep its history") in err
    # Days on, still nothing a second time.
    for day in ("2026-03-05", "2026-03-06", "2026-03-09"):
        send_pass(root, at(day))
    assert [k for k, _ in sent(root)] == [KEY]


def test_an_international_address_with_a_corrected_resolved_date_sends_nothing_twice(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case(ZOE, "2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake.md", case(ZOE, "2026-03-03"))
    for day in ("2026-03-05", "2026-03-06"):
        send_pass(root, at(day))
    assert [k for k, _ in sent(root)] == [KEY]
    state, reason = states(root, at("2026-03-06"), "cake")["apology"]
    assert state == "held" and f"already went to {ZOE_SENT} on 4 Mar 2026" in reason


@pytest.mark.parametrize("copy", [ZOE, "Zoe@MÜLLER.example", ZOE_SENT])
def test_an_international_address_copied_case_sends_each_email_once(root, copy):
    write_config(root, 2525, transport="outbox")
    text = case(ZOE, "2026-03-02")
    write_case(root, "cake.md", text)
    write_case(root, "cake-copy.md", text.replace(ZOE, copy).replace("Cake delivered late", "Cake (copy)"))
    day = at("2026-03-02")
    while day <= at("2026-03-13"):
        send_pass(root, day)
        day += timedelta(days=1)
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/explanation/2026-03-02",
                                          "cake/thanks/2026-03-02"]


def test_an_old_ledger_line_with_the_unicode_address_is_read_the_same_way(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake-again.md", case("Zoe@xn--Mller-kva.example", "2026-03-02"))
    write_ledger(root, [line(KEY, "sent", to=ZOE)])
    assert send_pass(root, at("2026-03-04", "11:00")).results == []
    assert states(root, at("2026-03-04", "11:00"), "cake-again")["apology"][0] == "held"


def test_the_comparison_form_of_an_address():
    assert ledger.address_key("Zoe@Müller.Example") == ledger.address_key(ZOE_SENT) == ZOE_SENT
    # A local part outside ASCII is not casefolded: straße and strasse may be two mailboxes.
    assert ledger.address_key("straße@x.de") != ledger.address_key("STRASSE@x.de")
    assert ledger.address_key("not an address") == "not an address"


# -- 4. what happened decides, not the order of the lines -------------------------------

def line(key: str, ev: str, ts: str = "2026-03-04T10:00:00+01:00", **details) -> str:
    event = {"v": 1, "ts": ts, "key": key, "ev": ev}
    if ev in ("attempt", "data", "sent", "tempfail", "permfail", "ambiguous"):
        event |= {"transport": "outbox", "msgid": "<m1@x>", "to": "ann@example.com", "opened": "2026-03-02"}
    return json.dumps(event | details, sort_keys=True)


def write_ledger(root: Path, lines: list[str]) -> None:
    (root / "outbox").mkdir(exist_ok=True)
    (root / "outbox" / "ledger.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


HANDED_OVER = [line(KEY, "attempt", n=1), line(KEY, "data"), line(KEY, "ambiguous", reply="no answer")]
LATER = "2026-03-04T10:30:00+01:00"


@pytest.mark.parametrize("lines, told", [
    # A merge kept the attempt of both sides: once after the handover.
    (HANDED_OVER + [line(KEY, "attempt", n=1)], "4: warning: the same event as line 1"),
    # Two sides pasted in the other order: the attempt of a second try after the handover.
    (HANDED_OVER + [line(KEY, "attempt", LATER, n=2, msgid="<m2@x>")], "4: warning: an attempt after line 3, where the "
                                                                       "message may have arrived"),
    (HANDED_OVER + [line(KEY, "tempfail", LATER, msgid="<m2@x>", code=451)], "4: warning: a tempfail after line 3"),
    # A crash left only the handover; a stray attempt of the same message came after it.
    ([line(KEY, "data"), line(KEY, "attempt", n=1)], "2: warning: an attempt after the data of the same message on line 1"),
    # Lines of one try in the other order.
    ([line(KEY, "ambiguous", LATER), line(KEY, "attempt", n=1)], "2: warning: stamped 2026-03-04T10:00:00+01:00, "
                                                                 "before line 1 of the same follow-up"),
])
def test_a_message_that_may_have_arrived_stays_so_whatever_follows(root, capsys, lines, told):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    write_ledger(root, lines)
    report = send_pass(root, at("2026-03-05"))
    assert report.refused == [] and report.results == []
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "check"
    code, out, err = cli(capsys, root, at("2026-03-05"), "check")
    assert f"{NAME}:{told}" in err and "Traceback" not in out + err


def test_a_release_answers_what_came_before_it_and_the_retry_goes(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    write_ledger(root, HANDED_OVER + [line(KEY, "released", LATER),
                                      line(KEY, "attempt", LATER, n=2, msgid="<m2@x>"),
                                      line(KEY, "tempfail", LATER, msgid="<m2@x>", code=451)])
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "due"
    # The release pasted above the handover it answers does not answer it.
    write_ledger(root, [line(KEY, "released", "2026-03-04T09:00:00+01:00")] + HANDED_OVER)
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "check"


def test_a_refusal_after_the_handover_of_the_same_message_is_what_happened(root):
    """A 4xx after the message body is a refusal: that handover did not arrive, the retry goes."""
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    write_ledger(root, [line(KEY, "attempt", n=1), line(KEY, "data"), line(KEY, "tempfail", code=451, reply="later")])
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "due"
    assert ledger.read(root / NAME).warnings == []


def test_done_and_failed_stay_so_after_a_stray_line(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    failed = [line(KEY, "attempt", n=1), line(KEY, "permfail", code=550, reply="no such user")]
    stray = [line(KEY, "attempt", n=2, msgid="<m2@x>"), line(KEY, "tempfail", msgid="<m2@x>", code=451)]
    write_ledger(root, failed + stray)
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "failed"
    write_ledger(root, failed + [line(KEY, "done", LATER)] + stray)
    assert states(root, at("2026-03-05"), "cake")["apology"][0] == "done"
    assert send_pass(root, at("2026-03-05")).results == []


def test_a_normal_round_tells_nothing(root, capsys):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    for day in ("2026-03-04", "2026-03-05", "2026-03-09"):
        send_pass(root, at(day))
    cli(capsys, root, at("2026-03-09"), "release", "cake", "thanks")
    assert ledger.read(root / NAME).warnings == []
    code, out, err = cli(capsys, root, at("2026-03-09"), "check")
    assert NAME not in err


# -- 4. every field read is checked on reading --------------------------------------------

BAD_FIELDS = [
    ({"ev": "approved"}, "'sha256' of an approval is missing"),
    ({"ev": "approved", "sha256": "abc"}, "'sha256' of an approval should be 64 hex digits, not \"abc\""),
    ({"ev": "sent", "transport": "outbox", "to": ["ann@example.com"]}, "'to' should be text, not [\"ann@example.com\"]"),
    ({"ev": "sent", "transport": "outbox", "to": 7}, "'to' should be text, not 7"),
    ({"ev": "sent"}, "'transport' of the sent event is missing"),
    ({"ev": "attempt"}, "'transport' of the attempt event is missing"),
    ({"ev": "data", "transport": "smpt"}, "'transport' of the data event should be smtp or outbox, not \"smpt\""),
    ({"ev": "permfail", "transport": "smtp", "code": "550"}, "'code' should be a whole number, not \"550\""),
    ({"ev": "sent", "transport": "smtp", "msgid": None}, "'msgid' should be text, not null"),
    ({"ev": "sent", "transport": "smtp", "opened": "1 March"}, "'opened' should be a date like 2026-03-02, not \"1 March\""),
]


@pytest.mark.parametrize("fields, words", BAD_FIELDS)
def test_a_field_in_the_wrong_shape_is_a_problem_on_its_line(root, capsys, fields, words):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    write_ledger(root, [json.dumps({"v": 1, "ts": "2026-03-04T10:00:00+01:00", "key": KEY} | fields)])
    book = ledger.read(root / NAME)
    assert [str(p) for p in book.problems] == [f"{NAME}:1: {words}"] and set(book.doubtful) == {KEY}
    for command in ("send", "followups", "build"):
        code, out, err = cli(capsys, root, at("2026-03-05"), command)
        assert f"{NAME}:1: {words}" in err and "Traceback" not in out + err
        if command == "send":
            assert code == 2
    assert not (root / "outbox" / "messages").exists()

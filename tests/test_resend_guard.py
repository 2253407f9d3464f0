"""Never the same email twice to the same person by accident (issue 15, item 2).

A renamed case, a corrected resolved date or a copied case must not send a
round again; a real reopen still gets its fresh round. Passes use the outbox
transport: nothing here needs a mail server.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from amends.followups.review import review
from amends.followups.send import send_pass

from conftest import write_case
from test_send import at, case, cli, events, write_config


def sent(root: Path) -> list[tuple[str, str]]:
    """(key, recipient) of every message recorded as sent, in order."""
    return [(e["key"], e.get("to")) for e in events(root) if e["ev"] == "sent"]


def states(root: Path, now, case_id: str) -> dict[str, tuple[str, str]]:
    return {p.followup.kind: (p.followup.state, p.followup.reason)
            for p in review(root, now).prepared if p.followup.case.id == case_id}


def test_a_renamed_case_does_not_send_its_round_again(root, capsys):
    write_config(root, 2525, transport="outbox")
    old = write_case(root, "cake.md", case("ann@example.com", "2026-03-02", opened="2026-03-01"))
    send_pass(root, at("2026-03-04"))
    assert sent(root) == [("cake/apology/2026-03-02", "ann@example.com")]
    # The sent event says to whom, so the guard knows even when the case is gone.
    assert [e["opened"] for e in events(root) if e["ev"] == "sent"] == ["2026-03-01"]

    old.rename(root / "cases" / "2026-03-01-wedding-cake.md")
    report = send_pass(root, at("2026-03-04", "10:05"))
    assert report.results == []
    state, reason = states(root, at("2026-03-04", "10:05"), "2026-03-01-wedding-cake")["apology"]
    assert state == "held"
    assert "already went to" in reason and "(case cake)" in reason and "4 Mar 2026" in reason
    assert "python build.py release 2026-03-01-wedding-cake apology" in reason

    code, out, err = cli(capsys, root, at("2026-03-04", "10:05"), "check")
    assert ("cases/2026-03-01-wedding-cake.md:1: warning: the ledger has follow-ups for case 'cake', which no longer "
            "exists, to the same customer opened the same day: renamed? add `id: cake` to keep its history") in err

    # Setting the old id back keeps the history: the round goes on where it was.
    text = (root / "cases" / "2026-03-01-wedding-cake.md").read_text(encoding="utf-8")
    write_case(root, "2026-03-01-wedding-cake.md", text.replace("---\n", "---\nid: cake\n", 1))
    code, out, err = cli(capsys, root, at("2026-03-05", "10:00"), "check")
    assert "renamed?" not in err
    send_pass(root, at("2026-03-05", "10:00"))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/explanation/2026-03-02"]


def test_a_resolved_date_corrected_by_a_day_does_not_send_again(root, capsys):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake.md", case("ann@example.com", "2026-03-03"))
    for day in ("2026-03-05", "2026-03-06"):
        send_pass(root, at(day))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02"]
    now = states(root, at("2026-03-06"), "cake")
    assert now["apology"][0] == "held" and "already went to ann@example.com on 4 Mar 2026. " in now["apology"][1]
    assert now["explanation"] == ("upcoming", "waits for the apology, which is held")
    # A person confirms the apology went: the rest of the round goes on.
    code, out, err = cli(capsys, root, at("2026-03-06"), "done", "cake", "apology")
    assert code == 0, err
    send_pass(root, at("2026-03-09"))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/explanation/2026-03-03"]


def test_a_copied_case_sends_each_email_once(root):
    write_config(root, 2525, transport="outbox")
    text = case("ann@example.com", "2026-03-02")
    write_case(root, "cake.md", text)
    write_case(root, "cake-copy.md", text.replace("Cake delivered late", "Cake delivered late (copy)"))
    day = at("2026-03-02")
    while day <= at("2026-03-13"):
        send_pass(root, day)
        day += timedelta(days=1)
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/explanation/2026-03-02",
                                          "cake/thanks/2026-03-02"]
    state, reason = states(root, at("2026-03-04", "09:00"), "cake-copy")["apology"]
    assert state == "held" and "(case cake)" in reason


def test_the_address_of_an_older_event_comes_from_its_case(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    (root / "outbox").mkdir()
    # A ledger from before addresses were recorded.
    (root / "outbox" / "ledger.jsonl").write_text(json.dumps(
        {"v": 1, "ts": "2026-03-04T10:00:00+01:00", "key": "cake/apology/2026-03-02", "ev": "sent",
         "transport": "outbox", "msgid": "<a@x>"}) + "\n", encoding="utf-8")
    write_case(root, "cake-again.md", case("ANN@example.com", "2026-03-02"))
    assert send_pass(root, at("2026-03-04", "11:00")).results == []
    assert states(root, at("2026-03-04", "11:00"), "cake-again")["apology"][0] == "held"


def test_release_sends_a_held_email_anyway(root, capsys):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake-copy.md", case("ann@example.com", "2026-03-02"))
    code, out, err = cli(capsys, root, at("2026-03-04", "11:00"), "release", "cake-copy", "apology")
    assert code == 0, err
    send_pass(root, at("2026-03-04", "11:05"))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake-copy/apology/2026-03-02"]


def test_a_case_resolved_again_after_the_guard_days_gets_a_fresh_round(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    send_pass(root, at("2026-03-04"))
    # Reopened in May without a contact logged, resolved again on Mon 11 May: more than 60 days on.
    write_case(root, "cake.md", case("ann@example.com", "2026-05-11", opened="2026-03-02"))
    send_pass(root, at("2026-05-13"))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/apology/2026-05-11"]


def test_resend_guard_days_is_a_setting(root):
    write_config(root, 2525, transport="outbox", followups="  resend_guard_days: 1\n")
    write_case(root, "cake.md", case("ann@example.com", "2026-03-02"))
    send_pass(root, at("2026-03-04"))
    write_case(root, "cake.md", case("ann@example.com", "2026-03-05"))
    send_pass(root, at("2026-03-09"))
    assert [k for k, _ in sent(root)] == ["cake/apology/2026-03-02", "cake/apology/2026-03-05"]

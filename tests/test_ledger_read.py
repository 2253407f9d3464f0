"""A ledger that is read safely (issue 15, item 5).

A hand-edited or merged line is reported as outbox/ledger.jsonl:LINE; send
refuses to guess what was sent; followups and build show the affected
follow-ups as `check`.
"""
from __future__ import annotations

import json

from amends.followups import ledger
from conftest import write_case
from test_send import at, case, cli, row, write_config


def good(key: str, ev: str = "sent", ts: str = "2026-03-04T10:00:00+01:00") -> str:
    return json.dumps({"v": 1, "ts": ts, "key": key, "ev": ev, "transport": "outbox", "msgid": "<a@x>"})


BAD_LINES = [
    # (line, what the problem says, the key it names)
    ('{"ev": "sent", "key": "ann/apology/2026-03-02", "msgid": "<a', "not a JSON line", "ann/apology/2026-03-02"),
    (json.dumps({"v": 1, "key": "bob/apology/2026-03-02", "ev": "sent"}), "'ts' is missing", "bob/apology/2026-03-02"),
    (good("cat/apology/2026-03-02", ts="yesterday"), "'ts' \"yesterday\" is not a date and time",
     "cat/apology/2026-03-02"),
    (good("dan/apology/2026-03-02", ts="2026-03-04T10:00:00"), "with a UTC offset", "dan/apology/2026-03-02"),
    (good("eve/apology/2026-03-02", ev="delivered"), "unknown event \"delivered\"", "eve/apology/2026-03-02"),
    ("[1, 2]", "not a ledger event", None),
]


def write_ledger(root, lines: list[str]) -> None:
    (root / "outbox").mkdir(exist_ok=True)
    (root / "outbox" / "ledger.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_bad_line_is_reported_with_its_line_and_key(tmp_path):
    lines = [good("ok/apology/2026-03-02")] + [line for line, _, _ in BAD_LINES]
    write_ledger(tmp_path, lines)
    book = ledger.read(tmp_path / "outbox" / "ledger.jsonl")
    assert [e["key"] for e in book.events] == ["ok/apology/2026-03-02"]
    assert [p.line for p in book.problems] == list(range(2, 2 + len(BAD_LINES)))
    for problem, (_, words, _) in zip(book.problems, BAD_LINES):
        assert str(problem).startswith(f"outbox/ledger.jsonl:{problem.line}: ") and words in problem.message
    assert set(book.doubtful) == {key for _, _, key in BAD_LINES if key}


def test_git_conflict_markers_are_reported_and_their_keys_doubted(tmp_path):
    write_ledger(tmp_path, [good("ok/apology/2026-03-02"), "<<<<<<< HEAD", good("ann/apology/2026-03-02"), "=======",
                            good("bob/apology/2026-03-02"), ">>>>>>> other", good("cat/apology/2026-03-02")])
    book = ledger.read(tmp_path / "outbox" / "ledger.jsonl")
    assert [p.line for p in book.problems] == [2, 4, 6]
    assert all("git merge conflict marker" in p.message for p in book.problems)
    assert set(book.doubtful) == {"ann/apology/2026-03-02", "bob/apology/2026-03-02"}


def project(root):
    write_config(root, 2525, transport="outbox")
    write_case(root, "ann.md", case("ann@example.com", "2026-03-02"))
    write_case(root, "bob.md", case("bob@example.com", "2026-03-02", name="Bob Other"))
    # Ann's apology was sent; then a hand edit broke the ts of its line.
    write_ledger(root, [good("ann/apology/2026-03-02", ts="04.03.2026 10:00")])


def test_send_refuses_until_the_ledger_is_fixed(root, capsys):
    project(root)
    before = (root / "outbox" / "ledger.jsonl").read_bytes()
    code, out, err = cli(capsys, root, at("2026-03-05"), "send")
    assert code == 2
    assert "outbox/ledger.jsonl:1: 'ts' \"04.03.2026 10:00\" is not a date and time" in err
    assert "nothing was sent" in err and "Traceback" not in out + err
    assert (root / "outbox" / "ledger.jsonl").read_bytes() == before
    assert not (root / "outbox" / "messages").exists()
    # approve, release and done record nothing either.
    code, out, err = cli(capsys, root, at("2026-03-05"), "release", "bob", "apology")
    assert code == 2 and "outbox/ledger.jsonl:1:" in err
    assert (root / "outbox" / "ledger.jsonl").read_bytes() == before


def test_followups_and_build_show_the_affected_key_as_check(root, capsys):
    project(root)
    code, out, err = cli(capsys, root, at("2026-03-05"), "followups")
    assert "outbox/ledger.jsonl:1: 'ts'" in err and "Traceback" not in out + err
    line = row(out, "ann", "apology")
    assert line.startswith("check") and "outbox/ledger.jsonl:1:" in line
    # The rest of Ann's round waits; Bob's is untouched.
    assert "waits for the apology, which may have arrived" in row(out, "ann", "explanation")
    assert row(out, "bob", "apology").startswith("due")

    code, out, err = cli(capsys, root, at("2026-03-05"), "build")
    assert code == 1
    assert "outbox/ledger.jsonl:1: 'ts'" in err and "Traceback" not in out + err
    assert "outbox/ledger.jsonl" in (root / "site" / "problems.html").read_text(encoding="utf-8")

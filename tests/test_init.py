"""`init DIR`: a business starts its own casebook, and walks the README's "Start your own casebook":
init, new, check, build and a first send with the outbox transport, in a temporary folder, with the
real build.py and git.
"""
from __future__ import annotations

import email
import email.policy
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO

# A git identity of the test's own, so that the first commit is made whatever the machine's settings.
GIT = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}


def amends(*words: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """build.py as a user runs it, with no terminal for its standard input."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *words], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=cwd, env={**os.environ, **GIT}, timeout=300)


def test_the_walk_from_init_to_a_first_send(tmp_path: Path):
    book = tmp_path / "harbour-lane"
    made = amends("init", str(book), "--name", "Harbour Lane Bäckerei", "--email", "care@harbourlane.example",
                  "--phone", "+49 40 555 0142", "--address", "Harbour Lane 7; 20457 Hamburg",
                  "--language", "de", "--currency", "eur", "--timezone", "Europe/Berlin")
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in book.iterdir()) == [".git", ".gitignore", "amends.yaml", "cases", "templates"]
    assert not list((book / "cases").glob("*.md"))  # no sample cases
    settings = (book / "amends.yaml").read_text(encoding="utf-8")
    assert 'name: "Harbour Lane Bäckerei"' in settings and 'currency: "EUR"' in settings
    assert "  address: |\n    Harbour Lane 7\n    20457 Hamburg\n" in settings
    log = subprocess.run(["git", "-C", str(book), "log", "--format=%s"], capture_output=True, text=True).stdout
    assert log.strip() == "A new casebook for Harbour Lane Bäckerei"

    root = ["--root", str(book)]
    new = amends(*root, "--today", "2026-11-18", "new", "--title", "Torte zu spät", "--name", "Anna Beispiel",
                 "--email", "anna@example.com")
    assert new.returncode == 0, new.stderr
    [case] = (book / "cases").glob("*.md")
    # The owner fills it in, in their editor.
    text = case.read_text(encoding="utf-8")
    for blank, filled in [("status: open   ", "status: resolved"), ("# resolved: 2026-11-18", "resolved: 2026-11-20"),
                          ("fault: unclear", "fault: ours"),
                          ("about:  ", "about: die verspätete Lieferung Ihrer Geburtstagstorte  "),
                          ("what_went_wrong:\n", "what_went_wrong: Unser Fahrer hatte den falschen Tag auf seiner Liste.\n"),
                          ("how_resolved:\n", "how_resolved: Wir haben Ihnen noch am selben Tag eine frische Torte gebracht.\n"),
                          ("prevention:  ", "prevention: Die Liste wird jetzt jeden Morgen aus dem Bestellsystem gedruckt.  ")]:
        assert blank in text, blank
        text = text.replace(blank, filled, 1)
    case.write_text(text, encoding="utf-8")
    checked = amends(*root, "--today", "2026-11-24", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    built = amends(*root, "--today", "2026-11-24", "build")
    assert built.returncode == 0, built.stderr
    home = BeautifulSoup((book / "site" / "index.html").read_text(encoding="utf-8"), "html5lib")
    assert "Harbour Lane Bäckerei" in home.text
    # Wed 25 Nov, 10:00 in Hamburg: three business days after the 20th.
    sent = amends(*root, "--now", "2026-11-25T10:00", "send")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    [message] = (book / "outbox" / "messages").glob("*.eml")
    mail = email.message_from_bytes(message.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "Anna Beispiel <anna@example.com>"
    assert mail["From"] == "Harbour Lane Bäckerei <care@harbourlane.example>"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    # In German, the business's language, since the case names none; signed with the business's name.
    assert "die verspätete Lieferung Ihrer Geburtstagstorte" in body and body.rstrip().endswith("Harbour Lane Bäckerei")
    # What git is told to leave alone: the site and the cache are made again from the files kept.
    status = subprocess.run(["git", "-C", str(book), "status", "--porcelain"], capture_output=True, text=True).stdout
    assert "site/" not in status and ".amends-cache" not in status and "cases/" in status


def test_init_never_writes_where_there_are_cases_or_settings(tmp_path: Path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "2026-01-01-x.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    refused = amends("init", str(tmp_path), "--name", "Harbour Lane")
    assert refused.returncode == 2 and "already holds case files" in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "amends.yaml").write_text("business: {name: Mine}\n", encoding="utf-8")
    refused = amends("init", str(other), "--name", "Harbour Lane")
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert (other / "amends.yaml").read_text(encoding="utf-8") == "business: {name: Mine}\n"


def test_each_mistake_is_named_by_its_option_and_nothing_is_written(tmp_path: Path):
    book = tmp_path / "book"
    wrong = amends("init", str(book), "--name", "Harbour Lane", "--email", "care@", "--currency", "EURO",
                   "--timezone", "Europe/Hamburgg", "--language", "german")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    lines = wrong.stderr.splitlines()
    for option in ("--email", "--currency", "--timezone", "--language"):
        assert any(line.startswith(f"error: {option}: ") for line in lines), (option, lines)
    assert not book.exists()
    nameless = amends("init", str(book))
    assert nameless.returncode == 2 and "error: --name: the business needs a name" in nameless.stderr
    assert not book.exists()


def test_on_a_terminal_init_asks_for_what_was_not_given(tmp_path: Path):
    book = tmp_path / "book"
    leader, follower = pty.openpty()
    answers = "Harbour Lane\ncare@harbourlane.example\n\nen\nGBP\nEurope/London\n"
    with subprocess.Popen([sys.executable, str(REPO / "build.py"), "init", str(book)], stdin=follower,
                          stdout=follower, stderr=follower, env={**os.environ, **GIT}) as process:
        os.close(follower)
        os.write(leader, answers.encode())
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes with the process
                break
            if not chunk:
                break
            said += chunk
        assert process.wait(timeout=60) == 0, said.decode()
    os.close(leader)
    shown = said.decode()
    assert "The business's name: " in shown and "Its currency [EUR]: " in shown
    settings = (book / "amends.yaml").read_text(encoding="utf-8")
    assert 'name: "Harbour Lane"' in settings and 'email: "care@harbourlane.example"' in settings
    assert 'currency: "GBP"' in settings and 'timezone: "Europe/London"' in settings and "  # phone:" in settings


def test_the_settings_of_a_new_casebook_are_what_check_accepts():
    """Whatever is typed for a name reads back as that name: quotes, colons, a hash, accents."""
    from amends.cases.casebook import Business, problems, settings_text
    from amends.cases.config import parse_config
    for name in ('Ann\'s "Café": #1', "- dash", "yes", "{brace}", "Müller & Söhne"):
        business = Business(name, email="care@example.com", timezone="Europe/Berlin")
        assert problems(business) == []
        config, _ = parse_config(settings_text(business).encode())
        assert config.business_name == name and config.signature.strip() == name

"""The inbox with real mail servers: Debian's Postfix delivers, and Debian's Dovecot serves the same Maildir
over IMAP with TLS, both private to this test and listening on 127.0.0.1 only.

The sequence an owner lives through: `send` mails the check-in through Postfix; the customer answers with
the check-in's own "Not yet" (or "Yes") link, decoded as a mail client decodes a mailto: link (RFC 6068)
and sent back through Postfix; a follow-up to an address that does not exist comes back as Postfix's own
bounce; then `inbox` reads it all over IMAP, and the site shows it.
"""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.followups import mailbox
from conftest import MINIMAL_CASE, write_case
from test_postfix import MAIN_CF as POSTFIX_MAIN_CF, MASTER_CF, free_port

POSTFIX, DOVECOT = "/usr/sbin/postfix", "/usr/sbin/dovecot"
NOBODY = 65534
# The mailboxes the servers know: the business and its customer share one Maildir.
KNOWN = ("care@example.com", "ann@example.com")

# test_postfix's Postfix, but for these mailboxes only: anyone else at example.com is accepted at the door
# and bounced after, as a real server does for a mailbox that is gone.
MAIN_CF = POSTFIX_MAIN_CF.replace("virtual_mailbox_maps = static:maildir/",
                                  "virtual_mailbox_maps = texthash:{folder}/config/mailboxes") + \
    "smtpd_reject_unlisted_recipient = no\n"
assert "texthash" in MAIN_CF, "test_postfix's main.cf changed: keep this one in step"

DOVECOT_CONF = """\
base_dir = {folder}/dovecot-run
state_dir = {folder}/dovecot-state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{folder}/config/cert.pem
ssl_key = <{folder}/config/key.pem
auth_mechanisms = plain
disable_plaintext_auth = yes
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/config/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={folder}/home
}}
mail_location = maildir:{folder}/mail/maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


def cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Postfix and Dovecot are needed on CI: {reason}")
    pytest.skip(f"the mail servers cannot run here: {reason} (make test installs them with apt-get)")


def wait_for_port(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)


@pytest.fixture
def servers():
    """(SMTP port, IMAPS port, the TLS certificate, the Maildir); both servers stopped at the end."""
    for binary in (POSTFIX, DOVECOT):
        if not os.path.exists(binary):
            cannot_run(f"{binary} is not installed")
    if os.geteuid() != 0:
        cannot_run("starting Postfix and Dovecot needs root")
    folder = Path(tempfile.mkdtemp(prefix="amends-mail-", dir="/var/tmp"))
    folder.chmod(0o755)
    for sub in ("mail", "config", "queue", "home"):
        (folder / sub).mkdir(parents=True)
    for sub in ("mail", "home"):
        os.chown(folder / sub, NOBODY, NOBODY)
    config = folder / "config"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(config / "key.pem"),
                    "-out", str(config / "cert.pem")], check=True, capture_output=True)
    (config / "users").write_text("care@example.com:{PLAIN}not-a-real-secret\n")
    (config / "mailboxes").write_text("".join(f"{address} maildir/\n" for address in KNOWN))
    smtp_port, imap_port = free_port(), free_port()
    (config / "main.cf").write_text(MAIN_CF.format(folder=folder, uid=NOBODY, gid=NOBODY))
    (config / "master.cf").write_text(MASTER_CF.format(port=f"127.0.0.1:{smtp_port}"))
    (config / "dovecot.conf").write_text(DOVECOT_CONF.format(folder=folder, uid=NOBODY, port=imap_port))
    started = subprocess.run([POSTFIX, "-c", str(config), "start"], capture_output=True, text=True)
    # Into a file, not a pipe: Dovecot's processes keep what they inherit open for as long as they run.
    with open(folder / "dovecot-start.log", "w") as log:
        dovecot = subprocess.run([DOVECOT, "-c", str(config / "dovecot.conf")], stdout=log, stderr=log)
    try:
        if started.returncode or dovecot.returncode:
            cannot_run(f"the servers did not start: {started.stderr.strip()} "
                       f"{(folder / 'dovecot-start.log').read_text().strip()}")
        wait_for_port(smtp_port)
        wait_for_port(imap_port)
        yield smtp_port, imap_port, config / "cert.pem", folder / "mail" / "maildir"
    finally:
        subprocess.run([DOVECOT, "-c", str(config / "dovecot.conf"), "stop"], capture_output=True)
        subprocess.run([POSTFIX, "-c", str(config), "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


CASE = MINIMAL_CASE.replace("2026-03-01", "2026-11-23").replace("2026-03-04", "2026-11-24").replace(
    "Ann Example", "Ann Example\n  phone: \"+49 40 555 0100\"").replace("status: resolved", """status: resolved
fault: ours
about: the late delivery of your birthday cake
what_went_wrong: Our van left an hour late because the driver's list had the wrong day.
how_resolved: We refunded the delivery fee and brought a fresh cake the same afternoon.
prevention: The driver's list is now printed from the order system each morning.""")
GONE = CASE.replace("ann@example.com", "gone@example.com").replace("Cake delivered late", "Bread stale")


@pytest.fixture
def project(root: Path, servers, monkeypatch) -> Path:
    smtp_port, imap_port, cert, _ = servers
    (root / "amends.yaml").write_text(f"""\
business: {{name: Harbour Lane, email: care@example.com, phone: "+49 40 555 0142"}}
timezone: Europe/Berlin
transport: smtp
smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 20}}
inbox:
  imap: {{host: 127.0.0.1, port: {imap_port}, security: tls, user: care@example.com}}
""")
    write_case(root, "2026-11-23-cake-late.md", CASE)
    write_case(root, "2026-11-23-bread-stale.md", GONE)
    monkeypatch.setenv("AMENDS_IMAP_PASSWORD", "not-a-real-secret")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the throwaway certificate, verified like any other
    return root


def run(root: Path, now: str, *command: str) -> int:
    return cli.main(["--root", str(root), "--now", now, *command])


def delivered(maildir: Path, count: int) -> list[email.message.EmailMessage]:
    """What Postfix put in the Maildir, once it holds `count` messages."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = sorted((maildir / "new").glob("*")) if (maildir / "new").is_dir() else []
        if len(found) >= count:
            return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in found]
        time.sleep(0.2)
    pytest.fail(f"Postfix delivered {len(found)} of {count} messages")


def answer_with_link(maildir: Path, checkin: email.message.EmailMessage, label: str, smtp_port: int) -> None:
    """Click the check-in's link and send what the mail client opens, through Postfix."""
    html = checkin.get_body(preferencelist=("html",)).get_content()
    link = BeautifulSoup(html, "html5lib").find("a", string=label)["href"]
    parts = urlsplit(link)
    answer = EmailMessage()
    answer["From"], answer["To"] = "Ann Example <ann@example.com>", unquote(parts.path)
    answer["Subject"] = parse_qs(parts.query)["subject"][0]
    answer.set_content("")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as smtp:
        smtp.send_message(answer)


@pytest.mark.parametrize("label", ["Not yet", "Yes, all good"])
def test_the_customer_answers_the_check_in_and_a_bounce_comes_back(project: Path, servers, label: str, capsys):
    smtp_port, _, _, maildir = servers
    # Fri 27 Nov: the follow-up emails go, one to an address that no longer exists; Postfix bounces it to care@.
    assert run(project, "2026-11-27T10:00", "send") in (0, 1)
    delivered(maildir, 2)
    capsys.readouterr()
    assert run(project, "2026-11-27T11:00", "inbox") == 0
    said = capsys.readouterr().out
    assert "2 new messages read from imap, 0 read before" in said
    assert "bounce of 2026-11-23-bread-stale/followup/2026-11-24: the address does not exist (5.1.1)" in said
    assert "automatic: " in said  # the copy of our own follow-up to Ann, which care@ shares the Maildir with
    # Fri 4 Dec: the check-in goes to Ann, not to the address that bounced.
    assert run(project, "2026-12-04T10:00", "send") in (0, 1)
    messages = delivered(maildir, 3)
    checkins = [m for m in messages if "all right" in str(m["Subject"])]
    assert [str(m["To"]) for m in checkins] == ["Ann Example <ann@example.com>"]
    assert checkins[0]["Auto-Submitted"] == "auto-generated"
    answer_with_link(maildir, checkins[0], label, smtp_port)
    delivered(maildir, 4)
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in (maildir / "new").glob("*")}
    assert run(project, "2026-12-04T15:00", "inbox") == 0
    said = capsys.readouterr().out
    assert "2 new messages read from imap, 2 read before" in said
    assert f"answer from ann@example.com on 2026-11-23-cake-late: {'not yet' if label == 'Not yet' else 'yes'}" in said
    assert run(project, "2026-12-04T15:05", "inbox") == 0  # read again: nothing new, nothing twice
    assert "0 new messages read from imap, 4 read before" in capsys.readouterr().out
    assert len(mailbox.read_record(project).messages) == 4
    assert {p.name: p.read_bytes() for p in (maildir / "new").glob("*")} == before  # the mailbox is as it was

    assert run(project, "2026-12-04T16:00", "--quiet", "build") in (0, 1)
    site = project / "site"
    page = BeautifulSoup((site / "cases" / "2026-11-23-cake-late.html").read_text(encoding="utf-8"), "html5lib")
    home = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html5lib")
    heard = page.find(id="heard-h").parent.text
    gone = BeautifulSoup((site / "cases" / "2026-11-23-bread-stale.html").read_text(encoding="utf-8"), "html5lib")
    assert "bounced on 27 Nov 2026: the address does not exist (5.1.1)" in gone.find(id="followups-h").parent.text
    if label == "Not yet":
        assert "answer: not yet" in heard and "confirmed" not in heard
        assert home.find(id="attention-h").find_next("h3")["id"] == "callbacks-h"
        item = next(li for li in home.find(id="attention-callbacks").find_all("li") if "Cake delivered late" in li.text)
        assert "call them by 7 Dec 2026" in item.text  # Monday: the next business day
        assert "call-back" in page.find(id="followups-h").parent.text
    else:
        assert "answer: yes" in heard and "confirmed" in heard and "not confirmed" not in heard
        callbacks = home.find(id="attention-callbacks")
        assert callbacks is None or "Cake delivered late" not in callbacks.text

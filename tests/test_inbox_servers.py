"""The inbox with real mail servers: Debian's Postfix delivers, and Debian's Dovecot serves the same Maildir
over IMAP with TLS, both private to this test and listening on 127.0.0.1 only.

The sequence an owner lives through: `send` mails the check-in through Postfix; the customer answers with
the check-in's own "Not yet" (or "Yes") link, decoded as a mail client decodes a mailto: link (RFC 6068)
and sent back through Postfix; a follow-up to an address that does not exist comes back as Postfix's own
bounce; then `inbox` reads it all over IMAP, and the site shows it.

A customer away on holiday: Ann's mail goes through Postfix to Dovecot's LMTP, whose Sieve (Pigeonhole)
has her vacation notice on, as her own provider's would. Our follow-up (`Auto-Submitted: auto-generated`)
gets no notice; a message a person at the business writes to her by hand does, and `inbox` lists that
notice as automatic: no reply, no answer, nothing held, no call-back.

A connection that drops halfway: a proxy between amends and Dovecot cuts it once about half the bytes of
thirty messages have passed. `inbox` fails with one line and keeps what it recorded; the next run, over a line
that holds, reads the rest, and every message is recorded once.
"""
from __future__ import annotations

import email
import email.policy
import os
import select
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.cases.config import load_config
from amends.followups import incoming, mailbox
from amends.followups.messages import case_token
from conftest import MINIMAL_CASE, write_case
from test_postfix import MAIN_CF as POSTFIX_MAIN_CF, MASTER_CF as POSTFIX_MASTER_CF, free_port

POSTFIX, DOVECOT = "/usr/sbin/postfix", "/usr/sbin/dovecot"
LMTP, SIEVE = "/usr/lib/dovecot/lmtp", "/usr/lib/dovecot/modules/lib90_sieve_plugin.so"
NOBODY = 65534
# The mailboxes the servers know: the business and its customer share one Maildir, unless Ann is away
# (then Dovecot's LMTP delivers her mail to a Maildir of her own).
KNOWN = ("care@example.com", "ann@example.com")

# test_postfix's Postfix, but for these mailboxes only: anyone else at example.com is accepted at the door
# and bounced after, as a real server does for a mailbox that is gone. transport_maps sends Ann's mail to
# Dovecot's LMTP when she is away; it is empty otherwise.
MAIN_CF = POSTFIX_MAIN_CF.replace("virtual_mailbox_maps = static:maildir/",
                                  "virtual_mailbox_maps = texthash:{folder}/config/mailboxes") + \
    "smtpd_reject_unlisted_recipient = no\ntransport_maps = texthash:{folder}/config/transport\n"
assert "texthash" in MAIN_CF, "test_postfix's main.cf changed: keep this one in step"
MASTER_CF = POSTFIX_MASTER_CF + "lmtp      unix  - - n - - lmtp\n"

# Each user's mail in mail/USER (%n: the address before the @), and a home of their own, where Sieve keeps
# its scripts and whom it answered. Users come from the passdb for IMAP; LMTP delivers to any user.
DOVECOT_CONF = """\
base_dir = {folder}/dovecot-run
state_dir = {folder}/dovecot-state
log_path = {folder}/dovecot.log
protocols = {protocols}
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
  args = uid={uid} gid={uid} home={folder}/home/%n allow_all_users=yes
}}
mail_location = maildir:{folder}/mail/%n
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

# Ann away: Postfix hands her mail to this LMTP listener, Sieve runs her active script as it delivers, and
# what the script sends (the vacation notice) goes back through Postfix, to whoever wrote to her.
LMTP_CONF = """\
postmaster_address = postmaster@example.com
submission_host = 127.0.0.1:{smtp_port}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
"""

# Her script, as a webmail's "I am away" form writes it: at most one notice a day to each sender, and only
# for mail addressed to her (RFC 5230 also keeps it from answering machine mail and lists).
VACATION = """\
require ["vacation"];
vacation :days 1 :addresses ["ann@example.com"]
  "I am on holiday until 14 December and will read your message when I am back.";
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


@dataclass
class Servers:
    smtp: int               # Postfix's port
    imap: int               # Dovecot's IMAPS port
    cert: Path              # the throwaway certificate Dovecot presents
    maildir: Path           # care@example.com's Maildir (and Ann's too, unless she is away)
    ann: Path | None        # Ann's own Maildir when she is away
    queue: Path             # Postfix's queue


@pytest.fixture
def servers(request):
    """Postfix and Dovecot, both stopped at the end. Parametrized indirectly with "away", Ann has her own
    mailbox, delivered over LMTP with a Sieve vacation notice on."""
    away = getattr(request, "param", None) == "away"
    needed = (POSTFIX, DOVECOT) + ((LMTP, SIEVE) if away else ())
    for binary in needed:
        if not os.path.exists(binary):
            cannot_run(f"{binary} is not installed")
    if os.geteuid() != 0:
        cannot_run("starting Postfix and Dovecot needs root")
    folder = Path(tempfile.mkdtemp(prefix="amends-mail-", dir="/var/tmp"))
    folder.chmod(0o755)
    for sub in ("mail", "config", "queue", "home/care", "home/ann/sieve"):
        (folder / sub).mkdir(parents=True)
    config = folder / "config"
    if away:
        (folder / "home/ann/sieve/vacation.sieve").write_text(VACATION)
        (folder / "home/ann/.dovecot.sieve").symlink_to("sieve/vacation.sieve")  # the active script
    for path in [folder / "mail", folder / "home", *(folder / "home").rglob("*")]:
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(config / "key.pem"),
                    "-out", str(config / "cert.pem")], check=True, capture_output=True)
    (config / "users").write_text("care@example.com:{PLAIN}not-a-real-secret\n")
    (config / "mailboxes").write_text("".join(f"{address} care/\n" for address in KNOWN))
    smtp_port, imap_port, lmtp_port = free_port(), free_port(), free_port()
    (config / "transport").write_text(f"ann@example.com lmtp:inet:127.0.0.1:{lmtp_port}\n" if away else "")
    (config / "main.cf").write_text(MAIN_CF.format(folder=folder, uid=NOBODY, gid=NOBODY))
    (config / "master.cf").write_text(MASTER_CF.format(port=f"127.0.0.1:{smtp_port}"))
    (config / "dovecot.conf").write_text(
        DOVECOT_CONF.format(folder=folder, uid=NOBODY, port=imap_port, protocols="imap lmtp" if away else "imap")
        + (LMTP_CONF.format(smtp_port=smtp_port, lmtp_port=lmtp_port) if away else ""))
    started = subprocess.run([POSTFIX, "-c", str(config), "start"], capture_output=True, text=True)
    # Into a file, not a pipe: Dovecot's processes keep what they inherit open for as long as they run.
    with open(folder / "dovecot-start.log", "w") as log:
        dovecot = subprocess.run([DOVECOT, "-c", str(config / "dovecot.conf")], stdout=log, stderr=log)
    try:
        if started.returncode or dovecot.returncode:
            cannot_run(f"the servers did not start: {started.stderr.strip()} "
                       f"{(folder / 'dovecot-start.log').read_text().strip()}")
        for port in (smtp_port, imap_port) + ((lmtp_port,) if away else ()):
            wait_for_port(port)
        yield Servers(smtp_port, imap_port, config / "cert.pem", folder / "mail" / "care",
                      folder / "mail" / "ann" if away else None, folder / "queue")
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


def configure(root: Path, smtp_port: int, imap_port: int) -> None:
    """amends.yaml: send through Postfix, read the mailbox from `imap_port` (Dovecot, or a proxy in front)."""
    (root / "amends.yaml").write_text(f"""\
business: {{name: Harbour Lane, email: care@example.com, phone: "+49 40 555 0142"}}
timezone: Europe/Berlin
transport: smtp
smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 20}}
inbox:
  imap: {{host: 127.0.0.1, port: {imap_port}, security: tls, user: care@example.com}}
""")


@pytest.fixture
def project(root: Path, servers: Servers, monkeypatch) -> Path:
    configure(root, servers.smtp, servers.imap)
    write_case(root, "2026-11-23-cake-late.md", CASE)
    write_case(root, "2026-11-23-bread-stale.md", GONE)
    monkeypatch.setenv("AMENDS_IMAP_PASSWORD", "not-a-real-secret")
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.cert))  # the throwaway certificate, verified like any other
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
    smtp_port, maildir = servers.smtp, servers.maildir
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


def queue_empty(servers: Servers) -> None:
    """Wait until Postfix has delivered all it was given, and whatever those deliveries set off: Dovecot sends
    a vacation notice while it delivers over LMTP, so the notice is queued before Postfix lets go of the
    message it answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        waiting = [p for sub in ("maildrop", "incoming", "active", "deferred", "hold")
                   for p in (servers.queue / sub).rglob("*") if p.is_file()]
        if not waiting:
            return
        time.sleep(0.2)
    logs = "".join((servers.queue.parent / name).read_text()[-3000:] for name in ("maillog", "dovecot.log"))
    pytest.fail(f"Postfix still holds {len(waiting)} messages:\n{logs}")


@pytest.mark.parametrize("servers", ["away"], indirect=True)
def test_a_vacation_notice_is_automatic_mail_and_never_answers_for_the_customer(project: Path, servers, capsys):
    # Fri 27 Nov: the follow-up goes to Ann, who is away. It says it is automatic, so her Sieve sends no notice.
    assert run(project, "2026-11-27T10:00", "send") in (0, 1)
    [followup] = delivered(servers.ann, 1)
    queue_empty(servers)
    arrived = delivered(servers.maildir, 1)
    assert not [m for m in arrived if "ann@example.com" in str(m["From"])], "her vacation notice answered our follow-up"
    [bounce] = arrived  # of the other case's follow-up
    assert followup["Auto-Submitted"] == "auto-generated"

    # Someone at the bakery writes to her by hand, naming the case so that her answer finds it: that gets a notice.
    token = case_token("2026-11-23-cake-late", load_config(project / "amends.yaml")[0])
    by_hand = EmailMessage()
    by_hand["From"], by_hand["To"] = "Harbour Lane <care@example.com>", "Ann Example <ann@example.com>"
    by_hand["Subject"], by_hand["Message-ID"] = f"Your birthday cake [ref {token}]", make_msgid(domain="example.com")
    by_hand.set_content("Dear Ann,\n\ndid the fresh cake arrive in time for the party?\n\nPriya\n")
    with smtplib.SMTP("127.0.0.1", servers.smtp, timeout=20) as smtp:
        smtp.send_message(by_hand)
    delivered(servers.ann, 2)
    notice = next(m for m in delivered(servers.maildir, 2) if m["Message-ID"] != bounce["Message-ID"])
    assert notice["From"].addresses[0].addr_spec == "ann@example.com"
    assert notice["Auto-Submitted"].startswith("auto-replied")  # "auto-replied (vacation)"
    assert token in notice["Subject"] and notice["In-Reply-To"] == by_hand["Message-ID"]

    capsys.readouterr()
    assert run(project, "2026-11-27T11:00", "inbox") == 0
    said = capsys.readouterr().out
    assert "2 new messages read from imap, 0 read before" in said
    assert f"automatic: {notice['Subject']} from ann@example.com (Auto-Submitted: auto-replied" in said
    assert "2026-11-23-cake-late" not in said  # not a reply, an answer, or "wrote again" on her case
    assert run(project, "2026-11-27T11:05", "followups") == 0
    table = capsys.readouterr().out
    # STATE WHEN(day time) CASE KIND REASON: her check-in still goes on 4 Dec, and no one is to call her back.
    hers = [(row[0], row[4]) for row in map(str.split, table.splitlines()) if "2026-11-23-cake-late" in row]
    assert ("upcoming", "checkin") in hers and not [row for row in hers if row[0] == "held"], table
    assert "call-back" not in [kind for _, kind in hers], table
    assert ("held", "checkin") in [(row[0], row[4]) for row in map(str.split, table.splitlines())
                                   if "2026-11-23-bread-stale" in row]  # as the bounce does to the other case


class Proxy:
    """127.0.0.1:port, passing each connection's bytes on to Dovecot and back, one connection at a time. With
    `cut_after`, it closes both ends once that many bytes came from the server: a line that drops halfway."""

    def __init__(self, target: int, cut_after: int | None = None):
        self.target, self.cut_after, self.cuts = target, cut_after, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            with client, socket.create_connection(("127.0.0.1", self.target)) as server:
                self.forward(client, server)

    def forward(self, client: socket.socket, server: socket.socket) -> None:
        passed = 0
        while True:
            for side in select.select([client, server], [], [])[0]:
                data = side.recv(65536)
                if not data:
                    return
                if side is client:
                    server.sendall(data)
                    continue
                if self.cut_after is not None and passed + len(data) >= self.cut_after:
                    client.sendall(data[:self.cut_after - passed])
                    self.cuts += 1
                    return
                passed += len(data)
                client.sendall(data)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self.listener.close()
        self.thread.join(10)


# An error while the connection is closed after the cut would only be printed ("Exception ignored in …").
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_connection_that_drops_halfway_loses_nothing_and_reads_nothing_twice(project: Path, servers, capsys):
    # Thirty messages of a few KB each from thirty people: the mailbox of a busy week.
    sent = set()
    with smtplib.SMTP("127.0.0.1", servers.smtp, timeout=20) as smtp:
        for n in range(30):
            msg = EmailMessage()
            msg["From"], msg["To"] = f"Customer {n} <customer{n}@example.org>", "care@example.com"
            msg["Subject"], msg["Message-ID"] = f"Order {4700 + n}", make_msgid(domain="example.org")
            msg.set_content(f"Message {n}.\n" + "The parcel came, but the lid of the tin was dented. " * 60)
            smtp.send_message(msg)
            sent.add(msg["Message-ID"])
    delivered(servers.maildir, 30)
    size = sum(p.stat().st_size for p in (servers.maildir / "new").iterdir())
    proxy = Proxy(servers.imap, cut_after=size // 2)
    try:
        configure(project, servers.smtp, proxy.port)
        capsys.readouterr()
        assert run(project, "2026-12-07T10:00", "inbox") == 2
        out, err = capsys.readouterr()
        assert proxy.cuts == 1
        assert err.startswith("error: the mailbox imap could not be read: ") and err.count("\n") == 1, err
        first = mailbox.read_record(project)
        assert 0 < len(first.messages) < 30, "the cut came too early or too late to test anything"
        assert not first.problems
        for line in first.messages:  # each line recorded after its copy was on disk
            assert (project / line["file"]).is_file()
            assert incoming.read((project / line["file"]).read_bytes()).message_id == line["id"]

        proxy.cut_after = None  # the line holds again
        assert run(project, "2026-12-07T10:05", "inbox") == 0
        out, err = capsys.readouterr()
        assert f"{30 - len(first.messages)} new messages read from imap, {len(first.messages)} read before" in out
    finally:
        proxy.close()
    recorded = [line["id"] for line in mailbox.read_record(project).messages]
    assert len(recorded) == len(set(recorded)), "a message was recorded twice"
    assert set(recorded) == sent

"""Through a real mail server: Debian's Postfix, on 127.0.0.1 only, delivering into a Maildir of its own.

Postfix reads the header it passes on (and rewrites addresses in it), as the
mail servers between amends and a customer do: what it stores must still name
the customer's one address. This Postfix relays nowhere: it listens on
127.0.0.1, accepts mail for example.com only, and writes it to a folder of the
test. `make test` installs Postfix (system-deps) without configuring or
starting the system's own; the test is skipped where Postfix cannot run, and
fails instead on CI.
"""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from amends.cases.config import Smtp, load_config
from amends.followups import messages
from amends.followups.messages import Rendered
from amends.followups.transports import SmtpTransport

from conftest import REPO

POSTFIX = "/usr/sbin/postfix"
NAMES = (
    "Ann Example, attacker@evil.example, and a long tail that makes the header fold over two lines",
    '"Eve" <eve@evil.example>, Zoë Müller; with a long tail that folds the header, too, and more',
    "Bea van der Berg <bea@evil.example>",
    "=?utf-8?q?eve=40evil.example?=, Carl",
)

# Only what delivery into a Maildir needs; no service runs chrooted.
MASTER_CF = """\
{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
showq     unix  n - n - - showq
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {folder}/queue
data_directory = {folder}/data
maillog_file = {folder}/maillog
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mail.amends-test.invalid
mydomain = amends-test.invalid
myorigin = $mydomain
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
# Never relay: whatever is not for example.com fails here.
relayhost =
default_transport = error:this test server relays nowhere
relay_transport = error:this test server relays nowhere
virtual_mailbox_domains = example.com
virtual_mailbox_base = {folder}/mail
virtual_mailbox_maps = static:maildir/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Postfix is needed on CI: {reason}")
    pytest.skip(f"Postfix cannot run here: {reason} (make test installs it with apt-get)")


@pytest.fixture
def postfix():
    """A private Postfix instance on 127.0.0.1:PORT; yields (port, Maildir). Stopped at the end."""
    if not os.path.exists(POSTFIX):
        cannot_run(f"{POSTFIX} is not installed")
    if os.geteuid() != 0:
        cannot_run("starting Postfix needs root")
    # Not under pytest's tmp_path, whose folders only root may enter (Postfix delivers as nobody), nor
    # in /tmp, where `postfix start` failed without a word.
    folder = Path(tempfile.mkdtemp(prefix="amends-postfix-", dir="/var/tmp"))
    folder.chmod(0o755)
    for sub in ("mail", "config", "queue"):
        (folder / sub).mkdir(parents=True)
    nobody = 65534
    os.chown(folder / "mail", nobody, nobody)
    port = free_port()
    (folder / "config" / "main.cf").write_text(MAIN_CF.format(folder=folder, uid=nobody, gid=nobody))
    (folder / "config" / "master.cf").write_text(MASTER_CF.format(port=f"127.0.0.1:{port}"))
    started = subprocess.run([POSTFIX, "-c", str(folder / "config"), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        log = (folder / "maillog").read_text() if (folder / "maillog").exists() else started.stderr
        shutil.rmtree(folder, ignore_errors=True)
        cannot_run(f"'postfix start' failed: {log.strip()}")
    try:
        for _ in range(100):  # the master process opens the port a moment after `postfix start` returns
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port, folder / "mail" / "maildir"
    finally:
        subprocess.run([POSTFIX, "-c", str(folder / "config"), "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_postfix_stores_exactly_the_customers_address(postfix):
    port, maildir = postfix
    config, _ = load_config(REPO / "amends.yaml")
    now = datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    sent = {}
    with SmtpTransport(Smtp(host="127.0.0.1", port=port, security="none", timeout=10), None) as transport:
        for n, name in enumerate(NAMES):
            addr = f"customer{n}@example.com"
            data = messages.build(Rendered(f"Message {n}", "Hello\n", "<p>Hello</p>\n", name, addr),
                                  f"c{n}/apology/2026-03-02", config, now).as_bytes()
            outcome = transport.send(data, config.business_email, addr, lambda: None)
            assert outcome.status == "sent", outcome
            sent[f"Message {n}"] = (name, addr)

    stored = {}
    deadline = time.monotonic() + 30
    while len(stored) < len(sent) and time.monotonic() < deadline:
        for path in (maildir / "new").glob("*") if (maildir / "new").is_dir() else ():
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            stored[str(msg["Subject"])] = msg
        time.sleep(0.2)
    assert sorted(stored) == sorted(sent), "Postfix did not deliver every message"
    for subject, (name, addr) in sent.items():
        msg = stored[subject]
        assert [(" ".join(a.display_name.split()), a.addr_spec) for a in msg["To"].addresses] == [
            (" ".join(name.split()), addr)]
        assert msg["Delivered-To"] == addr

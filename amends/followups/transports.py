"""Where a finished message goes: a small interface with two implementations.

`outbox` needs no mail server: the frozen .eml file in outbox/messages/ is the
delivery. `smtp` uses yagmail for the connection, TLS and login, then speaks
SMTP one step at a time, because yagmail's own send() silently resends after
a dropped connection. Every reply is sorted into an Outcome: sent, a
temporary failure (retry later), a permanent one, or ambiguous (the server
may have the message; never resend it blindly).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from amends.cases.config import Smtp

PASSWORD_VARIABLE = "AMENDS_SMTP_PASSWORD"
KEYRING_SERVICE = "amends"
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | tempfail | permfail | ambiguous
    code: int | None = None
    reply: str = ""


class TransportError(Exception):
    """The transport cannot be used at all this pass (no connection, bad login)."""

    def __init__(self, message: str, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class Transport(Protocol):
    name: str

    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc) -> None: ...

    def send(self, data: bytes, sender: str, recipient: str, handed_over: Callable[[], None]) -> Outcome:
        """Deliver the exact bytes; call handed_over() at the point of no return."""


class OutboxTransport:
    """The default: nothing leaves the machine; the written .eml is the delivery."""

    name = "outbox"

    def __enter__(self) -> "OutboxTransport":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, data: bytes, sender: str, recipient: str, handed_over: Callable[[], None]) -> Outcome:
        return Outcome("sent", None, "written to outbox/messages/")


def smtp_password(user: str | None) -> str | None:
    """The SMTP password from the environment, else the system keyring; never prompted for."""
    return stored_password(user, PASSWORD_VARIABLE, KEYRING_SERVICE)


def stored_password(user: str | None, variable: str, service: str) -> str | None:
    """A password from the environment variable, else the system keyring under `service`; never prompted for."""
    if not user:
        return None
    if os.environ.get(variable):
        return os.environ[variable]
    try:
        import keyring

        return keyring.get_password(service, user)
    except Exception:  # no keyring backend on this machine: same as no password stored
        return None


def _classify(code: int, reply: bytes | str) -> Outcome:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = " ".join(text.split())
    if code == 250:
        return Outcome("sent", code, text)
    return Outcome("tempfail" if 400 <= code < 500 else "permfail", code, text)


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: leading dots doubled, CRLF line ends, the final dot."""
    data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpTransport:
    """One connection for a whole pass, verified TLS, timeouts on every step."""

    name = "smtp"

    def __init__(self, settings: Smtp, password: str | None, data_timeout: float = 600) -> None:
        self.settings = settings
        self.credentials = password
        # RFC 5321 allows the server 10 minutes to answer the final dot; a shorter
        # wait there is a classic cause of duplicates.
        self.data_timeout = data_timeout
        self.client = None  # a yagmail.SMTP while connected

    def __enter__(self) -> "SmtpTransport":
        if self.settings.user and not self.credentials:
            raise TransportError(f"no SMTP password: set {PASSWORD_VARIABLE} or store it with "
                                 f"'keyring set {KEYRING_SERVICE} {self.settings.user}'", temporary=False)
        self._connect()
        return self

    def __exit__(self, *exc) -> None:
        self._drop()

    def _connect(self) -> None:
        s = self.settings
        context = ssl.create_default_context()  # smtplib would not verify certificates otherwise
        extra = {"context": context} if s.security == "tls" else {}
        import yagmail  # here, not at the top: only SMTP passes pay for loading it (and keyring)

        try:
            self.client = yagmail.SMTP(
                # As {name: alias}, so that yagmail takes the login name as written: given as a
                # string without "@", it appends "@gmail.com" (SendGrid's "apikey" would fail).
                user={s.user: s.user} if s.user else None, password=self.credentials, host=s.host,
                port=s.port or DEFAULT_PORTS[s.security],
                smtp_ssl=s.security == "tls",
                smtp_starttls={"context": context} if s.security == "starttls" else False,
                smtp_skip_login=not s.user, soft_email_validation=False,
                timeout=s.timeout, **extra,
            )
            self.client.login()
        except smtplib.SMTPAuthenticationError as error:
            self.client = None
            raise TransportError(f"the SMTP server refused the login: {error.smtp_code} "
                                 f"{error.smtp_error.decode('utf-8', 'replace')}", temporary=False) from None
        except ssl.SSLCertVerificationError as error:
            self.client = None
            raise TransportError(f"the certificate of {s.host} could not be verified ({error.verify_message}); "
                                 "check smtp.host in amends.yaml", temporary=False) from None
        except ssl.SSLError as error:
            self.client = None
            raise TransportError(f"TLS with {s.host} failed: {error}", temporary=False) from None
        except (OSError, smtplib.SMTPException) as error:
            self.client = None
            raise TransportError(f"cannot connect to {s.host}:{s.port or DEFAULT_PORTS[s.security]}: {error}",
                                 temporary=True) from None

    def _drop(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except (OSError, smtplib.SMTPException):
                self.client.smtp.close()
            self.client = None

    def send(self, data: bytes, sender: str, recipient: str, handed_over: Callable[[], None]) -> Outcome:
        try:
            if self.client is None:  # the last message ended the connection
                self._connect()
            smtp = self.client.smtp
            smtp.ehlo_or_helo_if_needed()
            for command, arg in (("mail", sender), ("rcpt", recipient)):
                code, reply = getattr(smtp, command)(arg)
                if code not in (250, 251):
                    return self._refused(code, reply)
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                return self._refused(code, reply)
        except TransportError as error:
            return Outcome("tempfail", None, str(error))
        except (OSError, smtplib.SMTPException) as error:
            # Nothing of the message was sent yet, so trying again later is safe.
            self._drop()
            return Outcome("tempfail", None, f"connection lost before the message was sent: {error}")

        handed_over()
        try:
            smtp.sock.settimeout(self.data_timeout)
            smtp.send(_dot_stuffed(data))
            code, reply = smtp.getreply()
            smtp.sock.settimeout(self.settings.timeout)
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Outcome("ambiguous", None, f"no answer after the message was sent: {error}")
        outcome = _classify(code, reply)
        if code == 421:
            self._drop()
        return outcome

    def _refused(self, code: int, reply: bytes) -> Outcome:
        outcome = _classify(code, reply)
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            try:
                self.client.smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        return outcome


def make_transport(name: str, settings: Smtp) -> Transport:
    """The transport called `name` in amends.yaml or on the command line."""
    if name == "smtp":
        return SmtpTransport(settings, smtp_password(settings.user))
    return OutboxTransport()

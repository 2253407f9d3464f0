"""TLS to the mail server is verified: an untrusted certificate is refused, a trusted one works."""
from __future__ import annotations

import socket
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller

from amends.cases.config import Smtp
from amends.followups.transports import SmtpTransport, TransportError


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return folder / "cert.pem", context


@pytest.fixture(params=["tls", "starttls"])
def tls_server(request, certificate):
    """An SMTP server on 127.0.0.1 speaking implicit TLS or STARTTLS with the self-signed certificate."""
    _, context = certificate
    recorder = Recorder()
    port = free_port()
    options = {"ssl_context": context} if request.param == "tls" else {"tls_context": context, "require_starttls": True}
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield request.param, port, recorder
    controller.stop()


def send_one(security: str, port: int) -> None:
    settings = Smtp(host="127.0.0.1", port=port, security=security, timeout=5)
    with SmtpTransport(settings, None) as transport:
        outcome = transport.send(b"Subject: hi\r\n\r\nhello\r\n", "care@shop.example.com", "ann@example.com", lambda: None)
        assert outcome.status == "sent"


def test_an_untrusted_certificate_is_refused(tls_server, monkeypatch):
    """A certificate no authority vouches for stops the pass before anything is sent."""
    security, port, recorder = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(TransportError) as error:
        send_one(security, port)
    assert not error.value.temporary
    assert str(error.value).startswith("the certificate of 127.0.0.1 could not be verified (")
    assert recorder.messages == []


def test_a_trusted_certificate_is_accepted(tls_server, certificate, monkeypatch):
    """The same server, once its certificate is trusted, gets the message: verification is real, not a blanket refusal."""
    security, port, recorder = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    send_one(security, port)
    assert len(recorder.messages) == 1

"""The SMTP login name is used exactly as written in amends.yaml."""
from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from amends.cases.config import Smtp
from amends.followups.transports import SmtpTransport


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Accepting:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("user", ["apikey", "care@shop.example.com"])
def test_login_uses_the_user_name_as_written(user):
    """SendGrid's user name is 'apikey': yagmail would log in as 'apikey@gmail.com'."""
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.login.decode() == user and auth_data.password == b"s3cret")

    port = free_port()
    # AUTH without TLS is allowed only because this test server listens on 127.0.0.1.
    controller = Controller(Accepting(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        settings = Smtp(host="127.0.0.1", port=port, security="none", user=user, timeout=5)
        with SmtpTransport(settings, "s3cret") as transport:
            outcome = transport.send(b"Subject: hi\r\n\r\nhello\r\n", "care@shop.example.com", "ann@example.com",
                                     lambda: None)
        assert outcome.status == "sent"
    finally:
        controller.stop()
    assert logins == [user]

"""`serve` answers this machine only, lists no folder and follows no link out of site/: real HTTP to 127.0.0.1."""
from __future__ import annotations

import http.client
import os
import threading

import pytest

from amends import serve
@pytest.fixture
def server(tmp_path):
    """The server on a free port of 127.0.0.1 for a small site/, with a secret beside it."""
    site = tmp_path / "site"
    (site / "cases").mkdir(parents=True)
    (site / "index.html").write_text("<title>Overview</title>")
    (site / "cases" / "index.html").write_text("<title>All cases</title>")
    (site / "cases" / "a.html").write_text("<title>Case a</title>")
    (site / "assets").mkdir()
    (site / "assets" / "site.css").write_text("body {}")
    (tmp_path / "secret.txt").write_text("customer list")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "notes.html").write_text("private notes")
    os.symlink(tmp_path / "secret.txt", site / "leak.txt")
    os.symlink(tmp_path / "private", site / "private")
    os.symlink(site / "cases" / "a.html", site / "same.html")  # inside site/: fine
    httpd = serve.make_server(site, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def get(port: int, path: str, host: str | None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_answers_to_this_machine(server, host):
    status, body = get(server, "/", host.format(port=server))
    assert status == 200 and b"Overview" in body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "localhost",
                                  "127.0.0.1:1", "127.0.0.1.evil.example:{port}", "", None])
def test_refuses_any_other_host(server, host):
    """A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets nothing."""
    status, body = get(server, "/cases/a.html", host.format(port=server) if host else host)
    assert status == 421
    assert b"Case a" not in body


def test_lists_no_folder(server):
    host = f"127.0.0.1:{server}"
    assert get(server, "/cases/", host)[0] == 200  # its index.html
    status, body = get(server, "/assets/", host)
    assert status == 404 and b"site.css" not in body


def test_follows_no_link_out_of_the_site(server):
    host = f"127.0.0.1:{server}"
    for path in ("/leak.txt", "/private/notes.html", "/private/"):
        status, body = get(server, path, host)
        assert status == 404, path
        assert b"customer list" not in body and b"private notes" not in body
    status, body = get(server, "/same.html", host)
    assert status == 200 and b"Case a" in body



def test_a_browser_asks_again_for_every_file_and_gets_304_when_unchanged(server):
    """assets/status.css changes under pages that do not: no file may be reused without asking."""
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    try:
        conn.request("GET", "/assets/site.css", headers={"Host": f"127.0.0.1:{server}"})
        first = conn.getresponse()
        first.read()
        assert first.status == 200 and first.getheader("Cache-Control") == "no-cache"
        conn.request("GET", "/assets/site.css", headers={"Host": f"127.0.0.1:{server}",
                                                         "If-Modified-Since": first.getheader("Last-Modified")})
        again = conn.getresponse()
        again.read()
        assert again.status == 304
    finally:
        conn.close()

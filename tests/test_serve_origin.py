"""`serve` gives the site's files to the site's own pages only, and answers a NUL byte with 400.

The search index in site/search/ is made of scripts, and a script can be
included by any page: one on another port or name of this machine, or an HTML
file opened from disk. Here such pages, in Debian's headless Chromium, try to
read search/cases.js from a running `serve`, and the site's own search must
still work. The headers are checked with real HTTP as well.
"""
from __future__ import annotations

import contextlib
import functools
import http.client
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from amends import cli
from amends.report import search
from conftest import TODAY, sample_project
from test_browser import browser  # noqa: F401 (a fixture, shared)
from test_browser import expected_hits, open_search, serving, shows_exactly

# A page that includes the index as the site's own search page does, and keeps what it hands over.
THIEF = """\
<!doctype html>
<title>Another page</title>
<script>
  window.stolen = null;
  window.outcome = new Promise(function (resolve) {
    window.amendsSearch = { add: function (name, data) { window.stolen = data; } };
    var element = document.createElement("script");
    element.src = "%s";
    element.onload = function () { resolve("loaded"); };
    element.onerror = function () { resolve("refused"); };
    document.head.appendChild(element);
  });
</script>
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """The sample project's site, served on 127.0.0.1: (site, base URL)."""
    root = tmp_path_factory.mktemp("serve-origin")
    sample_project(root)
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat()]) == 0
    yield from serving(root / "site")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@contextlib.contextmanager
def another_server(folder: Path) -> Iterator[int]:
    """A plain web server for folder on another port of 127.0.0.1: its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def try_to_steal(browser, url: str) -> tuple[str, object]:
    """Open the page at url; how its <script> of the index ended, and what it got."""
    page = browser.new_page()
    try:
        page.goto(url, wait_until="load")
        outcome = page.evaluate("window.outcome")
        return outcome, page.evaluate("window.stolen")
    finally:
        page.close()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_a_page_on_another_local_origin_cannot_read_the_index(served, browser, tmp_path, name):
    """127.0.0.1 on another port is the same site, localhost another: neither may include search/cases.js."""
    site, base = served
    assert (site / search.FOLDER / f"{search.LISTING}.js").is_file()
    (tmp_path / "thief.html").write_text(THIEF % f"{base}/{search.FOLDER}/{search.LISTING}.js")
    with another_server(tmp_path) as port:
        outcome, stolen = try_to_steal(browser, f"http://{name}:{port}/thief.html")
    assert (outcome, stolen) == ("refused", None)


def test_a_page_opened_from_disk_cannot_read_the_index_from_serve(served, browser, tmp_path):
    site, base = served
    page = tmp_path / "thief.html"
    page.write_text(THIEF % f"{base}/{search.FOLDER}/{search.LISTING}.js")
    assert try_to_steal(browser, page.as_uri()) == ("refused", None)


def test_the_sites_own_search_still_works_under_serve(served, browser):
    site, base = served
    hits = expected_hits(site, "søren")
    assert hits
    page, requests, errors, dialogs = open_search(browser, base, "søren")
    shows_exactly(page, site, hits)
    assert f"{base}/{search.FOLDER}/{search.LISTING}.js" in requests
    assert errors == [] and dialogs == []
    page.close()


@pytest.fixture
def port(tmp_path) -> Iterator[int]:
    """The server on a free port of 127.0.0.1 for a small site/."""
    site = tmp_path / "site"
    (site / search.FOLDER).mkdir(parents=True)
    (site / "index.html").write_text("<title>Overview</title>")
    (site / search.FOLDER / f"{search.LISTING}.js").write_text('amendsSearch.add("cases", {});')
    with contextlib.contextmanager(serving)(site) as (_, base):
        yield int(base.rsplit(":", 1)[1])


def get(port: int, path: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET path with Host 127.0.0.1:port and these headers (underscores for dashes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{port}")
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


INDEX = f"/{search.FOLDER}/{search.LISTING}.js"
SCRIPT = {"Sec_Fetch_Mode": "no-cors", "Sec_Fetch_Dest": "script"}


@pytest.mark.parametrize("headers", [
    {},  # curl, or a browser that sends neither header
    {"Sec_Fetch_Site": "same-origin", **SCRIPT},
    {"Sec_Fetch_Site": "none", "Sec_Fetch_Mode": "navigate", "Sec_Fetch_Dest": "document"},  # typed in
    {"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "navigate", "Sec_Fetch_Dest": "document"},  # a link followed
    {"Origin": "http://127.0.0.1:{port}", "Sec_Fetch_Site": "same-origin", "Sec_Fetch_Mode": "cors"},
], ids=["no-headers", "own-script", "typed", "link-from-elsewhere", "own-origin"])
def test_serves_its_own_pages_and_people(port, headers):
    status, _, body = get(port, INDEX, **{k: v.format(port=port) for k, v in headers.items()})
    assert status == 200 and b"amendsSearch" in body


@pytest.mark.parametrize("headers", [
    {"Sec_Fetch_Site": "cross-site", **SCRIPT},
    {"Sec_Fetch_Site": "same-site", **SCRIPT},
    {"Sec_Fetch_Site": "cross-site", "Sec_Fetch_Mode": "navigate", "Sec_Fetch_Dest": "iframe"},
    {"Sec_Fetch_Site": "same-site", "Sec_Fetch_Mode": "navigate", "Sec_Fetch_Dest": "object"},
    {"Origin": "null"},  # a page opened from disk
    {"Origin": "http://localhost:{port}"},
    {"Origin": "http://127.0.0.1:1", "Sec_Fetch_Site": "same-site", "Sec_Fetch_Mode": "cors"},
    {"Origin": "http://evil.example", "Sec_Fetch_Site": "same-origin"},  # a lie in one header is enough
], ids=["cross-site-script", "same-site-script", "framed", "object", "origin-null", "origin-other-name",
        "origin-other-port", "origin-elsewhere"])
def test_refuses_other_pages(port, headers):
    status, _, body = get(port, INDEX, **{k: v.format(port=port) for k, v in headers.items()})
    assert status == 403 and b"amendsSearch" not in body


@pytest.mark.parametrize("path, headers, status", [
    ("/index.html", {}, 200),
    (INDEX, {}, 200),
    ("/missing.html", {}, 404),
    (INDEX, {"Sec_Fetch_Site": "cross-site", **SCRIPT}, 403),
])
def test_every_answer_is_for_this_origin_only(port, path, headers, status):
    got, response_headers, _ = get(port, path, **headers)
    assert got == status
    assert response_headers["Cross-Origin-Resource-Policy"] == "same-origin"
    # Only a file is typed strictly: on an error page it would only add a misleading error to a missing script.
    assert response_headers["X-Content-Type-Options"] == ("nosniff" if status == 200 else None)
    assert "Sec-Fetch-Site" in response_headers["Vary"] and "Origin" in response_headers["Vary"]
    if path == INDEX and status == 200:  # with nosniff, a browser runs a script only when its type says so
        assert response_headers.get_content_type() in {"text/javascript", "application/javascript"}


@pytest.mark.parametrize("path", ["/index.html%00", "/%00", "/search/%00/cases.js", "/index.html%00.png"])
def test_a_nul_byte_gets_400_and_the_server_goes_on(port, path, capfd):
    status, _, body = get(port, path)
    assert status == 400 and b"NUL" in body
    assert get(port, "/index.html")[0] == 200
    assert "Traceback" not in capfd.readouterr().err

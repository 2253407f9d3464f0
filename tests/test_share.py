"""The report shared safely: docs/nginx-amends.conf, the README's recipe for serving site/ to the team, served
by Debian's nginx, private to this test and listening on 127.0.0.1 only.

The recipe file itself is served, rendered as little as a test needs: its listen addresses become free ports
on 127.0.0.1 (the IPv6 ones are dropped), its Let's Encrypt certificate a throwaway one for 127.0.0.1, its
password file one this test writes and its site folder the demo site built here. Around it, what Debian's
nginx.conf sets around a site, TLS 1.0 and 1.1 allowed included, so the recipe must hold against that.

Then every file of the site is asked for over HTTPS, on one kept-alive connection, without the password (401)
and with it (200, the bytes on disk); a wrong password is refused; a folder without index.html is never
listed; a dotfile is never served; every answer says noindex and carries the rest of the recipe's headers;
plain HTTP only redirects; TLS is 1.2 or newer with forward secrecy. `make test` installs nginx (system-deps)
and stops the system's own; the test is skipped where nginx is missing, and fails instead on CI.
"""
from __future__ import annotations

import base64
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from amends import cli
from conftest import REPO, sample_project
from test_postfix import free_port

NGINX = "/usr/sbin/nginx"
RECIPE = REPO / "docs" / "nginx-amends.conf"
# The team's login, hashed with `openssl passwd -6` as the README says; and an older `-apr1` one, the
# hash apache2-utils' htpasswd made by default for years: Debian's nginx takes both.
USER, PASSWORD = "team", "not a real secret"
OLD_USER, OLD_PASSWORD = "old", "not-a-real-secret-either"
WEB_USER = "www-data"  # who Debian's nginx.conf runs the workers as

# What Debian's /etc/nginx/nginx.conf says around the sites it includes, with this test's own paths.
MAIN_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{
    worker_connections 64;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {folder}/access.log;
    gzip on;
    client_body_temp_path {folder}/temp/body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;
    include {folder}/amends.conf;
}}
"""

# The same on every answer of the HTTPS server, 200, 401, 403 and 404 alike.
EVERY_ANSWER = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-cache",
    "Server": "nginx",  # server_tokens off: no version
}
# With nosniff a browser uses a script or a style sheet only if its type says so.
TYPES = {".html": "text/html", ".css": "text/css", ".js": "application/javascript", ".json": "application/json",
         ".svg": "image/svg+xml", ".txt": "text/plain", ".ics": "text/calendar", ".csv": "text/csv"}
META_CSP = re.compile(rb'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')


def cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"nginx is needed on CI: {reason}")
    pytest.skip(f"nginx cannot run here: {reason} (make test installs it with apt-get)")


def directive(conf: str, name: str, value: str) -> tuple[str, str]:
    """`conf` with the one `name` directive given `value`, and the value it had."""
    found = re.findall(rf"^\s*{name}\s+([^;]+);", conf, flags=re.M)
    assert len(found) == 1, f"the recipe has {len(found)} '{name}' lines: keep tests/test_share.py in step"
    return re.sub(rf"^(\s*{name}\s+)[^;]+;", lambda m: f"{m.group(1)}{value};", conf, flags=re.M), found[0]


def render(recipe: str, *, http_port: int, https_port: int, cert: Path, key: Path, users: Path, site: Path) -> str:
    """The recipe as this test serves it: on 127.0.0.1 only, with its own certificate, passwords and site."""
    def listen(match: re.Match) -> str:
        indent, address, rest = match.groups()
        if address.startswith("["):  # IPv6: this test listens on 127.0.0.1 only
            return f"{indent}# listen {address}{rest}; (IPv6: not in the test)"
        port = {"80": http_port, "443": https_port}[address]
        return f"{indent}listen 127.0.0.1:{port}{rest};"

    conf = re.sub(r"^(\s*)listen\s+([^\s;]+)([^;]*);", listen, recipe, flags=re.M)
    listening = re.findall(r"^\s*listen\s+([^\s;]+)", conf, flags=re.M)
    assert sorted(listening) == sorted(f"127.0.0.1:{port}" for port in (http_port, https_port)), listening
    conf, placeholder = directive(conf, "ssl_certificate", str(cert))
    assert placeholder.startswith("/etc/letsencrypt/live/"), placeholder
    conf, placeholder = directive(conf, "ssl_certificate_key", str(key))
    assert placeholder.startswith("/etc/letsencrypt/live/"), placeholder
    conf, _ = directive(conf, "auth_basic_user_file", str(users))
    conf, _ = directive(conf, "root", str(site))
    return conf


def openssl_passwd(scheme: str, password: str) -> str:
    return subprocess.run(["openssl", "passwd", scheme, "-stdin"], input=password, capture_output=True, text=True,
                          check=True).stdout.strip()


@dataclass
class Shared:
    site: Path          # the demo site, as built
    https: int          # nginx's ports on 127.0.0.1
    http: int
    cert: Path          # the throwaway certificate nginx presents
    host: str           # the recipe's server_name, where port 80 sends everyone


class Client:
    """GET over one HTTPS connection, kept alive (http.client opens another when nginx closes one)."""

    def __init__(self, shared: Shared):
        self.connections = 0
        client = self

        class Counted(http.client.HTTPSConnection):
            def connect(self):
                client.connections += 1
                super().connect()

        context = ssl.create_default_context(cafile=str(shared.cert))
        self.conn = Counted("127.0.0.1", shared.https, context=context, timeout=10)
        self.requests = 0

    def get(self, path: str, login: tuple[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {}
        if login is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
        self.conn.request("GET", quote(path), headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        self.requests += 1
        return response.status, response.headers, body

    def close(self) -> None:
        self.conn.close()


def policy(text: str) -> dict[str, set[str]]:
    """A Content-Security-Policy's directives and the sources each allows ('none': no source)."""
    directives = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = {word for word in words[1:] if word != "'none'"}
    return directives


def weaker(header: str, meta: str) -> list[str]:
    """The directives of the page's own policy that the header's policy allows more than."""
    given, own = policy(header), policy(meta)
    found = []
    for name, allowed in own.items():
        sources = given.get(name, given.get("default-src") if name.endswith("-src") else None)
        if sources is None or not sources <= allowed:
            found.append(name)
    return found


def header_problems(headers: http.client.HTTPMessage) -> list[str]:
    """What an answer of the HTTPS server lacks of the recipe's headers."""
    problems = [f"{name}: {headers.get_all(name)}" for name, value in EVERY_ANSWER.items()
                if headers.get_all(name) != [value]]
    hsts = re.fullmatch(r"max-age=(\d+)", headers.get("Strict-Transport-Security") or "")
    if not hsts or int(hsts.group(1)) < 180 * 86400:
        problems.append(f"Strict-Transport-Security: {headers.get('Strict-Transport-Security')}")
    csp = headers.get_all("Content-Security-Policy") or []
    if len(csp) != 1 or policy(csp[0]).get("frame-ancestors") != set() or \
            weaker(csp[0], "default-src 'none'; base-uri 'none'; form-action 'self'"):
        problems.append(f"Content-Security-Policy: {csp}")
    return problems


@pytest.fixture(scope="module")
def shared():
    """The demo site built and served by nginx through the recipe; nginx is stopped at the end."""
    if not os.path.exists(NGINX):
        cannot_run(f"{NGINX} is not installed")
    root = os.geteuid() == 0
    # Not under pytest's tmp_path, whose folders only root may enter: nginx's workers run as www-data.
    folder = Path(tempfile.mkdtemp(prefix="amends-share-", dir="/var/tmp"))
    process = None
    try:
        folder.chmod(0o755)
        for sub in ("tls", "temp", "project"):
            (folder / sub).mkdir()
        project = sample_project(folder / "project")
        assert cli.main(["--root", str(project), "--today", "2026-12-01", "--quiet", "build"]) == 0
        site = project / "site"
        cert, key = folder / "tls" / "cert.pem", folder / "tls" / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                        "-out", str(cert)], check=True, capture_output=True)
        key.chmod(0o600)
        users = folder / "amends.htpasswd"
        users.write_text(f"{USER}:{openssl_passwd('-6', PASSWORD)}\n{OLD_USER}:{openssl_passwd('-apr1', OLD_PASSWORD)}\n")
        if root:  # as the README says: readable by nginx's workers, and no one else
            shutil.chown(users, "root", WEB_USER)
        users.chmod(0o640)
        http_port, https_port = free_port(), free_port()
        recipe = RECIPE.read_text(encoding="utf-8")
        (folder / "amends.conf").write_text(render(recipe, http_port=http_port, https_port=https_port,
                                                   cert=cert, key=key, users=users, site=site))
        # Only root can make the workers someone else; anyone else runs them as themselves.
        (folder / "nginx.conf").write_text(MAIN_CONF.format(folder=folder, user=f"user {WEB_USER};" if root else ""))
        # Into a file, not a pipe: the workers inherit it and keep it open for as long as they run.
        with open(folder / "nginx.out", "w") as out:
            process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                        "-e", str(folder / "error.log")], stdout=out, stderr=out)
        deadline = time.monotonic() + 20
        while not all(port_open(port) for port in (http_port, https_port)):
            if process.poll() is not None or time.monotonic() > deadline:
                log = "".join((folder / name).read_text() for name in ("nginx.out", "error.log")
                              if (folder / name).exists())
                pytest.fail(f"nginx did not start with the recipe: {log.strip()}")
            time.sleep(0.05)
        host = re.search(r"^\s*server_name\s+(\S+);", recipe, flags=re.M).group(1)
        yield Shared(site, https_port, http_port, cert, host)
    finally:
        if process is not None:
            process.terminate()  # the master stops its workers
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def client(shared):
    client = Client(shared)
    yield client
    client.close()


def test_every_file_asks_for_the_password_then_comes_whole(shared, client):
    """Each file under site/, and each folder with an index.html: 401 without the password, 200 with it and
    the very bytes on disk; all with the recipe's headers, and no page's own policy loosened by the header's."""
    files = sorted(path for path in shared.site.rglob("*") if path.is_file())
    assert len(files) > 300, "the demo site is smaller than it was: is the build whole?"
    # The recipe refuses every dotfile: the site must not need one.
    assert [f for f in files if any(p.startswith(".") for p in f.relative_to(shared.site).parts)] == []
    wanted = {"/" + f.relative_to(shared.site).as_posix(): f for f in files}
    for f in files:  # a folder with an index.html, as a link to it ("cases/") asks
        if f.name == "index.html":
            folder = f.parent.relative_to(shared.site).as_posix()
            wanted["/" if folder == "." else f"/{folder}/"] = f
    assert "/" in wanted and "/cases/" in wanted
    problems = []
    pages = 0
    for url, path in wanted.items():
        status, headers, body = client.get(url)
        if status != 401 or not (headers.get("WWW-Authenticate") or "").startswith("Basic "):
            problems.append(f"{url} without the password: {status}, {headers.get('WWW-Authenticate')}")
        problems += [f"{url} 401: {problem}" for problem in header_problems(headers)]
        disk = path.read_bytes()
        if disk and disk in body:
            problems.append(f"{url} without the password: the file came with the 401")

        status, headers, body = client.get(url, (USER, PASSWORD))
        if status != 200 or body != disk:
            problems.append(f"{url} with the password: {status}, {len(body)} bytes for {len(disk)} on disk")
        problems += [f"{url} 200: {problem}" for problem in header_problems(headers)]
        if path.suffix in TYPES and headers.get_content_type() != TYPES[path.suffix]:
            problems.append(f"{url}: served as {headers.get_content_type()}")
        if path.suffix == ".html":
            pages += 1
            meta = META_CSP.search(disk)
            if meta is None:
                problems.append(f"{url}: the page has no Content-Security-Policy of its own")
            elif found := weaker(headers["Content-Security-Policy"], meta.group(1).decode()):
                problems.append(f"{url}: the header allows more than the page in {found}")
    assert problems == [], "\n".join(problems[:30])
    assert client.requests == 2 * len(wanted) and pages > 100
    # One connection, and one more for each 1000 requests (nginx's keepalive_requests).
    assert client.connections <= client.requests // 1000 + 1, client.connections


def test_a_wrong_login_is_refused(shared, client):
    """A wrong password, an unknown user, no password: 401 with the headers; the -apr1 hash is taken too."""
    urls = ["/index.html", "/cases-2026.csv", "/followups.ics", "/search.html", "/cases/",
            "/" + next(shared.site.glob("search/*.js")).relative_to(shared.site).as_posix()]
    for url in urls:
        for login in ((USER, "not a real secret!"), (USER, ""), ("nobody", PASSWORD), ("", ""), (USER, OLD_PASSWORD),
                      (OLD_USER, PASSWORD), (f"{USER}:{PASSWORD}", PASSWORD)):
            status, headers, body = client.get(url, login)
            assert status == 401, (url, login, status)
            assert header_problems(headers) == [], (url, login)
        client.conn.request("GET", url, headers={"Authorization": "Basic not-base64!"})
        response = client.conn.getresponse()
        response.read()
        assert response.status == 401 and response.headers["X-Robots-Tag"] == "noindex, nofollow"
        status, _, body = client.get(url, (OLD_USER, OLD_PASSWORD))
        assert status == 200 and body


def test_no_folder_is_listed(shared, client):
    """A folder without index.html answers 403 or 404 naming none of its files; a missing page is a 404; each
    with the headers, and 401 first without the password."""
    folders = sorted(path for path in shared.site.rglob("*") if path.is_dir() and not (path / "index.html").exists())
    names = {path.relative_to(shared.site).as_posix() for path in folders}
    assert {"assets", "search", "figures"} <= names, names
    for folder in folders:
        url = "/" + folder.relative_to(shared.site).as_posix()
        inside = [path.name.encode() for path in folder.iterdir()]
        for asked in (url + "/", url):
            status, headers, _ = client.get(asked)
            assert status == 401 and header_problems(headers) == [], (asked, status)
            status, headers, body = client.get(asked, (USER, PASSWORD))
            assert status in (301, 403, 404), (asked, status)
            if status == 301:
                assert headers["Location"].endswith(url + "/"), headers["Location"]
            assert not any(name in body for name in inside), (asked, body[:300])
            assert header_problems(headers) == [], (asked, status, header_problems(headers))
    for missing in ("/no-such-page.html", "/cases/no-such-case.html", "/assets/no-such.css"):
        status, headers, _ = client.get(missing, (USER, PASSWORD))
        assert status == 404 and header_problems(headers) == [], (missing, status)


def test_a_dotfile_is_never_served(shared, client):
    """A stray .git, a password file or a dotfile that looks like a calendar: refused even with the password."""
    secret = b"this must never leave the server"
    planted = [shared.site / ".htpasswd", shared.site / ".git" / "config", shared.site / "cases" / ".secret.ics",
               shared.site / "assets" / ".env"]
    try:
        for path in planted:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(secret)
            path.chmod(0o644)
        (shared.site / ".git").chmod(0o755)
        for url in ["/" + path.relative_to(shared.site).as_posix() for path in planted] + ["/.git/", "/.git"]:
            status, headers, body = client.get(url)
            assert status in (401, 403) and secret not in body, (url, status)
            status, headers, body = client.get(url, (USER, PASSWORD))
            assert status in (403, 404) and secret not in body, (url, status)
            assert header_problems(headers) == [], (url, header_problems(headers))
    finally:
        for path in planted:
            path.unlink(missing_ok=True)
        shutil.rmtree(shared.site / ".git", ignore_errors=True)


def test_plain_http_only_redirects_to_https(shared):
    """Port 80 serves nothing, with or without the password: a 301 to the recipe's own name over HTTPS, which no
    Host header changes, saying noindex."""
    index = (shared.site / "index.html").read_bytes()
    conn = http.client.HTTPConnection("127.0.0.1", shared.http, timeout=10)
    try:
        for url, host in (("/index.html", None), ("/cases/index.html?status=open", None), ("/", "evil.example"),
                          ("/.git/config", None)):
            for login in (None, (USER, PASSWORD)):
                headers = {"Host": host} if host else {}
                if login:
                    headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                body = response.read()
                assert response.status == 301, (url, response.status)
                assert response.headers["Location"] == f"https://{shared.host}{url}"
                assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
                assert index not in body and b"amends" not in body
    finally:
        conn.close()


def handshake(shared: Shared, context: ssl.SSLContext) -> ssl.SSLSocket:
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", shared.https), timeout=10)
    try:
        return context.wrap_socket(sock)
    except BaseException:
        sock.close()
        raise


def test_tls_is_modern_only(shared):
    """TLS 1.3, or 1.2 with forward secrecy; HTTP/2 offered. TLS 1.0 and 1.1, which Debian's nginx.conf allows,
    are refused, and so is 1.2 without forward secrecy, which Debian's default ciphers allow."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with handshake(shared, context) as tls:
        assert tls.version() == "TLSv1.3" and tls.selected_alpn_protocol() == "h2"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with handshake(shared, context) as tls:
        assert tls.version() == "TLSv1.2" and tls.cipher()[0].startswith("ECDHE-")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES128-SHA:AES256-SHA")  # RSA key exchange
    with pytest.raises(ssl.SSLError):
        handshake(shared, context).close()
    for version in ("TLSv1", "TLSv1_1"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.set_ciphers("ALL:@SECLEVEL=0")  # this side would take them: the refusal must be the server's
        with warnings.catch_warnings():  # Python calls them deprecated, rightly
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
        with pytest.raises(ssl.SSLError):
            handshake(shared, context).close()

"""Serve the built site on 127.0.0.1 and rebuild it when an input changes."""
from __future__ import annotations

import functools
import http.server
import logging
import os
import threading
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

log = logging.getLogger(__name__)


def snapshot(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    """Size and modification time of every file under the watched paths."""
    found: dict[Path, tuple[int, int]] = {}
    for base in paths:
        candidates = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for path in candidates:
            try:
                stat = path.stat()
            except OSError:  # deleted between listing and stat
                continue
            if path.is_file():
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def watch(paths: list[Path], rebuild: Callable[[], None], stop: threading.Event, interval: float = 0.5) -> None:
    """Call rebuild whenever a watched file is added, changed or removed."""
    seen = snapshot(paths)
    while not stop.wait(interval):
        now = snapshot(paths)
        if now != seen:
            seen = now
            try:
                rebuild()
            except OSError as error:  # the disk, not the code: one line, as the command line says it
                log.error("rebuild failed: %s: %s; the site was left as it was", error.filename, error.strerror)
            except Exception:  # a broken template must not stop the server
                log.exception("rebuild failed; fix the error and save again")


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# Sec-Fetch-Site values of a request made by the site's own pages, or typed or bookmarked by a person.
OWN_REQUEST = ("same-origin", "none")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the files of site/ to this machine's own pages only.

    The Host header must name this machine: otherwise a web page elsewhere could
    point a name of its own at 127.0.0.1 (DNS rebinding) and read the site.
    No other page may load a file of the site into itself: search/ is made of
    scripts that any page, even one opened from disk, could otherwise include and
    read. Folders are never listed, and no symbolic link leads out of site/.
    """

    def send_head(self):
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").lower()
        if host not in {f"{local}:{port}" for local in LOCAL_HOSTS}:
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "This server answers only to 127.0.0.1, localhost and [::1]")
            return None
        path = self.translate_path(self.path)
        if "\0" in path:  # no file name holds one, and the os module refuses it with ValueError
            self.send_error(HTTPStatus.BAD_REQUEST, "A file name cannot contain a NUL byte")
            return None
        if self.from_another_page(host):
            self.send_error(HTTPStatus.FORBIDDEN, "The site's files are served to the site's own pages only")
            return None
        top = os.path.realpath(self.directory)
        real = os.path.realpath(path)
        if real != top and not real.startswith(top + os.sep):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def from_another_page(self, host: str) -> bool:
        """Whether a page of another origin (or one opened from disk) asks for this file to use it itself.

        Following a link here is fine: the page that had the link cannot read what opens.
        A client that sends neither header (curl, an old browser) is not a web page's request.
        """
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{host}":
            return True
        site = self.headers.get("Sec-Fetch-Site")
        if site is None or site in OWN_REQUEST:
            return False
        opened = self.headers.get("Sec-Fetch-Mode") == "navigate" and self.headers.get("Sec-Fetch-Dest") == "document"
        return not opened

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        # Every answer, refusals too: no page of another origin may use it.
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        # The answer depends on who asks: a cached one must not be handed to another page.
        self.send_header("Vary", "Origin, Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest")
        # A file is used only as the type it is. Not said on an error page: for a missing script it would add
        # a second, misleading console error (its HTML type) to the 404.
        if code < HTTPStatus.BAD_REQUEST:
            self.send_header("X-Content-Type-Options", "nosniff")

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def log_message(self, format: str, *args) -> None:
        log.debug(format, *args)


def make_server(site_dir: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for site_dir bound to the loopback address only."""
    handler = functools.partial(_SiteHandler, directory=str(site_dir))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(site_dir: Path, port: int, watched: list[Path], rebuild: Callable[[], None]) -> None:
    """Serve until interrupted, rebuilding on change."""
    server = make_server(site_dir, port)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(watched, rebuild, stop), daemon=True)
    watcher.start()
    print(f"Serving {site_dir} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()

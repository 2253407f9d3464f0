"""Serve the built site on 127.0.0.1 and rebuild it when an input changes."""
from __future__ import annotations

import functools
import http.server
import logging
import os
import threading
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import watchfiles

log = logging.getLogger(__name__)


def folders(paths: list[Path]) -> list[Path]:
    """The folders to watch for changes at `paths`: each folder among them and every folder under it, and for a
    file (or a path not there yet) the nearest folder that holds it."""
    found = set()
    for path in paths:
        if path.is_dir():
            found.update(Path(top) for top, _, _ in os.walk(path))
        else:
            found.add(next(folder for folder in path.parents if folder.is_dir()))
    return sorted(found)


def touches(changed: Path, paths: list[Path]) -> bool:
    """Whether a change at `changed` is to one of `paths`, inside one, or to a folder on the way to one."""
    return any(changed == path or path in changed.parents or changed in path.parents for path in paths)


# How long after the folders are watched anew the rebuild owed for one that came or went waits for other
# changes to come with it: half a second, unnoticed by a person switching to the browser.
OWED_MS = 500


def watch(paths: list[Path], rebuild: Callable[[], None], stop: threading.Event) -> None:
    """Call rebuild after the files at or under `paths` change, until `stop` is set.

    Told by the system (inotify), not by looking at every file again and again.
    Folders are watched, not files: an editor that saves a file by putting a new
    one in its place would end a watch on the file. When a folder comes or goes
    (outbox/, made by the first send), the folders are watched anew, and the
    rebuild waits until they are, so that nothing changed meanwhile goes unseen.
    """
    # Its "1 change detected" on every save says nothing that the rebuild does not.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    paths = [path.absolute() for path in paths]
    editors = watchfiles.DefaultFilter()  # swap files, backups, .git/: never an input

    def wanted(change: watchfiles.Change, path: str) -> bool:
        return editors(change, path) and touches(Path(path), paths)

    owed = False  # a rebuild, for a change seen before the folders were watched anew
    while not stop.is_set():
        watched = folders(paths)
        try:
            # While a rebuild is owed, the watch also comes back with no change, once it is in place.
            for changes in watchfiles.watch(*watched, watch_filter=wanted, recursive=False, stop_event=stop,
                                            yield_on_timeout=owed, rust_timeout=OWED_MS if owed else 5000,
                                            ignore_permission_denied=True):
                if changes and folders(paths) != watched:
                    owed = True
                    break
                if changes or owed:
                    owed = False
                    _rebuild(rebuild)
        except FileNotFoundError:  # a folder went between listing and watching
            owed = True


def _rebuild(rebuild: Callable[[], None]) -> None:
    """Rebuild; a failure is one line in the log, and the site is left as it was."""
    try:
        rebuild()
    except OSError as error:  # the disk, not the code: as the command line says it
        log.error("rebuild failed: %s: %s; the site was left as it was", error.filename, error.strerror)
    except Exception as error:  # a broken template must not stop the server
        log.error("rebuild failed (%s: %s); the site was left as it was: fix the error and save again",
                  type(error).__name__, error)


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# The site's folder of attachments, and the kinds of copy in it a browser may show (report.attachments).
ATTACHMENTS = "attachments"
SHOWN = (".jpg", ".png", ".pdf")
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
        # Asked again on every use (an unchanged file costs a 304): a rebuild changes assets/status.css
        # under pages that did not change, and a browser guessing freshness would show yesterday's date.
        self.send_header("Cache-Control", "no-cache")
        # A file is used only as the type it is. Not said on an error page: for a missing script it would add
        # a second, misleading console error (its HTML type) to the 404.
        if code < HTTPStatus.BAD_REQUEST:
            self.send_header("X-Content-Type-Options", "nosniff")
            # An attachment that is no image or PDF is a .zip to save (report.attachments), never a page to open.
            if code == HTTPStatus.OK and self._downloaded():
                self.send_header("Content-Disposition", "attachment")

    def _downloaded(self) -> bool:
        """Whether the file asked for is one of the site's attachments that is only ever saved, not shown."""
        path = urllib.parse.urlsplit(self.path).path
        return path.startswith(f"/{ATTACHMENTS}/") and not path.lower().endswith(SHOWN)

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
    watcher = threading.Thread(target=watch, args=(watched, rebuild, stop), name="watch", daemon=True)
    watcher.start()
    print(f"Serving {site_dir} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        watcher.join()  # after the rebuild under way, if any: it is not cut short

"""Serve the built site on 127.0.0.1 and rebuild it when an input changes."""
from __future__ import annotations

import functools
import http.server
import logging
import threading
from collections.abc import Callable
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
            except Exception:  # a broken template must not stop the server
                log.exception("rebuild failed; fix the error and save again")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        log.debug(format, *args)


def make_server(site_dir: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for site_dir bound to the loopback address only."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
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

"""Take the README's screenshots of the demo site in headless Chromium.

Run: .venv/bin/python scripts/screenshots.py   (writes docs/screenshots/*.png)
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from amends import cli  # noqa: E402
from amends.serve import make_server  # noqa: E402

SHOTS = [  # (file, page, viewport width, height, colour scheme)
    ("home.png", "index.html", 1280, 1400, "light"),
    ("case.png", "cases/2026-11-09-hair-in-croissant.html", 1280, 1500, "light"),
    ("figures-dark.png", "figures/year.html", 1280, 1500, "dark"),
    ("phone.png", "cases/index.html", 390, 844, "light"),
    ("phone-home.png", "index.html", 390, 844, "light"),
    ("phone-case.png", "cases/2026-11-09-hair-in-croissant.html#followups-h", 390, 844, "light"),
]


def main() -> None:
    out = REPO / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("templates", "cases", "outbox"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
        cli.main(["--root", str(root), "--today", "2026-11-22"])
        server = make_server(root / "site", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            for file, page_path, width, height, scheme in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
                page.goto(f"{base}/{page_path}", wait_until="load")
                page.screenshot(path=str(out / file))
                page.close()
                print(f"wrote docs/screenshots/{file}")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()

"""Extreme numbers and dates in every numeric and date field, through the real commands.

Each case file holds one extreme value in one field; `check`, `followups`, `send` and
`build` run as build.py would be run, each under a timeout: none may print a traceback
or write anything large, and each file is reported by name.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, TODAY, write_case

EXTREMES = ("1E+26", "1E+99999999999", "1E-999999999", "NaN", "Infinity", "-0", "0001-01-01", "9999-12-31")

# A resolved case with every numeric and date field, each marked {name} for the extreme.
TEMPLATE = """\
---
title: Cake delivered late
customer:
  name: Ann Example
  email: ann@example.com
channel: phone
opened: {opened}
resolved: {resolved}
status: resolved
customer_value: {customer_value}
accommodation:
  - kind: refund
    amount: {amount}
  - kind: gift-card
    amount: 20
    code: CAKE-1
    expires: {expires}
  - kind: credit
    amount: 5
promises:
  - what: Call back
    due: {due}
contacts:
  - at: {at}
followups:
  dates:
    apology: {apology}
---
The cake was late.
"""
SANE = {"opened": "2026-11-10", "resolved": "2026-11-18", "customer_value": "1200", "amount": "45.00",
        "expires": "2027-11-18", "due": "2026-11-12", "at": "2026-11-10 15:20", "apology": "2026-11-19"}
MAX_BYTES = 3 * 1024 * 1024


def test_extreme_values_never_crash_hang_or_flood(root):
    """Every command finishes, names every file with an extreme value, and writes nothing over 3 MB."""
    names = []
    for field in SANE:
        for n, value in enumerate(EXTREMES):
            name = f"{field}-{n}.md"
            write_case(root, name, TEMPLATE.format(**{**SANE, field: value}))
            names.append(name)
    write_case(root, "sane.md", TEMPLATE.format(**SANE))
    # A sent gift card is another date field; it is read only on a gift card.
    for n, value in enumerate(EXTREMES):
        text = TEMPLATE.format(**SANE).replace("    code: CAKE-1\n", f"    code: CAKE-1\n    sent: {value}\n")
        write_case(root, f"sent-{n}.md", text)
        names.append(f"sent-{n}.md")
    for command in (["check"], ["followups"], ["send"], ["build"]):
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today",
                                 TODAY.isoformat(), *command], cwd=REPO, capture_output=True, text=True, timeout=60)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output[-3000:]
        assert result.returncode in (0, 1), output[-3000:]
        if command != ["send"]:  # send acts on valid cases only and says nothing of the others
            assert [n for n in names if f"cases/{n}:" not in result.stderr] == [], command
    big = [(p, p.stat().st_size) for p in root.rglob("*") if p.is_file() and p.stat().st_size > MAX_BYTES]
    assert big == []

"""The scheduler keeps going when a pass fails, runs at start-up, and stops cleanly on Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from amends.followups import scheduler

from conftest import CLASSIC_PLAN_YAML, MINIMAL_CASE, REPO, write_case


def test_first_pass_runs_at_start_and_a_failing_pass_does_not_stop_the_loop(caplog):
    """Pass 1 raises; passes 2 and 3 still run, and the failure is logged."""
    calls = []
    stop = threading.Event()

    def tick():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("mail server exploded")
        if len(calls) == 3:
            stop.set()

    started = time.monotonic()
    runner = threading.Thread(target=scheduler.run_forever, args=(tick, 0.2, stop, 0.05))
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert len(calls) == 3
    assert calls[0] - started < 0.1  # at start-up, not after the first interval
    assert "the pass failed" in caplog.text and "mail server exploded" in caplog.text


def test_schedule_command_sends_and_stops_cleanly_on_ctrl_c(root):
    """`build.py schedule` runs a pass at once (writes the ledger and site), then exits 0 on SIGINT."""
    write_case(root, "a.md", MINIMAL_CASE)
    (root / "amends.yaml").write_text(
        "business: {name: Test Shop, email: care@shop.example.com}\n"
        "followups:\n" + CLASSIC_PLAN_YAML + "  catch_up_days: 10000\n"
        "  send_window: {from: '00:00', to: '23:59', days: [mon, tue, wed, thu, fri, sat, sun]}\n",
        encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "schedule"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (root / "site" / "index.html").exists():
            time.sleep(0.1)
        assert (root / "site" / "index.html").exists()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    assert "Stopped." in out
    assert "Traceback" not in out
    ledger = (root / "outbox" / "ledger.jsonl").read_text(encoding="utf-8")
    assert '"ev": "sent"' in ledger  # the start-up pass delivered the long-due follow-ups


def test_schedule_logs_a_settings_refusal_on_every_tick_and_picks_up_the_fix(root, monkeypatch, caplog, capsys):
    """With `transport: smpt` each tick sends nothing and says why; once amends.yaml is fixed, the next tick sends."""
    from amends import cli
    write_case(root, "a.md", MINIMAL_CASE)
    settings = ("business: {name: Test Shop, email: care@shop.example.com}\n"
                "followups:\n" + CLASSIC_PLAN_YAML + "  catch_up_days: 10000\n"
                "  send_window: {from: '00:00', to: '23:59', days: [mon, tue, wed, thu, fri, sat, sun]}\n")
    (root / "amends.yaml").write_text(settings + "transport: smpt\n", encoding="utf-8")
    ticks = []
    monkeypatch.setattr(scheduler, "run_forever", lambda tick, every, stop: ticks.append(tick))
    assert cli.main(["--root", str(root), "schedule"]) == 0
    [tick] = ticks
    ledger = root / "outbox" / "ledger.jsonl"
    for _ in range(2):
        caplog.clear()
        tick()
        assert "pass refused" in caplog.text
        assert "'smpt' is not a valid transport" in capsys.readouterr().err
        assert not ledger.exists()
    (root / "amends.yaml").write_text(settings + "transport: outbox\n", encoding="utf-8")
    caplog.clear()
    tick()
    assert "pass refused" not in caplog.text
    assert '"ev": "sent"' in ledger.read_text(encoding="utf-8")

"""Replay a month of sending with faults in it, and count what went wrong.

    .venv/bin/python bench/replay.py [--cases 200] [--seed 1] [--days 30] [--keep DIR]

Writes a demo project, then runs `send` (transport outbox) a few times a day, each with its own
--now, from --start for --days days. At random points, as a seeded generator decides, it:

- kills a `send` with SIGKILL at a random moment of its pass;
- starts two `send`s at once (one gets the lock, the other exits 3);
- duplicates and reorders ledger lines, as a git merge that kept both sides would (the lines
  written since a point, split into two sides, put back one side after the other, some twice);
- pastes a copy of earlier lines at the end;
- damages sent .eml files: cut off, bytes flipped, a Date in year 9999;
- builds the site.

A `send` that refuses (exit 2) because a kill tore a line is answered as a person would: the torn
line is deleted, and that is counted. At the end it runs `check`, `followups --all` and `build` and
prints the counts: messages delivered twice (a key with two `sent` events for different messages,
or two .eml files for one follow-up of a case), follow-ups lost without a word (a key in the ledger
that `followups --all` does not list with a state), tracebacks in any output, and commands that hung.
It asserts nothing and exits 1 when any of those counts is not 0. Uses amends only through build.py.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSES = ("09:10", "11:40", "14:20", "16:50")  # each day's send passes, business time
TIMEOUT = 300                                  # a command still running after this hangs


class Replay:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.counts: collections.Counter[str] = collections.Counter()
        self.exits: collections.Counter[str] = collections.Counter()
        self.tracebacks: list[str] = []

    @property
    def ledger(self) -> Path:
        return self.root / "outbox" / "ledger.jsonl"

    def command(self, now: str, *words: str) -> list[str]:
        return [sys.executable, str(REPO / "build.py"), "--root", str(self.root), "--now", now, *words]

    def run(self, now: str, *words: str) -> subprocess.CompletedProcess | None:
        try:
            result = subprocess.run(self.command(now, *words), capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.counts["hung"] += 1
            return None
        self.seen(f"{now} {' '.join(words)}", result.returncode, result.stdout + result.stderr)
        return result

    def seen(self, what: str, code: int, output: str) -> None:
        self.exits[f"{what.split(' ', 1)[1]} exit {code}"] += 1
        if "Traceback" in output:
            self.tracebacks.append(f"{what}:\n{output[-2000:]}")

    def send(self, now: str) -> None:
        result = self.run(now, "send")
        if result is not None and result.returncode == 2:
            self.answer_torn_lines(now)

    def answer_torn_lines(self, now: str) -> None:
        """What a person does when `send` refuses because a kill tore a line: delete the torn line."""
        lines = self.ledger.read_bytes().split(b"\n")
        whole = [line for line in lines if not line.strip() or is_json(line)]
        if len(whole) < len(lines):
            self.counts["torn lines deleted by a person"] += len(lines) - len(whole)
            self.ledger.write_bytes(b"\n".join(whole))
            self.run(now, "send")

    def kill_a_send(self, now: str) -> None:
        """SIGKILL a pass at a random moment of its work: once it has written its first ledger line (a
        pass spends most of its time planning, and a kill then is no fault at all), a few milliseconds on."""
        before = self.ledger.read_bytes() if self.ledger.exists() else b""
        # Its output goes to a file: a pass that filled a pipe nobody reads yet would wait for ever.
        with tempfile.TemporaryFile("w+") as output:
            process = subprocess.Popen(self.command(now, "send"), stdout=output, stderr=subprocess.STDOUT, text=True)
            while process.poll() is None and self.size() == len(before):
                time.sleep(0.001)
            # Half the kills at once (likely between a message's attempt and its outcome), half a little later.
            time.sleep(self.rng.uniform(0, 0.002 if self.rng.random() < 0.5 else 0.03))
            killed = process.poll() is None
            if killed:
                os.kill(process.pid, signal.SIGKILL)
            process.wait()
            output.seek(0)
            out, err = output.read(), ""
        self.counts["sends killed while writing" if killed else "sends that ended before the kill"] += 1
        if not killed:
            self.seen(f"{now} send", process.returncode, out + err)
        after = self.ledger.read_bytes() if self.ledger.exists() else b""
        last = [json.loads(line) for line in after[len(before):].split(b"\n") if is_json(line)]
        if killed and last and last[-1].get("ev") == "attempt":
            self.counts["sends killed between an attempt and its outcome"] += 1

    def size(self) -> int:
        try:
            return self.ledger.stat().st_size
        except FileNotFoundError:
            return 0

    def two_sends(self, now: str) -> None:
        processes = [subprocess.Popen(self.command(now, "send"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            self.seen(f"{now} send (two at once)", process.returncode, out + err)
        self.counts["pairs of sends at once"] += 1

    def merge(self) -> None:
        """The lines since some point, as two sides of a merge put back one after the other, some kept twice."""
        lines = self.lines()
        if len(lines) < 4:
            return
        start = self.rng.randrange(max(1, len(lines) - 40), len(lines) - 1)
        tail = lines[start:]
        sides = ([], [])
        for line in tail:
            sides[self.rng.randrange(2)].append(line)
        twice = [line for line in tail if self.rng.random() < 0.3]
        self.rng.shuffle(twice)
        merged = sides[1] + sides[0] + twice
        self.write(lines[:start] + merged)
        self.counts["merges (lines reordered)"] += 1
        self.counts["ledger lines duplicated"] += len(twice)

    def paste(self) -> None:
        lines = self.lines()
        if lines:
            i = self.rng.randrange(len(lines))
            pasted = lines[i:i + self.rng.randint(1, 10)]
            self.write(lines + pasted)
            self.counts["ledger lines duplicated"] += len(pasted)

    def damage(self) -> None:
        emls = sorted((self.root / "outbox" / "messages").glob("*.eml"))
        for eml in self.rng.sample(emls, min(len(emls), self.rng.randint(1, 3))):
            data = eml.read_bytes()
            how = self.rng.randrange(3)
            if how == 0:
                data = data[:self.rng.randrange(len(data) + 1)]
            elif how == 1:
                flipped = bytearray(data)
                for _ in range(self.rng.randint(1, 30)):
                    if flipped:
                        flipped[self.rng.randrange(len(flipped))] = self.rng.randrange(256)
                data = bytes(flipped)
            else:
                data = data.replace(b"Date: ", b"Date: Fri, 31 Dec 9999 23:59:59 +0000\r\nX-Date: ", 1)
            eml.write_bytes(data)
            self.counts[".eml files damaged"] += 1

    def lines(self) -> list[bytes]:
        return [line for line in self.ledger.read_bytes().split(b"\n") if line.strip()] if self.ledger.exists() else []

    def write(self, lines: list[bytes]) -> None:
        self.ledger.write_bytes(b"\n".join(lines) + b"\n")


def is_json(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def listed(followups: str) -> set[tuple[str, str]]:
    """(case, kind) of every follow-up that `followups --all` lists with a state."""
    out = set()
    for line in followups.splitlines()[1:]:
        words = line.split()
        if len(words) >= 5 and words[1][:1].isdigit():
            out.add((words[3], words[4]))
    return out


def tally(replay: Replay, now: str) -> dict[str, int]:
    """What the ledger and outbox/messages say at the end, and what `followups --all` lists."""
    sent: dict[str, set[str]] = collections.defaultdict(set)
    keys = set()
    for line in replay.lines():
        if is_json(line):
            event = json.loads(line)
            keys.add(event["key"])
            if event["ev"] == "sent":
                sent[event["key"]].add(event.get("msgid", ""))
    # A file's name is its key's: a second file for one key would be a second name for it.
    files: collections.Counter[str] = collections.Counter()
    for eml in (replay.root / "outbox" / "messages").glob("*.eml"):
        files[eml.stem.replace("--", "/")] += 1
    names = {eml.name for eml in (replay.root / "outbox" / "messages").glob("*.eml")}
    result = replay.run(now, "followups", "--all")
    shown = listed(result.stdout) if result else set()
    lost = sorted(k for k in keys if tuple(k.split("/")[:2]) not in shown)
    for key in lost:
        print(f"lost without a word: {key}")
    twice = sorted(k for k, ids in sent.items() if len(ids) > 1)
    for key in twice:
        print(f"sent twice: {key} ({', '.join(sorted(sent[key]))})")
    return {"follow-ups in the ledger": len(keys), "messages delivered": len(sent),
            "messages delivered twice (two sent events)": len(twice),
            "follow-ups with two .eml files": sum(n > 1 for n in files.values()),
            "sent with no .eml file": sum(k.replace("/", "--") + ".eml" not in names for k in sent),
            "follow-ups lost without a word": len(lost)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2), help="the first day of sending")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="replay in this (new) folder and keep it")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="amends-replay-"))
    root = work / "project"
    started = time.monotonic()
    end = args.start + timedelta(days=args.days)
    made = subprocess.run([sys.executable, str(REPO / "build.py"), "--today", end.isoformat(), "demo", "--cases",
                           str(args.cases), "--out", str(root), "--seed", str(args.seed)],
                          capture_output=True, text=True, cwd=REPO)
    if made.returncode:
        print(made.stderr, file=sys.stderr)
        return 1
    replay = Replay(root, rng)
    for n in range(args.days + 1):
        day = args.start + timedelta(days=n)
        for at in PASSES:
            now = f"{day.isoformat()}T{at}"
            # Follow-ups fall due at 09:00: the first pass of a day is the one most worth killing.
            fault = rng.random() / (3 if at == PASSES[0] else 1)
            if fault < 0.12:
                replay.kill_a_send(now)
            elif fault < 0.17:
                replay.two_sends(now)
            replay.send(now)
            if rng.random() < 0.1:
                replay.merge()
            if rng.random() < 0.05:
                replay.paste()
            if rng.random() < 0.08:
                replay.damage()
            replay.counts["send passes"] += 1
        if n % 5 == 4:
            replay.run(f"{day.isoformat()}T18:00", "build")
    last = f"{end.isoformat()}T18:00"
    replay.run(last, "check")
    replay.run(last, "build")
    figures = tally(replay, last)
    for text in replay.tracebacks:
        print(f"traceback after {text}")
    print(f"\nReplay of {args.cases} cases, seed {args.seed}, {args.start} to {end}, "
          f"in {time.monotonic() - started:.0f} s ({work}):")
    for name, n in (*sorted(replay.counts.items()), *figures.items(), ("tracebacks", len(replay.tracebacks))):
        print(f"  {n:>6}  {name}")
    print("  exit codes: " + ", ".join(f"{k}: {n}" for k, n in sorted(replay.exits.items())))
    bad = (figures["messages delivered twice (two sent events)"] + figures["follow-ups with two .eml files"]
           + figures["follow-ups lost without a word"] + len(replay.tracebacks) + replay.counts["hung"])
    if not args.keep:
        shutil.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

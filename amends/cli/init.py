"""`init DIR`: a business's own casebook, begun empty (amends.cases.casebook), and put in git."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

from amends.cases.casebook import GITIGNORE, Business, option_of, problems, settings_text
from amends.cases.casefile import BUNDLE_FILE
from amends.cases.config import CONFIG_NAME
from amends.cli.args import ExitStatus
from amends.cli.show import again

# amends' own templates, beside build.py: the new casebook starts from a copy it may then change.
SHIPPED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# What a terminal is asked for, in order, when no option gave it: (field, question).
QUESTIONS = [("name", "The business's name"), ("email", "Its email address, for the follow-ups (Enter: none yet)"),
             ("phone", "Its phone number (Enter: none yet)"), ("language", "The language it writes to customers in"),
             ("currency", "Its currency"), ("timezone", "Its time zone")]


def machine_timezone() -> str:
    """This computer's IANA time zone, where it can be told (TZ, or what /etc/localtime points to); else UTC."""
    named = os.environ.get("TZ", "").removeprefix(":")
    if named and "/" in named:
        return named
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def details(args: argparse.Namespace, ask: bool) -> Business:
    """The business's details from the options, and from questions on a terminal (`ask`) for what they left out."""
    given = {f.name: getattr(args, f.name) for f in fields(Business) if getattr(args, f.name, None) is not None}
    if "address" in given:  # one line on a command line: "Harbour Lane 7; 20457 Hamburg"
        given["address"] = "\n".join(line.strip() for line in given["address"].replace(";", "\n").splitlines() if line.strip())
    business = Business(**{"name": "", "timezone": machine_timezone(), **given})
    if not ask:
        return business
    for name, question in QUESTIONS:
        if name in given:
            continue
        default = getattr(business, name) or ""
        answer = input(f"{question}{f' [{default}]' if default else ''}: ").strip() or default
        business = replace(business, **{name: answer or (None if name in ("email", "phone") else "")})
    return business


def cmd_init(args: argparse.Namespace) -> ExitStatus:
    """Write a new casebook into args.dir: amends.yaml, cases/, templates/ and .gitignore; never over cases."""
    target: Path = args.dir
    cases = target / "cases"
    if cases.is_dir() and (any(cases.glob("*.md")) or any(cases.glob(f"*/{BUNDLE_FILE}"))):
        print(f"error: {cases} already holds case files; init starts an empty casebook, so nothing was written",
              file=sys.stderr)
        return ExitStatus.USAGE
    if (target / CONFIG_NAME).exists():
        print(f"error: {target / CONFIG_NAME} already exists; nothing was written", file=sys.stderr)
        return ExitStatus.USAGE
    try:
        business = details(args, ask=sys.stdin.isatty() and not args.name)
    except EOFError:
        print("\nerror: stopped before all was asked; nothing was written", file=sys.stderr)
        return ExitStatus.USAGE
    wrong = [] if business.name else ["--name: the business needs a name"]
    wrong += [f"{option}: {what!r} must be on one line" for option, what in
              (("--name", business.name), ("--email", business.email), ("--phone", business.phone))
              if what and any(ord(c) < 32 for c in what)]
    if not wrong:  # the settings are read as `check` reads them, each mistake named by its option
        wrong = [f"{option_of(p)}: {p.message}" for p in problems(business)]
    if wrong:
        for line in wrong:
            print(f"error: {line}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return ExitStatus.USAGE
    cases.mkdir(parents=True, exist_ok=True)
    (cases / ".gitkeep").touch()  # git keeps no empty folder
    kept = (target / "templates").exists()
    if not kept:
        shutil.copytree(SHIPPED_TEMPLATES, target / "templates")
    if not (target / ".gitignore").exists():
        (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (target / CONFIG_NAME).write_text(settings_text(business), encoding="utf-8")
    print(f"Wrote a new casebook for {business.name} in {target}: {CONFIG_NAME}, an empty cases/, "
          f"{'your templates/ as they were' if kept else 'the templates'} and .gitignore.")
    print(f"  Time zone {business.timezone}, currency {business.currency}, customers written to in "
          f"{business.language} when their case names no language: change any of it in {CONFIG_NAME}.")
    if not (SHIPPED_TEMPLATES / "email" / business.language.split("-")[0]).is_dir() and business.language.split("-")[0] != "en":
        print(f"  amends has no templates in '{business.language}' yet: until templates/email/"
              f"{business.language.split('-')[0]}/ holds them, emails are written in English.")
    print("  " + first_commit(target, business.name))
    print(f"Next, write down a complaint: {again(target, 'new', '--title', 'What went wrong', '--name', 'The customer')}")
    print(f"then fill it in, and run: {again(target, 'check')}, then {again(target, 'build')}")
    return ExitStatus.OK


def first_commit(target: Path, name: str) -> str:
    """Put the new casebook in git when git is there, and say what was done."""
    if shutil.which("git") is None:
        return "git is not installed: keep this folder in git once it is, so every change to a case is kept."
    inside = subprocess.run(["git", "-C", str(target), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if inside.returncode == 0:
        return f"It is inside the git repository {inside.stdout.strip()}: add it and commit it there."
    steps = [["init", "-q"], ["add", "--all"], ["commit", "-q", "-m", f"A new casebook for {name}"]]
    for step in steps:
        done = subprocess.run(["git", "-C", str(target), *step], capture_output=True, text=True)
        if done.returncode:
            why = (done.stderr.strip().splitlines() or ["git failed"])[-1]
            return f"git {step[0]} did not succeed ({why}); commit this folder yourself."
    return "Made a git repository of it, with a first commit."

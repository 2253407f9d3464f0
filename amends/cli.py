"""The command line: a thin layer over the library. Reads the clock; nothing below does."""
from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from jinja2 import TemplateError

from . import site
from .model import CHANNELS
from .newcase import case_text, write_new_case
from .project import Project, load_project
from .serve import serve
from .templating import make_env, template_problem


class ExitStatus(IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    INTERRUPTED = 130


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-03-14, not '{text}'") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="amends: customer recovery from plain files.")
    p.add_argument("--root", type=Path, default=Path("."), help="the project folder (default: this one)")
    p.add_argument("--today", type=_day, help="act as if today were DATE (YYYY-MM-DD)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("build", help="build site/ from cases/ (the default)")
    sub.add_parser("check", help="validate every case file and amends.yaml")
    s = sub.add_parser("serve", help="serve site/ on 127.0.0.1, rebuilding when a file changes")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    n = sub.add_parser("new", help="write a new case file to fill in")
    n.add_argument("--title", required=True, help="what went wrong, in a few words")
    n.add_argument("--name", required=True, help="the customer's name")
    n.add_argument("--email", help="the customer's email address")
    n.add_argument("--phone", help="the customer's phone number")
    n.add_argument("--channel", choices=CHANNELS, default="email", help="how the complaint came in (default email)")
    return p


def print_problems(project: Project) -> None:
    for problem in project.problems:
        print(problem, file=sys.stderr)


def summary(project: Project) -> str:
    valid = len(project.cases)
    bad_files = len({p.path for p in project.problems})
    text = f"{project.files} case file{'s' if project.files != 1 else ''} read, {valid} valid"
    if project.problems:
        text += f"; {len(project.problems)} problem{'s' if len(project.problems) != 1 else ''} in {bad_files} file{'s' if bad_files != 1 else ''}"
    return text


def build(root: Path, today: date) -> tuple[Project, int]:
    """Read, validate and write the site; return the project and files written."""
    project = load_project(root, today)
    written = site.build(project, make_env(root / "templates" / "site"), root / "site",
                         root / "templates" / "site" / "assets", today)
    return project, written


def cmd_build(root: Path, today: date) -> ExitStatus:
    started = time.perf_counter()
    try:
        project, written = build(root, today)
    except TemplateError as error:
        print(template_problem(error, root / "templates" / "site"), file=sys.stderr)
        print("The site was not built: fix the template and build again.", file=sys.stderr)
        return ExitStatus.PROBLEMS
    print_problems(project)
    print(f"{summary(project)}. Built site/ in {time.perf_counter() - started:.2f}s ({written} files changed).")
    print(f"Open {(root / 'site' / 'index.html').resolve().as_uri()} or run: python build.py serve")
    return ExitStatus.PROBLEMS if project.problems else ExitStatus.OK


def cmd_check(root: Path, today: date) -> ExitStatus:
    project = load_project(root, today)
    print_problems(project)
    print(summary(project) + ("." if project.problems else ". All good."))
    return ExitStatus.PROBLEMS if project.problems else ExitStatus.OK


def cmd_new(root: Path, today: date, args: argparse.Namespace) -> ExitStatus:
    email = None
    if args.email:
        try:
            email = validate_email(args.email, check_deliverability=False).normalized
        except EmailNotValidError as error:
            print(f"error: '{args.email}' is not a valid email address: {error}", file=sys.stderr)
            return ExitStatus.USAGE
    for value in (args.title, args.name, args.phone or ""):
        if any(ord(c) < 32 for c in value):
            print("error: names and titles must be on one line", file=sys.stderr)
            return ExitStatus.USAGE
    text = case_text(args.title, args.name, email, args.phone, args.channel, today)
    path = write_new_case(root / "cases", text, args.title, today)
    print(f"Wrote {path.relative_to(root).as_posix()}: open it in your editor and fill in the rest.")
    return ExitStatus.OK


def cmd_serve(root: Path, today: date, port: int) -> ExitStatus:
    def rebuild() -> None:
        cmd_build(root, date.today())

    cmd_build(root, today)
    watched = [root / "cases", root / "templates", root / "amends.yaml"]
    try:
        serve(root / "site", port, watched, rebuild)
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1:{port}: {error.strerror}; try --port", file=sys.stderr)
        return ExitStatus.USAGE
    return ExitStatus.OK


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parser().parse_args(argv)
    root: Path = args.root
    today = args.today or datetime.now().date()
    if not (root / "cases").is_dir():
        print(f"error: no cases/ folder in {root.resolve()}; run this in your amends project folder", file=sys.stderr)
        return ExitStatus.USAGE
    try:
        if args.command == "check":
            return cmd_check(root, today)
        if args.command == "new":
            return cmd_new(root, today, args)
        if args.command == "serve":
            return cmd_serve(root, today, args.port)
        return cmd_build(root, today)
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED

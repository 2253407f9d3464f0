"""The command line: a thin layer over the library. Reads the clock; nothing below does."""
from __future__ import annotations

import argparse
import gc
import logging
import os
import shlex
import shutil
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, time as clock, timezone
from enum import IntEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from jinja2 import TemplateError

# The report, demo and serve are imported by the commands that use them: `followups` and `check` run
# every few minutes and should not wait for what they never use.
from amends.cases.config import CONFIG_NAME, load_config
from amends.cases.newcase import case_text, refusals, write_new_case
from amends.cases.project import plural, summary
from amends.followups import ledger, messages, scheduler, send
from amends.followups.plan import STATES
from amends.followups.previews import write_previews
from amends.followups.review import LEDGER, Review, review
from amends.incremental.cache import FOLDER as CACHE_FOLDER, Cache
from amends.model import CHANNELS, Problem
from amends.templating import template_problem

log = logging.getLogger("amends")


class ExitStatus(IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    BUSY = 3
    INTERRUPTED = 130


# The years --today and --now accept: far enough either way for any real case, and clear of the
# ends of Python's calendar, where a day's arithmetic (the day before, the first of its week) overflows.
YEARS = range(1900, 2200)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-03-14, not '{text}'") from None
    _check_year(day, text)
    return day


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date and time like 2026-03-14T09:30, not '{text}'") from None
    _check_year(moment, text)
    return moment


def _check_year(value: date, text: str) -> None:
    if value.year not in YEARS:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range: give a day in the years {YEARS.start} to {YEARS.stop - 1}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="amends: customer recovery from plain files.")
    p.add_argument("--root", type=Path, default=Path("."), help="the project folder (default: this one)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--today", type=_day, help="act as if today were DATE (YYYY-MM-DD), at noon")
    when.add_argument("--now", type=_moment, help="act as if it were DATETIME (YYYY-MM-DDTHH:MM, business time zone)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="build site/ from cases/ (the default)")
    b.add_argument("--clean", action="store_true", help=f"forget the cache in {CACHE_FOLDER}/ and do all the work")
    sub.add_parser("check", help="validate every case file and amends.yaml, and render every follow-up")
    s = sub.add_parser("serve", help="serve site/ on 127.0.0.1, rebuilding when a file changes")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    n = sub.add_parser("new", help="write a new case file to fill in")
    n.add_argument("--title", required=True, help="what went wrong, in a few words")
    n.add_argument("--name", required=True, help="the customer's name")
    n.add_argument("--email", help="the customer's email address")
    n.add_argument("--phone", help="the customer's phone number")
    n.add_argument("--channel", choices=CHANNELS, default="email", help="how the complaint came in (default email)")
    d = sub.add_parser("demo", help="write a project of N generated, varied cases (for trying amends out, or benchmarks)")
    d.add_argument("--cases", type=int, default=1000, help="how many cases (default 1000)")
    d.add_argument("--out", type=Path, required=True, help="the folder for the new project")
    d.add_argument("--seed", type=int, default=1, help="the same seed gives the same cases (default 1)")
    f = sub.add_parser("followups", help="list the follow-ups to act on or still to go, and write those to outbox/preview/")
    f.add_argument("--all", action="store_true", help="also list the sent, done and skipped ones")
    t = sub.add_parser("send", help="deliver every due follow-up once")
    t.add_argument("--transport", choices=("outbox", "smtp"), help="override amends.yaml for this pass")
    sc = sub.add_parser("schedule", help="run a send pass and a site build every few minutes, until Ctrl-C")
    sc.add_argument("--transport", choices=("outbox", "smtp"), help="override amends.yaml")
    for action, text in (("approve", "approve the rendered text of a follow-up"),
                         ("release", "send a missed or uncertain follow-up anyway"),
                         ("done", "mark a follow-up handled (call made, letter posted, arrival confirmed)")):
        a = sub.add_parser(action, help=text)
        a.add_argument("case", help="the case id")
        a.add_argument("kind", help="the follow-up kind, e.g. apology or call")
    return p


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def again(root: Path, *words: str) -> str:
    """A command line that runs build.py again as this run did: with this Python, and --root when given."""
    def here(path: Path, program: bool = False) -> str:
        path = path.absolute()
        if not path.is_relative_to(Path.cwd()):
            return str(path)
        inside = path.relative_to(Path.cwd())
        return f"./{inside}" if program and inside.parent == Path(".") else str(inside)
    where = [] if root == Path(".") else ["--root", str(root)]
    return shlex.join([here(Path(sys.executable), program=True), here(Path(__file__).parents[2] / "build.py"), *where, *words])


def cmd_build(root: Path, now: datetime, clean: bool = False, memory: dict | None = None) -> ExitStatus:
    from amends.report.build import build_site

    started = time.perf_counter()
    if clean:
        shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
    try:
        text, problems, written = build_site(root, now, memory)
    except TemplateError as error:
        print(template_problem(error, root / "templates" / "site"), file=sys.stderr)
        print("The site was not built: fix the template and build again.", file=sys.stderr)
        return ExitStatus.PROBLEMS
    print_problems(problems)
    print(f"{text}. Built site/ in {time.perf_counter() - started:.2f}s ({written} files changed).")
    print(f"Open {(root / 'site' / 'index.html').resolve().as_uri()} or run: {again(root, 'serve')}")
    return ExitStatus.PROBLEMS if problems else ExitStatus.OK


def followup_problems(state: Review) -> list[Problem]:
    """Each follow-up that would be blocked, as a problem in its case file; a missing or broken
    template is one problem, however many follow-ups it blocks (a misspelled kind in the plan, say)."""
    blocked = [p.followup for p in state.prepared if p.followup.state == "blocked"]
    templates = Counter(f.reason for f in blocked if messages.template_fault(f.reason))
    return ([Problem("templates/email", None, f"{reason} ({plural(n, 'follow-up')} blocked)")
             for reason, n in sorted(templates.items())]
            + [Problem(f.case.path, None, f"the {f.kind} follow-up would be blocked: {f.reason}")
               for f in blocked if f.reason not in templates])


def cmd_check(root: Path, now: datetime) -> ExitStatus:
    with Cache(root / CACHE_FOLDER) as cache:
        state = review(root, now, cache=cache)
    # Settings half read would block follow-ups by the dozen for one cause: that cause is the one line to show.
    settings = any(p.path == CONFIG_NAME for p in state.problems)
    problems = state.problems + ([] if settings else followup_problems(state))
    print_problems(problems + state.warnings)
    warned = f"; {len(state.warnings)} warning{'s' if len(state.warnings) != 1 else ''}" if state.warnings else ""
    unchecked = "; follow-ups not checked until amends.yaml is fixed" if settings else ""
    print(summary(state.project) + warned + unchecked + ("." if problems else ". All good."))
    return ExitStatus.PROBLEMS if problems else ExitStatus.OK


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
    problems = refusals(text, args.title, load_config(root / CONFIG_NAME)[0], today)
    if problems:
        print("error: 'check' would refuse this new case, so nothing was written:", file=sys.stderr)
        print_problems(problems)
        return ExitStatus.USAGE
    path = write_new_case(root, text, args.title, today)
    print(f"Wrote {path.relative_to(root).as_posix()}: open it in your editor and fill in the rest.")
    return ExitStatus.OK


def cmd_serve(root: Path, now: datetime, port: int) -> ExitStatus:
    from amends.serve import serve

    memory: dict = {}  # the model and rendered parts stay in memory between rebuilds
    cmd_build(root, now, memory=memory)
    watched = [root / "cases", root / "templates", root / CONFIG_NAME, root / "outbox" / LEDGER]
    try:
        serve(root / "site", port, watched, lambda: cmd_build(root, datetime.now(timezone.utc), memory=memory))
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1:{port}: {error.strerror}; try --port", file=sys.stderr)
        return ExitStatus.USAGE
    return ExitStatus.OK


# Follow-ups that are history: listed only with --all, counted always.
SETTLED = ("sent", "done", "skipped")


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def their_time(moment: datetime, ours: ZoneInfo, theirs: str | None) -> str:
    """'Tue 09:00 their time, 18:00 ours' when the customer's clock shows another time than ours, else ''."""
    if not theirs:
        return ""
    mine, yours = moment.astimezone(ours), moment.astimezone(ZoneInfo(theirs))
    if mine.replace(tzinfo=None) == yours.replace(tzinfo=None):
        return ""
    ours_text = f"{mine:%H:%M}" if mine.date() == yours.date() else f"{DAY_NAMES[mine.weekday()]} {mine:%H:%M}"
    return f"{DAY_NAMES[yours.weekday()]} {yours:%H:%M} their time, {ours_text} ours"


def followups_table(state: Review, tz: ZoneInfo, everything: bool = False) -> str:
    """One line per follow-up, what needs a person first; sent, done and skipped ones only when asked."""
    order = {s: i for i, s in enumerate(STATES)}
    shown = [p for p in state.prepared if everything or p.followup.state not in SETTLED]
    rows = sorted(shown, key=lambda p: (order[p.followup.state], p.followup.due_at, p.followup.case.id))
    lines = [f"{'STATE':<9} {'WHEN':<16} {'CASE':<42} {'KIND':<12} REASON"]
    for p in rows:
        f = p.followup
        moment = f.when or f.due_at
        when = moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        theirs = their_time(moment, tz, f.case.customer.timezone)
        lines.append(f"{f.state:<9} {when:<16} {f.case.id:<42} {f.kind:<12} {f.reason}" + (f" ({theirs})" if theirs else ""))
    counts = dict.fromkeys(STATES, 0)
    for p in state.prepared:
        counts[p.followup.state] += 1
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "No follow-ups: no case has been resolved yet.")
    hidden = len(state.prepared) - len(shown)
    if hidden:
        lines.append(f"({plural(hidden, 'sent, done or skipped follow-up')} not listed: 'followups --all' lists them.)")
    return "\n".join(lines)


def cmd_demo(root: Path, today: date, args: argparse.Namespace) -> ExitStatus:
    from amends import demo
    cases = args.out / "cases"
    if cases.is_dir() and any(cases.glob("*.md")):
        print(f"error: {cases} already holds case files; choose an empty folder", file=sys.stderr)
        return ExitStatus.USAGE
    cases.mkdir(parents=True, exist_ok=True)
    # The new project gets this project's settings and templates, so it builds as it is.
    if not (args.out / CONFIG_NAME).exists() and (root / CONFIG_NAME).exists():
        shutil.copy(root / CONFIG_NAME, args.out / CONFIG_NAME)
    if not (args.out / "templates").exists():
        shutil.copytree(root / "templates", args.out / "templates")
    for name, text in demo.generate(args.cases, args.seed, today):
        (cases / name).write_text(text, encoding="utf-8")
    print(f"Wrote {plural(args.cases, 'case')} to {cases}; build them with: {again(args.out)}")
    return ExitStatus.OK


def cmd_followups(root: Path, now: datetime, everything: bool = False) -> ExitStatus:
    with Cache(root / CACHE_FOLDER) as cache:
        state = review(root, now, cache=cache)
        # Written before anything is printed: a reader that stops early (`| head`) must not stop this.
        previews = write_previews(state, root / "outbox", now, cache)
    print_problems(state.problems)
    tz = ZoneInfo(state.project.config.timezone)
    print(followups_table(state, tz, everything))
    if previews:
        print(f"{plural(previews, 'message')} still to go, each in outbox/preview/ for review.")
    return ExitStatus.OK


# How a pass's outcomes are counted in its summary.
OUTCOME_WORDS = (("sent", "sent"), ("tempfail", "to retry later"), ("permfail", "failed"),
                 ("ambiguous", "uncertain (check)"))


def refuse(problems: list[Problem], what: str) -> ExitStatus:
    print_problems(problems)
    files = " and ".join(sorted({"amends.yaml" if p.path == CONFIG_NAME else p.path for p in problems}))
    print(f"error: {what}: fix {files} first (problems listed above).", file=sys.stderr)
    return ExitStatus.USAGE


def cmd_send(root: Path, now: datetime, transport: str | None) -> ExitStatus:
    try:
        report = send.send_pass(root, now, transport)
    except ledger.Busy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return ExitStatus.BUSY
    if report.refused:
        return refuse(report.refused, "nothing was sent")
    for item, outcome in report.results:
        f = item.followup
        print(f"{outcome.status:<9} {f.case.id} {f.kind} → {item.rendered.to_addr} {outcome.code or ''} {outcome.reply}".rstrip())
    if report.error:
        print(f"error: {report.error}", file=sys.stderr)
    attention = report.attention
    counts = [f"{report.count(status)} {words}" for status, words in OUTCOME_WORDS if report.count(status)]
    if not counts:
        counts = ["nothing was due"] if not attention and not report.error else ["nothing sent"]
    if attention:
        counts.append(f"{plural(len(attention), 'thing')} to act on")
    print(f"Pass by {report.transport}: {', '.join(counts)}.")
    for a in attention:
        what = a.reason if a.state == "problem" else f"{a.case} {a.kind}: {a.reason}"
        print(f"  {a.state:<9} {what}")
    if report.needs_a_person:
        print("Some follow-ups need a person: run 'python build.py followups'.", file=sys.stderr)
        return ExitStatus.PROBLEMS
    return ExitStatus.OK


def cmd_record(root: Path, now: datetime, action: str, case_id: str, kind: str) -> ExitStatus:
    try:
        print(send.record(root, now, case_id, kind, action))
    except send.Refused as refused:
        return refuse(refused.problems, "nothing was recorded")
    except LookupError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return ExitStatus.USAGE
    except ledger.Busy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return ExitStatus.BUSY
    return ExitStatus.OK


def cmd_schedule(root: Path, transport: str | None) -> ExitStatus:
    config, _ = load_config(root / CONFIG_NAME)
    zone = ZoneInfo(config.timezone)
    # Apart from the sending, so that a build that hangs or fails cannot stop it; each build is a fresh
    # process, so the cache on disk (not memory) spares it the work the last one did.
    builds = scheduler.Builds(scheduler.BUILD_LIMIT_SECONDS)

    def tick() -> None:
        now = datetime.now(zone)
        status = cmd_send(root, now, transport)
        if status == ExitStatus.USAGE:
            # Every tick reads the files again, so the fix is picked up by the next one.
            log.error("pass refused: nothing was sent (problems listed above); the next pass reads the files again")
        builds.start(lambda: cmd_build(root, now), scheduler.stamp(now))
        log.info("pass as of %s done (exit %d); next in %d minutes", scheduler.stamp(now), status, config.every_minutes)

    print(f"Sending every {config.every_minutes} minutes; Ctrl-C stops.")
    with scheduler.business_clock(zone):
        try:
            scheduler.run_forever(tick, config.every_minutes * 60, threading.Event())
        except KeyboardInterrupt:
            print("Stopped.")
        finally:
            builds.stop()
    return ExitStatus.OK


# Commands that send or record: they act on the real clock, or a moment in its past.
RECORDS = ("send", *send.ACTIONS)


def time_travel(args: argparse.Namespace, now: datetime, real: datetime) -> ExitStatus | None:
    """Refuse to send or record in the future, and say so when acting as of a past moment."""
    if args.command not in RECORDS or (args.today is None and args.now is None):
        return None
    given = f"--today {args.today}" if args.today is not None else f"--now {args.now.isoformat()}"
    real = real.astimezone(now.tzinfo)
    if now > real:
        print(f"error: {given} means {now:%Y-%m-%d %H:%M}, later than the real clock ({real:%Y-%m-%d %H:%M}); "
              f"'{args.command}' records what happens and cannot act in the future (use 'followups' to look ahead)",
              file=sys.stderr)
        return ExitStatus.USAGE
    print(f"warning: {given}: acting as of {now:%Y-%m-%d %H:%M}, not now ({real:%Y-%m-%d %H:%M}); "
          "what is recorded is dated then", file=sys.stderr)
    return None


def resolve_now(args: argparse.Namespace, root: Path, real: datetime) -> datetime:
    """The moment the command acts at, in the business's time zone: the real clock, or --today / --now."""
    config, _ = load_config(root / CONFIG_NAME)
    tz = ZoneInfo(config.timezone)
    if args.today is not None:
        return datetime.combine(args.today, clock(12, 0), tz)
    if args.now is not None:
        return args.now if args.now.tzinfo else args.now.replace(tzinfo=tz)
    return real.astimezone(tz)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # Ten thousand cases are a few million small objects and almost no cycles: at the default
    # threshold (700) the collector walks them again and again, a third of a `followups` run.
    gc.set_threshold(100_000, 50, 100)
    args = parser().parse_args(argv)
    root: Path = args.root
    if not (root / "cases").is_dir():
        print(f"error: no cases/ folder in {root.resolve()}; run this in your amends project folder", file=sys.stderr)
        return ExitStatus.USAGE
    real = datetime.now(timezone.utc)
    now = resolve_now(args, root, real)
    refused = time_travel(args, now, real)
    if refused is not None:
        return refused
    try:
        if args.command == "check":
            return cmd_check(root, now)
        if args.command == "new":
            return cmd_new(root, now.date(), args)
        if args.command == "serve":
            return cmd_serve(root, now, args.port)
        if args.command == "demo":
            return cmd_demo(root, now.date(), args)
        if args.command == "followups":
            return cmd_followups(root, now, args.all)
        if args.command == "send":
            return cmd_send(root, now, args.transport)
        if args.command == "schedule":
            return cmd_schedule(root, args.transport)
        if args.command in send.ACTIONS:
            return cmd_record(root, now, args.command, args.case, args.kind)
        return cmd_build(root, now, clean=getattr(args, "clean", False))
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # Whoever read the output (`| head`) stopped early: no error of ours, and nothing more to print.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.OK
    except OSError as error:
        # The machine, not a case file: a read-only or full disk, a file where a folder belongs, an
        # unreadable cases/. Every write is atomic, so what was written before is whole; say where, once.
        print(f"error: {environment_problem(error, root)}", file=sys.stderr)
        return ExitStatus.USAGE


def environment_problem(error: OSError, root: Path) -> str:
    """'PATH: what went wrong', with the path inside the project when it is."""
    if error.filename is None:
        return error.strerror or str(error)
    path = Path(os.fsdecode(error.filename))
    try:
        path = path.resolve().relative_to(root.resolve())
    except ValueError:
        pass
    return f"{path.as_posix()}: {error.strerror or error}"

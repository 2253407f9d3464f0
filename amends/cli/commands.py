"""The commands. Each takes the parsed arguments, the command's clock and amends.yaml as read once,
and returns its exit status."""
from __future__ import annotations

import argparse
import errno
import logging
import shutil
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from jinja2 import TemplateError

# The report, demo and serve are imported by the commands that use them: `followups` and `check` run
# every few minutes and should not wait for what they never use.
from amends.cases.casefile import BUNDLE_FILE
from amends.cases.config import CONFIG_NAME
from amends.cases.newcase import case_text, refusals, write_new_case
from amends.cases.project import Settings, plural, read_settings, summary
from amends.cli.args import ExitStatus
from amends.cli.clock import Clock
from amends.cli.show import (again, environment_problem, followup_problems, followups_table, heard_line, print_pass, print_problems,
                              refuse)
from amends.followups import hearing, incoming, ledger, mailbox, scheduler, send
from amends.followups.previews import write_previews
from amends.followups.review import LEDGER, review
from amends.incremental.cache import FOLDER as CACHE_FOLDER, Cache
from amends.incremental.files import read_regular
from amends.incremental.progress import NO_PROGRESS, Progress, on_terminal
from amends.templating import template_problem

log = logging.getLogger("amends")


def build(root: Path, now: datetime, settings: Settings | None = None, clean: bool = False,
          memory: dict | None = None, progress: Progress = NO_PROGRESS) -> ExitStatus:
    """Build site/ as of `now`, and say what came of it: for `build`, and each build of `serve` and
    `schedule`. Without `settings`, amends.yaml is read again (serve's rebuilds: it may have changed)."""
    from amends.report.build import build_site

    started = time.perf_counter()
    if clean:
        shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
    try:
        with progress:
            text, problems, written = build_site(root, now, memory, settings, progress)
    except TemplateError as error:
        print(template_problem(error, root / "templates" / "site"), file=sys.stderr)
        print("The site was not built: fix the template and build again.", file=sys.stderr)
        return ExitStatus.PROBLEMS
    print_problems(problems)
    print(f"{text}. Built site/ in {time.perf_counter() - started:.2f}s ({written} files changed).")
    print(f"Open {(root / 'site' / 'index.html').resolve().as_uri()} or run: {again(root, 'serve')}")
    return ExitStatus.PROBLEMS if problems else ExitStatus.OK


def cmd_build(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    return build(args.root, clock.start, settings, clean=args.clean, progress=on_terminal(args.quiet))


def cmd_check(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    with on_terminal(args.quiet) as progress, Cache(args.root / CACHE_FOLDER) as cache:
        state = review(args.root, clock.start, cache=cache, settings=settings, progress=progress)
    # Settings half read would block follow-ups by the dozen for one cause: that cause is the one line to show.
    broken = any(p.path == CONFIG_NAME for p in state.problems)
    problems = state.problems + ([] if broken else followup_problems(state))
    print_problems(problems + state.warnings)
    warned = f"; {len(state.warnings)} warning{'s' if len(state.warnings) != 1 else ''}" if state.warnings else ""
    unchecked = "; follow-ups not checked until amends.yaml is fixed" if broken else ""
    print(summary(state.project) + warned + unchecked + ("." if problems else ". All good."))
    return ExitStatus.PROBLEMS if problems else ExitStatus.OK


def cmd_new(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    today, words, message_id = clock.start.date(), "", None
    if args.from_email:
        try:
            made = incoming.draft(read_regular(str(args.from_email), incoming.MAX_BYTES))
        except OSError as error:
            why = f"larger than {incoming.MAX_BYTES // (1024 * 1024)} MB" if error.errno == errno.EFBIG else \
                environment_problem(error, args.root)
            print(f"error: {args.from_email}: {why}; nothing was written", file=sys.stderr)
            return ExitStatus.USAGE
        if isinstance(made, str):
            print(f"error: {args.from_email}: {made}; nothing was written", file=sys.stderr)
            return ExitStatus.USAGE
        args.title, args.name = args.title or made.title, args.name or made.name
        args.email, args.channel = args.email or made.email, "email"
        words, message_id = made.words, made.message_id
        if made.opened and made.opened.tzinfo:
            today = min(made.opened.astimezone(ZoneInfo(settings.config.timezone)).date(), today)
    if not args.title or not args.name:
        print("error: a new case needs --title and --name (or --from-email FILE.eml)", file=sys.stderr)
        return ExitStatus.USAGE
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
    text = case_text(args.title, args.name, email, args.phone, args.channel, today, words, message_id)
    problems = refusals(text, args.title, settings.config, today)
    if problems:
        print("error: 'check' would refuse this new case, so nothing was written:", file=sys.stderr)
        print_problems(problems)
        return ExitStatus.USAGE
    path = write_new_case(args.root, text, args.title, today)
    print(f"Wrote {path.relative_to(args.root).as_posix()}: open it in your editor and fill in the rest.")
    return ExitStatus.OK


def cmd_serve(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    from amends.serve import serve

    root = args.root
    memory: dict = {}  # the model and rendered parts stay in memory between rebuilds
    build(root, clock.start, settings, memory=memory)
    inputs = [root / "cases", root / "templates", root / CONFIG_NAME, root / "outbox" / LEDGER]
    try:
        serve(root / "site", args.port, inputs, lambda: build(root, clock.now(), memory=memory))
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {error.strerror}; try --port", file=sys.stderr)
        return ExitStatus.USAGE
    return ExitStatus.OK


def cmd_demo(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    from amends import demo

    cases = args.out / "cases"
    if cases.is_dir() and (any(cases.glob("*.md")) or any(cases.glob(f"*/{BUNDLE_FILE}"))):
        print(f"error: {cases} already holds case files; choose an empty folder", file=sys.stderr)
        return ExitStatus.USAGE
    cases.mkdir(parents=True, exist_ok=True)
    # The new project gets this project's settings and templates, so it builds as it is.
    if not (args.out / CONFIG_NAME).exists() and (args.root / CONFIG_NAME).exists():
        shutil.copy(args.root / CONFIG_NAME, args.out / CONFIG_NAME)
    if not (args.out / "templates").exists():
        shutil.copytree(args.root / "templates", args.out / "templates")
    for name, text in demo.generate(args.cases, args.seed, clock.start.date()):
        (cases / name).write_text(text, encoding="utf-8")
    for name, data in demo.files(args.cases):
        (cases / name).parent.mkdir(parents=True, exist_ok=True)
        (cases / name).write_bytes(data)
    print(f"Wrote {plural(args.cases, 'case')} to {cases}; build them with: {again(args.out)}")
    return ExitStatus.OK


def cmd_followups(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    now = clock.start
    with on_terminal(args.quiet) as progress, Cache(args.root / CACHE_FOLDER) as cache:
        state = review(args.root, now, cache=cache, settings=settings, progress=progress)
        # Written before anything is printed: a reader that stops early (`| head`) must not stop this.
        previews = write_previews(state, args.root / "outbox", now, cache, progress)
    print_problems(state.problems)
    print(followups_table(state, ZoneInfo(state.project.config.timezone), args.all))
    if previews:
        print(f"{plural(previews, 'message')} still to go, each in outbox/preview/ for review.")
    return ExitStatus.OK


def send_once(root: Path, now: datetime, transport: str | None, settings: Settings) -> ExitStatus:
    """One send pass as of `now`, and what came of it: for `send`, and each of `schedule`'s ticks."""
    try:
        report = send.send_pass(root, now, transport, settings=settings)
    except ledger.Busy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return ExitStatus.BUSY
    if report.refused:
        return refuse(report.refused, "nothing was sent")
    print_pass(report)
    if report.needs_a_person:
        print("Some follow-ups need a person: run 'python build.py followups'.", file=sys.stderr)
        return ExitStatus.PROBLEMS
    return ExitStatus.OK


def cmd_send(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    return send_once(args.root, clock.start, args.transport, settings)


def cmd_record(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    try:
        print(send.record(args.root, clock.start, args.case, args.kind, args.command, settings))
    except send.Refused as refused:
        return refuse(refused.problems, "nothing was recorded")
    except LookupError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return ExitStatus.USAGE
    except ledger.Busy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return ExitStatus.BUSY
    return ExitStatus.OK


def cmd_inbox(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    return inbox_once(args.root, clock.start, settings)


def inbox_once(root: Path, now: datetime, settings: Settings) -> ExitStatus:
    """Read the mailbox once as of `now`, and list what came: for `inbox`, and before each of `schedule`'s passes."""
    source = mailbox.source_for(settings.config.inbox, root)
    if isinstance(source, str):
        print(f"error: {source}", file=sys.stderr)
        return ExitStatus.USAGE
    try:
        with ledger.lock(root / mailbox.LOCK):
            done = mailbox.read_mailbox(root, source, now)
    except ledger.Busy:
        print("error: another `inbox` is reading the mailbox; try again when it is done", file=sys.stderr)
        return ExitStatus.BUSY
    except OSError as error:
        print(f"error: the mailbox {source.name} could not be read: {environment_problem(error, root)}", file=sys.stderr)
        return ExitStatus.USAGE
    print_problems(done.problems)
    state = review(root, now, settings=settings)
    heard = hearing.hear(done.read, state.project.cases, state.histories, state.project.config)
    print(f"{plural(len(heard), 'new message')} read from {source.name}, {done.skipped} read before; "
          f"the mailbox was not changed.")
    for h in heard:
        print("  " + heard_line(h))
    return ExitStatus.OK


def cmd_schedule(args: argparse.Namespace, clock: Clock, settings: Settings) -> ExitStatus:
    root, every = args.root, settings.config.every_minutes
    # Apart from the sending, so that a build that hangs or fails cannot stop it; each build is a fresh
    # process, so the cache on disk (not memory) spares it the work the last one did.
    builds = scheduler.Builds(scheduler.BUILD_LIMIT_SECONDS)
    # The first pass uses amends.yaml as read at start-up; every later one reads it again, so a fix is picked up.
    first = [settings]

    def tick() -> None:
        now, read = clock.now(), first.pop() if first else read_settings(root)
        inbox = read.config.inbox
        # A reply not yet read could hold what this pass would send: no mailbox read, no pass.
        heard = inbox_once(root, now, read) if inbox.maildir or inbox.imap else ExitStatus.OK
        status = send_once(root, now, args.transport, read) if heard == ExitStatus.OK else heard
        if heard != ExitStatus.OK:
            log.error("the mailbox could not be read: nothing was sent this pass; the next pass tries again")
        if status == ExitStatus.USAGE:
            log.error("pass refused: nothing was sent (problems listed above); the next pass reads the files again")
        builds.start(lambda: build(root, now, read), scheduler.stamp(now))
        log.info("pass as of %s done (exit %d); next in %d minutes", scheduler.stamp(now), status, every)

    print(f"Sending every {every} minutes; Ctrl-C stops.")
    with scheduler.business_clock(ZoneInfo(settings.config.timezone)):
        try:
            scheduler.run_forever(tick, every * 60, threading.Event())
        except KeyboardInterrupt:
            print("Stopped.")
        finally:
            builds.stop()
    return ExitStatus.OK

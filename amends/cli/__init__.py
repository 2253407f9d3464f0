"""The command line: a thin table of commands over the library, with the one clock and one read of amends.yaml."""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable
from zoneinfo import ZoneInfo

from amends.cases.project import Settings, read_settings
from amends.cli import commands
from amends.cli.args import ExitStatus, parser
from amends.cli.clock import Clock, start_clock, time_travel
from amends.cli.init import cmd_init
from amends.cli.show import environment_problem
from amends.followups.send import ACTIONS

COMMANDS: dict[str, Callable[[argparse.Namespace, Clock, Settings], ExitStatus]] = {
    "build": commands.cmd_build,
    "check": commands.cmd_check,
    "new": commands.cmd_new,
    "serve": commands.cmd_serve,
    "demo": commands.cmd_demo,
    "followups": commands.cmd_followups,
    "send": commands.cmd_send,
    "schedule": commands.cmd_schedule,
    "inbox": commands.cmd_inbox,
    **dict.fromkeys(ACTIONS, commands.cmd_record),
}
# Commands that make a project: they read none.
WITHOUT_PROJECT: dict[str, Callable[[argparse.Namespace], ExitStatus]] = {"init": cmd_init}
# Commands that send or record: they act on the real clock, or a moment in its past.
RECORDS = ("send", "schedule", *ACTIONS)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # Ten thousand cases are a few million small objects and almost no cycles: at the default
    # threshold (700) the collector walks them again and again, a third of a `followups` run.
    gc.set_threshold(100_000, 50, 100)
    args = parser().parse_args(argv)
    if args.command in WITHOUT_PROJECT:  # no cases/ and no amends.yaml to read yet
        return WITHOUT_PROJECT[args.command](args)
    root = args.root
    if not (root / "cases").is_dir():
        print(f"error: no cases/ folder in {root.resolve()}; run this in your amends project folder", file=sys.stderr)
        return ExitStatus.USAGE
    try:
        settings = read_settings(root)
        clock = start_clock(args.today, args.now, ZoneInfo(settings.config.timezone))
        refused = time_travel(clock, args.command) if args.command in RECORDS else None
        return refused if refused is not None else COMMANDS[args.command](args, clock, settings)
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

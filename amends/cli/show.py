"""What the commands print: problems, the follow-ups table, a send pass's outcome, the next command to run."""
from __future__ import annotations

import os
import shlex
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from amends.cases.config import CONFIG_NAME
from amends.cases.project import plural
from amends.cli.args import ExitStatus
from amends.followups import hearing, messages
from amends.followups.plan import STATES
from amends.followups.review import Review
from amends.followups.send import PassReport
from amends.model import Problem


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def refuse(problems: list[Problem], what: str) -> ExitStatus:
    """Print the problems that stop a command, and the files to fix."""
    print_problems(problems)
    files = " and ".join(sorted({"amends.yaml" if p.path == CONFIG_NAME else p.path for p in problems}))
    print(f"error: {what}: fix {files} first (problems listed above).", file=sys.stderr)
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


def followup_problems(state: Review) -> list[Problem]:
    """Each follow-up that would be blocked, as a problem in its case file; a missing or broken
    template is one problem, however many follow-ups it blocks (a misspelled kind in the plan, say)."""
    blocked = [p.followup for p in state.prepared if p.followup.state == "blocked"]
    templates = Counter(f.reason for f in blocked if messages.template_fault(f.reason))
    return ([Problem("templates/email", None, f"{reason} ({plural(n, 'follow-up')} blocked)")
             for reason, n in sorted(templates.items())]
            + [Problem(f.case.path, None, f"the {f.kind} follow-up would be blocked: {f.reason}")
               for f in blocked if f.reason not in templates])


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


# How a pass's outcomes are counted in its summary.
OUTCOME_WORDS = (("sent", "sent"), ("tempfail", "to retry later"), ("permfail", "failed"),
                 ("ambiguous", "uncertain (check)"))


def print_pass(report: PassReport) -> None:
    """One line per message tried, then what the pass came to and everything that needs a person."""
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


def heard_line(h: hearing.Heard) -> str:
    """One message read from the mailbox, as `inbox` lists it."""
    m = h.message
    who = m.get("sender") or "an unknown sender"
    first = next((line.strip() for line in m.get("words", "").splitlines() if line.strip()), "")
    said = f": \"{first[:70]}{'…' if len(first) > 70 else ''}\"" if first else ""
    if h.kind in (hearing.BOUNCE, hearing.DELAYED) and h.case_id:
        return f"{h.kind} of {h.key}: {m['bounce']['words']} ({m['bounce']['status']})"
    if h.kind == hearing.ANSWER:
        return f"answer from {who} on {h.case_id}: {h.answer_text}{said}"
    if h.case_id:
        return f"{h.kind} from {who} on {h.case_id}{said}"
    return f"{h.kind}: {m.get('subject') or '(no subject)'} from {who} ({h.why})"

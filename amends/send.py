"""One send pass, and the few commands a person uses on a follow-up.

The order "record, then act" is written here and nowhere else: the ledger
gets an `attempt` before the server is contacted, a `data` event (fsync'd)
before the message body goes out, and the outcome after. Whatever moment a
crash or kill happens at, the next pass can tell what may have been sent.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from . import ledger, messages, plan
from .cache import NO_CACHE, Cache, digest
from .config import CONFIG_NAME, Config
from .messages import Prepared
from .model import Case, Problem
from .project import Project, load_project, not_regular, read_regular
from .templating import make_env
from .transports import Outcome, Transport, TransportError, make_transport

LEDGER = "ledger.jsonl"
LOCK = "send.lock"


@dataclass
class Outbox:
    """The files of outbox/: the ledger, the lock and the messages."""

    root: Path

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    @property
    def lock(self) -> Path:
        return self.root / LOCK

    def message(self, key: str) -> Path:
        return self.root / "messages" / messages.file_name(key)

    def sent_files(self, project_root: Path) -> tuple[dict[str, str], list[Problem]]:
        """The regular files of outbox/messages/ by name, and a warning naming every other entry there.

        outbox/ is read like cases/: a link out of the project could put a private file on
        the site, and a FIFO or a device would hang the build, so neither is ever opened.
        """
        files, warnings = {}, []
        inside = os.path.realpath(project_root) + os.sep
        try:
            entries = sorted(os.scandir(self.root / "messages"), key=lambda e: e.name)
        except OSError:  # none sent yet
            return files, warnings
        for entry in entries:
            if entry.name.startswith("."):
                continue
            why, _ = not_regular(entry, inside)
            if why:
                warnings.append(Problem(f"outbox/messages/{entry.name}", None, f"{why}; not read", warning=True))
            else:
                files[entry.name] = entry.path
        return files, warnings


@dataclass
class Review:
    """Everything known about the follow-ups as of one moment."""

    project: Project
    prepared: list[Prepared]
    histories: dict[str, ledger.History]
    problems: list[Problem]
    transport: str
    warnings: list[Problem] = field(default_factory=list)  # worth a look, stop nothing
    # The regular files of outbox/messages/ by name: the only ones ever opened there.
    sent_files: dict[str, str] = field(default_factory=dict)

    @property
    def cannot_send(self) -> list[Problem]:
        """Problems in amends.yaml or the ledger: with either, nothing may be sent or recorded."""
        return [p for p in self.problems if p.path in (CONFIG_NAME, ledger.NAME)]


def review(root: Path, now: datetime, transport: str | None = None, cache: Cache = NO_CACHE) -> Review:
    """Read cases and ledger, plan, and render what is still to go. Writes nothing but the cache."""
    project = load_project(root, now, cache)
    book = ledger.read(Outbox(root / "outbox").ledger)
    histories = ledger.histories(book.events)
    name = transport or project.config.transport
    followups = [doubtful(f, book.doubtful[f.key]) if f.key in book.doubtful else f
                 for f in plan.followups(project.cases, project.config, histories, now, name)]
    render_one = Renderer(root, project, cache)
    # An expired gift card is checked on every review: a rendered message is kept from one day to the next.
    prepared = in_order(messages.prepare(
        followups, histories, lambda f: messages.expired_card(f, project.config, now) or render_one(f), project.config),
        project.config, histories)
    render_one.save()
    sent_files, refused = Outbox(root / "outbox").sent_files(root)
    # A case file's warnings (an old date, say) leave the case valid: they stop nothing.
    problems = [p for p in project.problems + book.problems if not p.warning]
    warnings = ([p for p in project.problems if p.warning] + book.warnings + project.warnings
                + [w for case in project.cases for w in messages.warnings(case, render_one.env)]
                + renamed(project.cases, histories) + refused + said_again(sent_files, prepared))
    return Review(project, prepared, histories, problems, name, warnings, sent_files)


def said_again(sent_files: dict[str, str], prepared: list[Prepared]) -> list[Problem]:
    """A warning for each text the customer would read again word for word in a second round: what went
    wrong the second time deserves its own words. Read from the messages the first round sent
    (`sent_files`: the regular files of outbox/messages/, by name)."""
    out, seen = [], set()
    for item in prepared:
        f = item.followup
        if f.earlier is None or item.rendered is None or f.case.id in seen:
            continue
        seen.add(f.case.id)
        sent = []
        for kind in f.earlier.kinds:
            path = sent_files.get(messages.file_name(f"{f.case.id}/{kind}/{f.earlier.resolved}"))
            try:
                read = messages.read_sent(read_regular(path, messages.MAX_SHOWN_BYTES)) if path else None
            except OSError:  # swapped for a FIFO, or too large: nothing to compare with
                read = None
            if read is not None:
                sent.append(read.text)
        out += messages.unchanged(f.case, sent, f.earlier.resolved)
    return out


def doubtful(f: plan.Followup, problem: Problem) -> plan.Followup:
    """A follow-up named on a ledger line that cannot be read: what was sent for it is not known."""
    return replace(f, state="check", reason=f"{problem}; what was sent is not known until that line is fixed",
                   when=None, detail="")


def renamed(cases: list[Case], histories: dict[str, ledger.History]) -> list[Problem]:
    """A warning for each case that looks like one the ledger knows under an id no case has any more."""
    ids = {case.id for case in cases}
    by_customer = {(ledger.address_key(case.customer.email), case.opened.isoformat()): case
                   for case in cases if case.customer.email}
    out, told = [], set()
    for key, history in histories.items():
        old = key.rsplit("/", 2)[0]
        if old in ids or old in told:
            continue
        for e in history.events:
            case = by_customer.get((ledger.address_key(e["to"]), e.get("opened"))) if "to" in e else None
            if case:
                out.append(Problem(case.path, 1, (
                    f"the ledger has follow-ups for case '{old}', which no longer exists, to the same customer "
                    f"opened the same day: renamed? add `id: {old}` to keep its history"), "id", warning=True))
                told.add(old)
                break
    return out


def in_order(prepared: list[Prepared], config: Config, histories: dict[str, ledger.History]) -> list[Prepared]:
    """plan.one_each, then plan.in_order once more: rendering may have blocked an email, or asked for its
    approval again, so only now is it known which emails go, which copies they hold back and which later kinds wait."""
    ordered = plan.in_order(plan.one_each([p.followup for p in prepared], histories), config)
    return [p if f is p.followup else Prepared(f, p.rendered) for p, f in zip(prepared, ordered)]


class Renderer:
    """messages.render, remembering each result by the case file, the kind, the templates and the settings."""

    def __init__(self, root: Path, project: Project, cache: Cache) -> None:
        templates = root / "templates" / "email"
        self.project, self.cache, self.env = project, cache, make_env(templates)
        self.key = digest(project.digests.get(CONFIG_NAME, ""),
                          *(p.relative_to(templates).as_posix() if p.is_dir() else p.read_bytes()
                            for p in sorted(templates.rglob("*"))))
        self.known = cache.load("messages", self.key) or {}
        self.used: dict[str, messages.Rendered | str] = {}
        self.fresh = False

    def __call__(self, f: plan.Followup) -> messages.Rendered | str:
        template = f.step.template if f.step else f.kind  # a task's template is named for it
        name = digest(self.project.digests[f.case.path], f.kind, template)
        if name not in self.known:
            self.known[name], self.fresh = messages.render(f, self.project.config, self.env), True
        self.used[name] = self.known[name]
        return self.used[name]

    def save(self) -> None:
        """Keep what this review used, if that is not what was kept already."""
        if self.fresh or len(self.used) != len(self.known):
            self.cache.save("messages", self.key, self.used)


# What a person has to act on, by state; tasks only once they are due.
NEEDS_A_PERSON = ("check", "failed", "missed", "blocked", "approval", "held")
# What the outcome of this pass turns a follow-up into.
AFTER = {"permfail": "failed", "ambiguous": "check"}


@dataclass(frozen=True)
class Attention:
    """One thing a person must look at, with its case and the reason."""

    state: str
    case: str
    kind: str
    reason: str


@dataclass
class PassReport:
    transport: str
    results: list[tuple[Prepared, Outcome]] = field(default_factory=list)
    error: str | None = None
    review: Review | None = None
    # Problems in amends.yaml or the ledger: the pass did nothing at all.
    refused: list[Problem] = field(default_factory=list)
    # The messages due in this pass, in the order they were to go.
    due: list[Prepared] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(outcome.status == status for _, outcome in self.results)

    @property
    def attention(self) -> list[Attention]:
        """Everything that needs a person after this pass, the most urgent first."""
        if self.review is None:
            return []
        tried = {item.followup.key: outcome for item, outcome in self.results}
        out = []
        for item in self.review.prepared:
            f = item.followup
            outcome = tried.get(f.key)
            if outcome and outcome.status in AFTER:
                out.append(Attention(AFTER[outcome.status], f.case.id, f.kind, f"{outcome.code or ''} {outcome.reply}".strip()))
            elif not outcome and (f.state in NEEDS_A_PERSON or (f.is_task and f.state == "due")):
                out.append(Attention(f.state, f.case.id, f.kind, f.reason))
        # A pass that stopped (no SMTP password, no connection) names what it left unsent, not just why.
        if self.error:
            out += [Attention("due", item.followup.case.id, item.followup.kind,
                              f"not sent to {item.rendered.to_addr}: the pass stopped (see the error above)")
                    for item in self.due if item.followup.key not in tried]
        order = {state: i for i, state in enumerate(plan.STATES)}
        out.sort(key=lambda a: (order[a.state], a.case, a.kind))
        # A case file with a problem has no follow-ups to plan at all: the file itself needs a person.
        return out + [Attention("problem", p.path, "", str(p)) for p in self.review.project.problems if not p.warning]

    @property
    def needs_a_person(self) -> bool:
        """What cron or the scheduler's log must tell someone about, on every pass until it is handled."""
        return bool(self.error) or bool(self.attention)


def send_pass(root: Path, now: datetime, transport_name: str | None = None,
              transport: Transport | None = None) -> PassReport:
    """Deliver every due follow-up once. Raises ledger.Busy if another pass runs.

    With a problem in amends.yaml or the ledger nothing is sent: settings half
    read, or a ledger half understood, could send the wrong thing or send twice.
    """
    outbox = Outbox(root / "outbox")
    with ledger.lock(outbox.lock):
        # Plan under the lock, so two passes can never pick the same message.
        state = review(root, now, transport_name)
        if state.cannot_send:
            return PassReport(state.transport, refused=state.cannot_send)
        report = PassReport(state.transport, review=state)
        config = state.project.config
        # Kinds of one round that are due together (the gift card with the apology) go in the plan's order.
        order = plan.kind_order(config)
        due = sorted((p for p in state.prepared if p.followup.state == "due" and not p.followup.is_task),
                     key=lambda p: (plan.round_of(p.followup), order[p.followup.kind]))
        if not due:
            return report
        report.due = due
        transport = transport or make_transport(state.transport, config.smtp)
        handled = 0
        stopped: set[tuple[str, date]] = set()  # rounds where a kind did not go out: the later ones wait for a later pass
        try:
            with transport:
                for item in due:
                    if plan.round_of(item.followup) not in stopped:
                        outcome = deliver(item, transport, outbox, state, now)
                        report.results.append((item, outcome))
                        if outcome.status != "sent":
                            stopped.add(plan.round_of(item.followup))
                    handled += 1
        except TransportError as error:
            report.error = str(error)
            if error.temporary:
                # Not one message reached the server: all are retried later, with backoff.
                for item in due[handled:]:
                    if plan.round_of(item.followup) not in stopped:
                        ledger.append(outbox.ledger, ledger.event(item.followup.key, "tempfail", now,
                                                                  transport=state.transport, reply=str(error)))
                        report.results.append((item, Outcome("tempfail", None, str(error))))
        return report


def deliver(item: Prepared, transport: Transport, outbox: Outbox, state: Review, now: datetime) -> Outcome:
    """Freeze, record, send, record."""
    config, f = state.project.config, item.followup
    msg = messages.build(item.rendered, f.key, config, now)
    data = msg.as_bytes()
    # The address and the day the case was opened let the resend guard and the rename warning
    # recognise this customer later, whatever the case is called by then.
    details = {"transport": transport.name, "msgid": msg["Message-ID"], "sha256": hashlib.sha256(data).hexdigest(),
               "to": item.rendered.to_addr, "opened": f.case.opened.isoformat()}
    ledger.write_atomic(outbox.message(f.key), data)
    history = state.histories.get(f.key, ledger.History())
    ledger.append(outbox.ledger, ledger.event(f.key, "attempt", now, n=history.count("attempt") + 1, **details))

    def handed_over() -> None:
        ledger.append(outbox.ledger, ledger.event(f.key, "data", now, **details))

    outcome = transport.send(data, config.business_email, item.rendered.to_addr, handed_over)
    ledger.append(outbox.ledger, ledger.event(f.key, outcome.status, now, code=outcome.code,
                                              reply=outcome.reply or None, **details))
    return outcome


def file_names(folder: Path) -> set[str]:
    """The names in a folder, from one directory scan (none if it does not exist)."""
    try:
        return {entry.name for entry in os.scandir(folder)}
    except OSError:
        return set()


def write_previews(state: Review, outbox_dir: Path, now: datetime, cache: Cache = NO_CACHE) -> int:
    """Keep outbox/preview/ holding each message still to go as an .eml a person can open in a mail client.

    A preview whose words have not changed is left as it is; previews of messages
    no longer to go are removed. Returns how many previews there are.
    """
    folder = outbox_dir / "preview"
    there = file_names(folder)
    known = cache.load("previews", str(outbox_dir.resolve())) or {}
    current = {}
    for item in state.prepared:
        if item.rendered is None or item.followup.is_task:  # a call sheet or letter is no email
            continue
        name = messages.file_name(item.followup.key)
        current[name] = item.rendered.digest
        if known.get(name) != current[name] or name not in there:
            msg = messages.build(item.rendered, item.followup.key, state.project.config, now)
            ledger.write_atomic(folder / name, msg.as_bytes(), durable=False)
    for stale in there - current.keys():
        if stale.endswith(".eml"):
            (folder / stale).unlink()
    cache.save("previews", str(outbox_dir.resolve()), current)
    return len(current)


ACTIONS = {
    "approve": "approved",  # the rendered text may go out (kinds with approval: required)
    "release": "released",  # send a missed or uncertain message anyway
    "done": "done",         # handled by hand: a call made, a letter posted, a message confirmed
}


class Refused(Exception):
    """amends.yaml or the ledger has problems: nothing may be recorded."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("fix amends.yaml and the ledger first")
        self.problems = problems


def record(root: Path, now: datetime, case_id: str, kind: str, action: str) -> str:
    """Record a person's decision about one follow-up; return what was recorded.

    Raises LookupError, saying why, when there is nothing to decide (already sent
    or done, no approval needed), and Refused when the settings or the ledger have problems.
    """
    outbox = Outbox(root / "outbox")
    with ledger.lock(outbox.lock):
        state = review(root, now)
        if state.cannot_send:
            raise Refused(state.cannot_send)
        matches = [p for p in state.prepared if p.followup.case.id == case_id and p.followup.kind == kind]
        if not matches:
            known = sorted({p.followup.kind for p in state.prepared if p.followup.case.id == case_id})
            hint = f"; its follow-ups: {', '.join(known)}" if known else "; is the case id right, and is it resolved?"
            raise LookupError(f"no follow-up '{kind}' for case '{case_id}'{hint}")
        item = matches[0]
        f = item.followup
        if f.state in ("sent", "done"):
            when = f.when.strftime("%Y-%m-%d %H:%M") if f.when else "earlier"
            what = "sent" if f.state == "sent" else "marked done"
            raise LookupError(f"{case_id} {kind} was already {what} on {when} ({f.reason}); nothing recorded")
        details = {}
        if action == "approve":
            if f.is_task:
                raise LookupError(f"{case_id} {kind} is a task for a person; nothing to approve (mark it done when it is)")
            if item.rendered is None:
                raise LookupError(f"{case_id} {kind} is {f.state} ({f.reason}); nothing to approve")
            if not messages.approval_reason(f, item.rendered, state.project.config):
                raise LookupError(f"{case_id} {kind} needs no approval (neither the plan in amends.yaml, nor the case's "
                                  "severity, nor its texts ask for it); nothing recorded")
            details["sha256"] = item.rendered.digest
        ledger.append(outbox.ledger, ledger.event(f.key, ACTIONS[action], now, **details))
        return f"{ACTIONS[action]}: {f.key}"

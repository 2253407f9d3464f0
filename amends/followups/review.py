"""What is known about every follow-up as of one moment: the cases, the ledger, the plan and the rendered messages."""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

from amends.cases.config import CONFIG_NAME, Config
from amends.cases.project import Project, Settings, load_project, not_regular, read_regular
from amends.followups import hearing, ledger, mail, mailbox, messages, plan
from amends.followups.messages import Prepared
from amends.incremental.cache import NO_CACHE, Cache, digest
from amends.incremental.progress import NO_PROGRESS, Progress
from amends.model import Case, Problem
from amends.templating import make_env

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
        return self.root / "messages" / mail.file_name(key)

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
    # Every message read from the business's mailbox, matched to its case (outbox/inbox.jsonl).
    heard: list[hearing.Heard] = field(default_factory=list)

    @property
    def cannot_send(self) -> list[Problem]:
        """Problems in amends.yaml or the ledger: with either, nothing may be sent or recorded."""
        return [p for p in self.problems if p.path in (CONFIG_NAME, ledger.NAME)]


def review(root: Path, now: datetime, transport: str | None = None, cache: Cache = NO_CACHE,
           settings: Settings | None = None, progress: Progress = NO_PROGRESS) -> Review:
    """Read cases and ledger (and amends.yaml, unless its `settings` are given), plan, and render what is
    still to go. Writes nothing but the cache."""
    project = load_project(root, now, cache, settings, progress)
    progress.phase("planning follow-ups")
    book = ledger.read(Outbox(root / "outbox").ledger)
    histories = ledger.histories(book.events)
    name = transport or project.config.transport
    followups = [doubtful(f, book.doubtful[f.key]) if f.key in book.doubtful else f
                 for f in planned(project, histories, now, name, cache)]
    # What the customers wrote back holds, fails or adds follow-ups: planned again on every review.
    heard_from = mailbox.read_record(root)
    heard = hearing.hear(heard_from.messages, project.cases, histories, project.config)
    followups = hearing.apply(followups, heard, histories, project.config, now)
    render_one = Renderer(root, project, cache)
    # An expired gift card is checked on every review: a rendered message is kept from one day to the next.
    prepared = in_order(messages.prepare(
        progress.count(followups, "rendering follow-ups"), histories,
        lambda f: messages.expired_card(f, project.config, now) or render_one(f), project.config),
        project.config, histories)
    render_one.save()
    progress.phase("looking over the cases for warnings")
    sent_files, refused = Outbox(root / "outbox").sent_files(root)
    # A case file's warnings (an old date, say) leave the case valid: they stop nothing.
    problems = [p for p in project.problems + book.problems if not p.warning]
    warnings = ([p for p in project.problems if p.warning] + book.warnings + project.warnings + heard_from.problems
                + [w for case in project.cases for w in messages.warnings(case, render_one.env)]
                + renamed(project.cases, histories) + refused + said_again(sent_files, prepared))
    return Review(project, prepared, histories, problems, name, warnings, sent_files, heard)


# A Followup's fields after its case, in order.
FOLLOWUP_FIELDS = [f.name for f in fields(plan.Followup)][1:]


def planned(project: Project, histories: dict[str, ledger.History], now: datetime, transport: str,
            cache: Cache) -> list[plan.Followup]:
    """plan.followups, planning again only the cases whose follow-ups could have changed.

    A case whose follow-ups were all settled (sent, done, skipped) is kept, with them, by a
    digest of its file and of its lines in the ledger: nothing but those, the settings and
    the transport (the cache entry's key) can change a settled follow-up, so it never expires.
    Every other case is planned again on every review: time alone moves it.
    """
    lines: dict[str, list] = defaultdict(list)
    for key, history in histories.items():
        lines[key.rsplit("/", 2)[0]].append((key, history.events))
    versions = {c.id: digest(project.digests[c.path], repr(sorted(lines.get(c.id, []), key=lambda kv: kv[0])))
                for c in project.cases}
    entry = digest(project.digests.get(CONFIG_NAME, ""), transport)
    known = cache.load_parts("plans", entry)
    kept = {c.id: [plan.Followup(c, *fields) for fields in known[c.id][1]] for c in project.cases
            if c.id in known and known[c.id][0] == versions[c.id]}
    out = plan.followups(project.cases, project.config, histories, now, transport, kept)
    of_case: dict[str, list[plan.Followup]] = defaultdict(list)
    for f in out:
        of_case[f.case.id].append(f)
    # Kept as their fields but the case, which the checked case already holds: it is put back on reading.
    cache.save_parts("plans", entry, {c.id: (versions[c.id], [tuple(getattr(f, name) for name in FOLLOWUP_FIELDS)
                                                              for f in of_case[c.id]])
                                      for c in project.cases if all(f.state in plan.SETTLED for f in of_case[c.id])})
    return out


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
            path = sent_files.get(mail.file_name(f"{f.case.id}/{kind}/{f.earlier.resolved}"))
            try:
                read = mail.read_sent(read_regular(path, mail.MAX_SHOWN_BYTES)) if path else None
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
    gone = [(key.rsplit("/", 2)[0], history) for key, history in histories.items() if key.rsplit("/", 2)[0] not in ids]
    if not gone:  # the usual answer, known without normalising ten thousand addresses
        return []
    by_customer = {(ledger.address_key(case.customer.email), case.opened.isoformat()): case
                   for case in cases if case.customer.email}
    out, told = [], set()
    for old, history in gone:
        if old in told:
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

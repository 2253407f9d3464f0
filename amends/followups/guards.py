"""The guards of one email: each reads the email's facts and gives its state and why, or None.

plan._email asks them in turn and the first verdict stands: what already happened first, so
that nothing is ever sent twice; then what the case and the settings say; then the clock.
Two guards stay in plan.py, beside what they read there: the case's own, which its tasks share
(with before_since, which the report reads), and the one about letters (with LETTER_NOTE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from amends.cases.config import CHECKIN_KINDS, SAYS, Config, Step, days_text
from amends.followups.ledger import History, address_key
from amends.followups.rounds import Delivered, Deliveries, event_time, reached_at, reopened_between, same_complaint
from amends.model import Case, Promise
from amends.templating import format_date

# Waits after the 1st, 2nd, … temporary failure (then the last one repeats).
BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=45), timedelta(hours=2), timedelta(hours=4))


class Verdict(NamedTuple):
    """A follow-up's state, the reason a person reads, and the setting or fact behind it."""

    state: str
    reason: str
    when: datetime | None = None  # sent, or next try, as the state says
    detail: str = ""


@dataclass(frozen=True)
class Earliest:
    """When the earlier kinds of a round let a later kind go out, and why."""

    moment: datetime
    reason: str
    # What the later kind's catch-up days count from, if not its own due time. A kind marked
    # done gives none: a round a person dropped by hand must not go on with stale mail.
    catch_up_from: datetime | None


@dataclass(frozen=True)
class Email:
    """One email of a round, as its guards see it."""

    case: Case
    step: Step
    key: str
    history: History
    config: Config
    now: datetime
    transport: str
    covering: str | None             # the task that reaches a customer with no email address, if any
    not_before: Earliest | None      # what the earlier kinds of the round allow
    sent: Deliveries
    round_said: dict[str, History]   # what this round may already have told the customer, by kind
    due_at: datetime
    zone: str                        # where the send window applies: the customer's zone, if the case gives it
    set_date: bool                   # due on a date the case file sets, rather than after the plan's delay

    @property
    def release(self) -> str:
        """The command that sends it anyway."""
        return f"python build.py release {self.case.id} {self.step.kind}"

    @property
    def mark_done(self) -> str:
        """The command that marks it handled."""
        return f"python build.py done {self.case.id} {self.step.kind}"

    @property
    def held_back(self) -> Earliest | None:
        """The earlier kinds of the round, if they let this email go only after its own due time."""
        return self.not_before if self.not_before and self.not_before.moment > self.due_at else None

    @property
    def late_from(self) -> datetime:
        """What its catch-up days count from."""
        held = self.held_back
        return max(self.due_at, held.catch_up_from or self.due_at) if held else self.due_at

    @cached_property
    def went(self) -> tuple[str, str] | None:
        """What of this kind already went to this address about this complaint, unless a person released it."""
        earlier = None if released(self.history) else _sent_before(self)
        return earlier and _went_before(self.case, self.step.kind, *earlier, self.zone)


def recorded(e: Email) -> Verdict | None:
    """What the ledger says already happened to it.

    With no last event, only approvals are recorded, if anything: nothing was sent.
    """
    history, last = e.history, e.history.last
    if not last:
        return None
    smtp_sent = history.sent_by("smtp")
    if smtp_sent:
        return Verdict("sent", "sent by email", event_time(smtp_sent),
                       f"handed to the mail server by SMTP; message id {smtp_sent.get('msgid', '?')}")
    if e.transport == "outbox" and history.sent_by("outbox"):
        return Verdict("sent", "written to the outbox folder, not emailed", event_time(history.sent_by("outbox")),
                       "transport is outbox in amends.yaml: messages are written to outbox/messages/ "
                       "instead of being emailed; transport: smtp emails them")
    if last["ev"] == "done":
        return Verdict("done", "marked done by a person", event_time(last))
    if last["ev"] == "permfail":
        answer = f"{last.get('code', '')} {last.get('reply', '')}".strip()
        return Verdict("failed", f"not sent: the customer's mail server refused it ({answer}). Check the email "
                                 f"address in the case file, then send it again: {e.release}; or mark it handled: "
                                 f"{e.mark_done}", event_time(last))
    if last["ev"] in ("data", "ambiguous"):
        return Verdict("check", "may have arrived: the connection broke just after the message was handed over. "
                                f"Ask the customer; if it arrived, mark it done: {e.mark_done}; if not, send it again: "
                                f"{e.release}", event_time(last))
    return None


def skipped_in_part(e: Email) -> Verdict | None:
    """A kind that says what the case skips, and more (the follow-up opens with the apology): a person decides."""
    if released(e.history):
        return None
    says = SAYS.get(e.step.kind, {e.step.kind})
    part = next((s for s in e.case.followups.skip if says & SAYS.get(s, {s})), None)
    if not part:
        return None
    return Verdict("held", f"held: the case file says to skip the {part}, and the {e.step.kind} says it too. "
                           f"Send it anyway: {e.release}; or mark it handled: {e.mark_done}", detail="followups: skip")


def waits_for_promise(e: Email) -> Verdict | None:
    """A check-in waits while a promise to the customer is not kept."""
    if released(e.history) or e.step.kind not in CHECKIN_KINDS:
        return None
    promise = _open_promise(e.case, e.now, e.config)
    if not promise:
        return None
    what, why = promise
    if why:
        return Verdict("held", f"waits for a promise to the customer, {why}: '{what.what}'. Keep it and set "
                               f"kept: true in the case file; or send it anyway: {e.release}")
    return Verdict("upcoming", f"waits for a promise to the customer to be kept: '{what.what}' "
                               f"(due {format_date(what.due)})")


def no_address(e: Email) -> Verdict | None:
    if e.case.customer.email:
        return None
    if e.covering:
        return Verdict("skipped", f"no email address: the {e.covering} covers it")
    return Verdict("blocked", "cannot be sent: the case file gives no email address for the customer. "
                              f"Add it (customer.email), or mark it handled: {e.mark_done}")


def said_before(e: Email) -> Verdict | None:
    """Another kind of this round already told the customer what this one would (a plan changed mid-round).

    Skipped, not held: the rest of the round (the gift card, the check-in) still goes.
    """
    if released(e.history):
        return None
    says = SAYS.get(e.step.kind, {e.step.kind})
    for other, history in e.round_said.items():
        if other != e.step.kind and says & SAYS.get(other, {other}):
            day = reached_at(history).astimezone(ZoneInfo(e.config.timezone)).date()
            return Verdict("skipped", f"not sent, so that the customer is not told the same twice: the {other} of "
                                      f"this round already went on {format_date(day)}. Send it anyway: {e.release}",
                           detail="the plan in amends.yaml changed while this round was under way")
    return None


def no_sender(e: Email) -> Verdict | None:
    """Nothing can go before the business has an address to send from."""
    if e.config.business_email:
        return None
    return Verdict("blocked", "cannot be sent yet: the business's own email address is not set up",
                   detail="amends.yaml has no business.email to send from")


def not_yet(e: Email) -> Verdict | None:
    """Due at its own time, or later if an earlier kind of the round went (or will go) out late."""
    held = e.held_back
    if held:
        start, why = held.moment, held.reason
    else:
        start, why = e.due_at, ("on the date set in the case file" if e.set_date
                                else f"due {e.step.delay_text} after the case was resolved")
    return Verdict("upcoming", why, start) if e.now < start else None


def missed(e: Email, deadline: datetime) -> Verdict | None:
    """Not sent by `deadline` (its catch-up days are over): it waits for a person, unless one released it."""
    if e.now < deadline:
        return None
    late = days_text(e.config.catch_up_days, True)
    if e.went:
        # Missed, but the first reason stands: a person must know it may have gone already.
        what, which = e.went
        return Verdict("missed", f"not sent: it was held so that it does not go twice ({what}"
                                 + (f", {which}" if which else "") + f"), and is now more than {late} late. "
                                 f"Send it anyway: {e.release}; or mark it handled: {e.mark_done}",
                       detail=_guard_days(e.config))
    if released(e.history):
        return None
    waiting = planned_approval(e.case, e.step, e.config) if e.history.approved is None else None
    if waiting:
        return Verdict("missed", f"not sent: it waited for approval ({waiting}) and is now more than {late} late. "
                                 f"Read it; to send it anyway: python build.py approve {e.case.id} {e.step.kind}, "
                                 f"then {e.release}; or mark it handled: {e.mark_done}")
    due_day = e.late_from.astimezone(ZoneInfo(e.zone)).date()
    return Verdict("missed", f"not sent: it was due on {format_date(due_day)}, more than {late} before today. "
                             f"Send it anyway: {e.release}; or mark it handled: {e.mark_done}",
                   detail=f"catch_up_days is {e.config.catch_up_days} in amends.yaml: a follow-up later than that "
                          "waits for a person rather than arrive out of the blue")


def retrying(e: Email) -> Verdict | None:
    """After a temporary failure, it waits a while before the next try."""
    last = e.history.last
    if not (last and last["ev"] == "tempfail"):
        return None
    retry_at = event_time(last) + BACKOFF[min(e.history.count("tempfail"), len(BACKOFF)) - 1]
    if e.now >= retry_at:
        return None
    answer = f"{last.get('code', '')} {last.get('reply', '')}".strip()
    return Verdict("upcoming", f"the mail server could not take it just now ({answer}); amends tries again by itself",
                   retry_at)


def outside_hours(e: Email, slot: datetime) -> Verdict | None:
    """Outside the send window, which next opens at `slot` (or is open: `slot` is now)."""
    if slot <= e.now:
        return None
    return Verdict("upcoming", "waits for sending hours", slot,
                   f"followups.send_window in amends.yaml: {e.config.window_start:%H:%M} to "
                   f"{e.config.window_end:%H:%M}" + (", the customer's time" if e.case.customer.timezone else ""))


def would_go_twice(e: Email) -> Verdict | None:
    """The resend guard: this kind already went to this address about this complaint, within resend_guard_days."""
    if not e.went:
        return None
    what, which = e.went
    return Verdict("held", f"held so that it does not go twice: {what}" + (f" ({which})" if which else "")
                           + f". Send it anyway: {e.release}", detail=_guard_days(e.config))


def needs_approval(e: Email) -> Verdict | None:
    why = planned_approval(e.case, e.step, e.config)
    if why and e.history.approved is None:
        return Verdict("approval", f"{why}: read it, then run python build.py approve {e.case.id} {e.step.kind}")
    return None


def due(e: Email) -> Verdict:
    last = e.history.last
    return Verdict("due", "due now" + (" (retry)" if last and last["ev"] in ("tempfail", "attempt") else ""))


def planned_approval(case: Case, step: Step, config: Config) -> str | None:
    """Why a person reads this email before it goes, if one must: the case's severity, or the plan."""
    if case.weight in config.approve_first:
        second = f", as a second chance after {case.second_chance_of}" if case.weight != case.severity else ""
        return f"severity {case.weight}{second}: a person reads it first"
    return "waiting for approval" if step.approval else None


def released(history: History) -> bool:
    """A person's release stands for this round, through any retries that follow it."""
    return history.count("released") > 0


def _guard_days(config: Config) -> str:
    return f"resend_guard_days is {config.resend_guard_days} in amends.yaml"


def _open_promise(case: Case, now: datetime, config: Config) -> tuple[Promise, str] | None:
    """The first promise to the customer not kept, and why a person must look ("" while it is simply not due):
    broken, overdue, or with no date to wait for."""
    today = now.astimezone(ZoneInfo(config.timezone)).date()
    for why, found in (("broken (kept: false)", [p for p in case.promises if p.kept is False]),
                       ("overdue", [p for p in case.promises if p.kept is None and p.due and p.due < today]),
                       ("with no due date", [p for p in case.promises if p.kept is None and not p.due]),
                       ("", [p for p in case.promises if p.kept is None])):
        if found:
            first = min(found, key=lambda p: p.due or today)
            return first, (f"overdue since {format_date(first.due)}" if why == "overdue" else why)
    return None


def _sent_before(e: Email) -> tuple[Delivered, bool | None] | None:
    """The latest email of this kind that went to this address for another key within resend_guard_days,
    for this complaint or one that cannot be told apart from it; and whether it is surely this complaint
    (one that surely is comes first: the reason names it)."""
    recent = []
    for d in e.sent.get((address_key(e.case.customer.email), e.step.kind), ()):
        if (d.key != e.key and e.now - d.at < timedelta(days=e.config.resend_guard_days)
                and not _reopened_since(e.case, d)):
            sure = _answered(e.case, d)
            if sure is not False:
                recent.append((d, sure))
    return max(recent, key=lambda pair: (pair[1] is True, pair[0].at), default=None)


def _answered(case: Case, earlier: Delivered) -> bool | None:
    """Whether `earlier` answered the complaint of `case`: None when that cannot be told, because
    its case is gone (renamed, deleted) and it was not recorded as one opened the same day."""
    if earlier.key.rsplit("/", 2)[0] == case.id or earlier.opened == case.opened:
        return True
    return same_complaint(case, earlier.case) if earlier.case else None


def _went_before(case: Case, kind: str, earlier: Delivered, sure: bool | None, zone: str) -> tuple[str, str]:
    """What already went (the apology already went to … on 4 Mar 2026), and for which other case, if another."""
    what = f"the {kind} already went to {earlier.to} on {format_date(earlier.at.astimezone(ZoneInfo(zone)).date())}"
    other = earlier.key.rsplit("/", 2)[0]
    if other == case.id:
        return what, ""
    if sure:
        return what, f"case {other}"
    return what, (f"case {other}, which no longer exists, so amends cannot tell whether it was about this "
                  "complaint")


def _reopened_since(case: Case, earlier: Delivered) -> bool:
    """Whether `earlier` belongs to a round of this case that ended in a real reopen."""
    case_id, _, resolved = earlier.key.rsplit("/", 2)
    return case_id == case.id and reopened_between(case, date.fromisoformat(resolved))

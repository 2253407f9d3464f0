"""One send pass, and the few commands a person uses on a follow-up.

The order "record, then act" is written here and nowhere else: the ledger
gets an `attempt` before the server is contacted, a `data` event (fsync'd)
before the message body goes out, and the outcome after. Whatever moment a
crash or kill happens at, the next pass can tell what may have been sent.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from amends.cases.project import Settings
from amends.followups import ledger, messages, plan
from amends.followups.messages import Prepared
from amends.followups.review import Outbox, Review, review
from amends.followups.transports import Outcome, Transport, TransportError, make_transport
from amends.incremental.files import write_atomic
from amends.model import Problem

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
              transport: Transport | None = None, settings: Settings | None = None) -> PassReport:
    """Deliver every due follow-up once. Raises ledger.Busy if another pass runs.

    With a problem in amends.yaml or the ledger nothing is sent: settings half
    read, or a ledger half understood, could send the wrong thing or send twice.
    """
    outbox = Outbox(root / "outbox")
    with ledger.lock(outbox.lock):
        # Plan under the lock, so two passes can never pick the same message.
        state = review(root, now, transport_name, settings=settings)
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
    msg = messages.build(item.rendered, f.key, config, now, f.case.message_id)
    data = msg.as_bytes()
    # The address and the day the case was opened let the resend guard and the rename warning
    # recognise this customer later, whatever the case is called by then.
    details = {"transport": transport.name, "msgid": msg["Message-ID"], "sha256": hashlib.sha256(data).hexdigest(),
               "to": item.rendered.to_addr, "opened": f.case.opened.isoformat()}
    write_atomic(outbox.message(f.key), data)
    history = state.histories.get(f.key, ledger.History())
    ledger.append(outbox.ledger, ledger.event(f.key, "attempt", now, n=history.count("attempt") + 1, **details))

    def handed_over() -> None:
        ledger.append(outbox.ledger, ledger.event(f.key, "data", now, **details))

    outcome = transport.send(data, config.business_email, item.rendered.to_addr, handed_over)
    ledger.append(outbox.ledger, ledger.event(f.key, outcome.status, now, code=outcome.code,
                                              reply=outcome.reply or None, **details))
    return outcome


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


def record(root: Path, now: datetime, case_id: str, kind: str, action: str, settings: Settings | None = None) -> str:
    """Record a person's decision about one follow-up; return what was recorded.

    Raises LookupError, saying why, when there is nothing to decide (already sent
    or done, no approval needed), and Refused when the settings or the ledger have problems.
    """
    outbox = Outbox(root / "outbox")
    with ledger.lock(outbox.lock):
        state = review(root, now, settings=settings)
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

"""What is due: a pure function of the cases, the settings, the ledger and "now".

Every follow-up gets a state and a reason a person can read: the guards of an
email are in guards.py, asked in turn by _email here. Nothing here reads a file
or the clock, so "what would go out on Friday?" is just a call with another `now`.

The emails of one resolution of a case are a round: they go out in the plan's
order, each at least as far after the one before as the plan puts them, and a
later one waits while an earlier one cannot go.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from amends.cases.config import CHECKIN_KINDS, SAYS, Config, Step, days_text
from amends.followups import guards
from amends.followups.ledger import History, address_key, key_for
from amends.followups.rounds import (EarlierRound, Deliveries, Rounds, deliveries, earlier_round, event_time,
                                     rounds, same_complaint)
from amends.followups.window import (call_time, catch_up_deadline, days_after, distance, due_time, fixed_day,
                                     next_slot, opening, send_zone)
from amends.model import ABUSIVE, TASKS, Case, Contact
from amends.templating import format_date

# Staff tasks a plan may hold beside its emails: a call the day of the follow-up.
PLAN_TASKS = ("call",)
# The least time between two emails of a round, so that they arrive in the plan's order.
GAP = timedelta(minutes=1)
# What a task asks a person to do, before it is due and once it is.
CHECKIN_CALL = ("call the customer in person to ask whether all was put right",
                "call the customer in person and ask whether all was put right (a severe case gets no check-in mail)")
TASK_WORDS = {
    "checkin": CHECKIN_CALL,
    "thanks": CHECKIN_CALL,
    "call": ("call the customer with the first follow-up", "call the customer"),
    "letter": ("send a letter with the first follow-up", "print and post the letter"),
    "social": ("answer where they posted, soon after the post", "answer where they posted, then move to a private conversation"),
}
# What a task done by a contact `by: us` in the case file was, finishing "done: you … on 19 Nov 2026".
TASK_CONTACTS = {"call": ("phone", "called"), "social": ("social", "answered where they posted")}

# A letter says what the plan's emails would say. Instead of them, a customer with an email address gets
# this short note that the letter is on its way (followups.email_too), due with the letter.
LETTER_NOTE = "letter-note"
# The emails a letter does not repeat: the gift card's code, which the letter does not hold, and the
# check-in a week later.
NOT_IN_THE_LETTER = ("gift-card", "checkin")

# What a follow-up with nothing in the ledger has: shared, never changed.
NOTHING_YET = History()

# The states a follow-up can be in, in the order a person should look at them.
STATES = ("check", "failed", "missed", "blocked", "due", "approval", "held", "upcoming", "sent", "done", "skipped")
# The states that time alone never changes: only the case file, the settings or the ledger can.
SETTLED = ("sent", "done", "skipped")

# An earlier kind of a round in one of these states holds the later ones back: when it goes
# out, if ever, waits for a person or a fix. The words finish "waits for the apology, which …".
HOLDS_LATER = {
    "missed": "was missed: a person decides (release or done) first",
    "blocked": "is blocked: the case needs fixing first",
    "failed": "failed: a person decides (release or done) first",
    "held": "is held",
    "approval": "waits for approval",
    "check": "may have arrived: a person checks (done or release) first",
}
# The states of a later kind that would otherwise go out, or be missed, on its own.
WAITS_FOR_EARLIER = ("due", "approval", "upcoming", "missed")


@dataclass(frozen=True)
class Followup:
    case: Case
    kind: str          # a plan kind, or a task: "call", "letter" or "social"
    medium: str        # email, or the task
    key: str
    state: str
    reason: str        # what happened and what to do, in the words of the person who runs the business
    due_at: datetime
    step: Step | None = None
    when: datetime | None = None  # sent, or next try, as the state says
    detail: str = ""   # the setting or technical fact behind the reason, for whoever set amends up
    earlier: EarlierRound | None = None  # the round before a reopen, if one reached the customer

    @property
    def is_task(self) -> bool:
        return self.medium != "email"

    @property
    def their_clock(self) -> datetime | None:
        """When it goes (or went) by the customer's own clock, if the case gives their time zone.

        Without a zone on purpose: it is what their clock reads, not a moment to convert again.
        """
        zone = self.case.customer.timezone
        return (self.when or self.due_at).astimezone(ZoneInfo(zone)).replace(tzinfo=None) if zone else None


def followups(cases: list[Case], config: Config, histories: dict[str, History], now: datetime,
              transport: str, kept: dict[str, list[Followup]] | None = None) -> list[Followup]:
    """Every follow-up of every resolved case, and every answer to a public post, with its state as of `now`.

    `kept` holds, by case id, follow-ups planned before for cases whose file and ledger lines are the
    same and whose follow-ups were all SETTLED then, and so are now: they are not planned again.
    """
    # In UTC, differences are real elapsed time even across a daylight-saving change.
    now = now.astimezone(timezone.utc)
    sent = deliveries(cases, histories, transport)
    said = rounds(histories)
    out: list[Followup] = []
    for case in cases:
        known = kept.get(case.id) if kept else None
        out += known if known is not None else case_followups(case, config, histories, now, transport, sent, said)
    order = kind_order(config)
    out.sort(key=lambda f: (f.due_at, f.case.id, order.get(f.kind, 99)))
    # one_each is applied by the sender after rendering: a copy is held only for a case whose email does go.
    return in_order(out, config)


def kind_order(config: Config) -> dict[str, int]:
    """The order of the kinds of a round: the note that a letter is coming, the plan's emails, the tasks."""
    return {kind: i for i, kind in enumerate((LETTER_NOTE, *config.kinds, *TASKS))}


def one_each(followups: list[Followup], histories: dict[str, History]) -> list[Followup]:
    """Of the emails of one kind due now to one address from cases about the same complaint (a copied case),
    only the first goes.

    Applied to follow-ups as rendering left them: an email that rendering blocked, or that waits for
    approval, does not go now, and so holds no copy back.
    """
    going: dict[tuple[str, str], list[Followup]] = defaultdict(list)
    out = []
    for f in followups:
        if f.state == "due" and not f.is_task and not guards.released(histories.get(f.key, NOTHING_YET)):
            same = (address_key(f.case.customer.email), f.kind)
            first = next((g for g in going[same] if same_complaint(g.case, f.case)), None)
            if first:
                f = replace(f, state="held", reason=(
                    f"held so that it does not go twice: case {first.case.id} sends the same {f.kind} to "
                    f"{f.case.customer.email} now. Send this one too: python build.py release {f.case.id} {f.kind}"),
                    detail="")
            else:
                going[same].append(f)
        out.append(f)
    return out


def case_followups(case: Case, config: Config, histories: dict[str, History], now: datetime,
                   transport: str, sent: Deliveries | None = None, said: Rounds | None = None) -> list[Followup]:
    """The follow-ups of one case: the answer to a public post from the day it came, the rest once the case
    has been resolved."""
    now = now.astimezone(timezone.utc)
    task = config.task_for(case.channel)
    # A public post needs a prompt answer: it does not wait for the case to be resolved.
    social = [_task(case, task, opening(case.opened, config, config.timezone),
                    key_for(case.id, task, case.opened), _social_history(case, histories), config, now)
              ] if task == "social" else []
    if case.resolved is None:
        return social
    # A gift card already handed over another way (`sent:`) needs no message of its own.
    steps = [s for s in config.plan if s.only_if_given is None
             or any(a.kind == s.only_if_given and a.sent is None for a in case.accommodation)]
    of_case = (said if said is not None else rounds(histories)).get(case.id, {})
    round_said = of_case.get(case.resolved.isoformat(), {})
    again = earlier_round(case, of_case)
    email_steps = [s for s in steps if s.kind not in PLAN_TASKS]
    channel = None
    if task and task != "social" and email_steps and task not in {s.kind for s in steps}:
        # Due with the first email, but in the business's own hours: a person does it.
        key = key_for(case.id, task, case.resolved)
        due = call_time(case, email_steps[0], config) if task == "call" else \
            due_time(case, email_steps[0], config, config.timezone)
        channel = _task(case, task, due, key, histories.get(key, NOTHING_YET), config, now)
        if case.conduct == ABUSIVE and task == "call" and channel.state not in SETTLED:
            channel = _abusive(case, task, key, due, task)
    # "Our reply is on its way by post" goes once the letter is: after a person marked it posted.
    # Planned with the first email, so that the rest of the round keeps its distance after it.
    note = [Step(LETTER_NOTE, email_steps[0].days, email_steps[0].business_days, LETTER_NOTE)] \
        if channel and task == "letter" and config.email_too else []
    # The task that reaches a customer with no email address: the channel's, or the plan's call.
    covering = task or ("call" if case.customer.phone and any(s.kind in PLAN_TASKS for s in steps) else None)
    emails: list[Followup] = []
    calls: list[Followup] = []
    # A customer who abused our staff gets one plain note (messages.render) and the gift card owed, nothing more.
    plain = next((s.kind for s in email_steps if s.kind != "gift-card"), None) if case.conduct == ABUSIVE else None
    for step in note + steps:
        key = key_for(case.id, step.kind, case.resolved)
        history = histories.get(key, NOTHING_YET)
        if case.conduct == ABUSIVE and step.kind not in (plain, "gift-card") and not history.last:
            (calls if step.kind in PLAN_TASKS else emails).append(_abusive(case, step.kind, key, due_time(case, step, config),
                                                                           "call" if step.kind in PLAN_TASKS else "email", step))
            continue
        # Staff tasks in the plan (a call the day of the follow-up), and the check-in of a severe case,
        # which a person makes by phone: no automatic mail asks how we did after harm.
        if step.kind in PLAN_TASKS or (step.kind in CHECKIN_KINDS and case.severe):
            due = call_time(case, step, config)
            calls.append(_task(case, "call", due, key, history, config, now, kind=step.kind,
                               optional=step.kind in PLAN_TASKS and task != "call"))
            continue
        not_before = _not_before(case, step, emails, config, now)
        if step.kind == LETTER_NOTE and channel.state == "done":
            posted = channel.when or now
            not_before = guards.Earliest(posted, "goes out after the letter was marked posted", posted)
        f = _email(case, step, key, history, config, now, transport, covering, not_before, sent or {}, round_said)
        if step.kind == LETTER_NOTE and not history.last and round_said:
            # A round begun before letters were announced this way: the customer has heard from us by email.
            f = replace(f, state="skipped", reason="not sent: the customer already had an email about this case",
                        when=None, detail="")
        elif step.kind == LETTER_NOTE and channel.state != "done" and f.state in WAITS_FOR_EARLIER:
            f = replace(f, state="upcoming", when=None, detail="", reason=(
                f"waits for the letter to be posted; then mark it: python build.py done {case.id} letter"))
        emails.append(f)
    out = [replace(f, earlier=again) for f in in_order(emails, config) + calls] if again else in_order(emails, config) + calls
    return out + ([channel] if channel else []) + social


def _abusive(case: Case, kind: str, key: str, due: datetime, medium: str, step: Step | None = None) -> Followup:
    """A follow-up not made because the customer abused our staff: one plain note is all they get."""
    return Followup(case, kind, medium, key, "skipped", "not sent: the customer was abusive to our staff (conduct: "
                    "abusive); they get one plain note of what was done, and nothing more", due, step)


def _social_history(case: Case, histories: dict[str, History]) -> History:
    """What the ledger says of the answer to the post: kept under the day it came, and (as ledgers
    before it stopped waiting for the resolution have it) under the day the case was resolved."""
    keys = dict.fromkeys([key_for(case.id, "social", case.opened)]
                         + ([key_for(case.id, "social", case.resolved)] if case.resolved else []))
    events = [e for key in keys for e in histories.get(key, NOTHING_YET).events]
    return History(sorted(events, key=event_time)) if events else NOTHING_YET


def _email(case: Case, step: Step, key: str, history: History, config: Config, now: datetime,
           transport: str, task: str | None, not_before: guards.Earliest | None, sent: Deliveries,
           round_said: dict[str, History]) -> Followup:
    e = guards.Email(case, step, key, history, config, now, transport, task, not_before, sent, round_said,
                     due_at=due_time(case, step, config), zone=send_zone(case, config),
                     set_date=fixed_day(case, step.kind) is not None)
    # The first guard with a verdict decides. What already happened comes first: nothing is ever sent
    # twice; then what the case and the settings say; then the clock.
    verdict = (guards.recorded(e) or _case_guard(case, config, step.kind) or guards.skipped_in_part(e)
               or guards.waits_for_promise(e) or guards.no_address(e) or _answered_otherwise(e)
               or guards.said_before(e) or guards.no_sender(e) or guards.not_yet(e)
               or guards.missed(e, catch_up_deadline(e.late_from, config, e.zone)) or guards.retrying(e)
               or guards.outside_hours(e, next_slot(now, config, e.zone)) or guards.would_go_twice(e)
               or guards.needs_approval(e) or guards.due(e))
    # Times are given in the business's zone, as everything that shows them expects.
    when = verdict.when and verdict.when.astimezone(ZoneInfo(config.timezone))
    return Followup(case, step.kind, "email", key, verdict.state, verdict.reason, e.due_at, step, when, verdict.detail)


def _answered_otherwise(e: guards.Email) -> guards.Verdict | None:
    """The guard of a customer answered by the channel's task: by it alone, or by a letter that says what
    the email would."""
    channel_task = e.config.task_for(e.case.channel)
    if channel_task and not e.config.email_too:
        return guards.Verdict("skipped", f"answered by {channel_task} only",
                              detail="followups.email_too is false in amends.yaml")
    if channel_task == "letter" and e.step.kind not in (LETTER_NOTE, *NOT_IN_THE_LETTER):
        return guards.Verdict("skipped", "not emailed: the letter says it",
                              detail="followups.email_too is true in amends.yaml: a customer answered by letter gets "
                                     f"the {LETTER_NOTE} email instead of the emails the letter would repeat")
    return None


def _not_before(case: Case, step: Step, earlier: list[Followup], config: Config,
                now: datetime) -> guards.Earliest | None:
    """The earliest moment the earlier kinds of the round allow `step` to go out.

    It keeps its planned distance after each earlier kind that was sent or marked done
    (from that moment, so a late send moves the rest of the round along), or that is
    still to go (from when it will go: its time, or now when it is due).
    """
    zone, best, grace = send_zone(case, config), None, None
    for e in earlier:
        if e.state not in ("sent", "done", "upcoming", "due"):
            continue
        n, business = distance(e.step, step, case.resolved, config)
        # Two kinds planned for one day never go in the same minute: a gift card must not arrive
        # before the mail that announces it.
        moment = days_after((e.when or now) + (GAP if n == 0 else timedelta(0)), n, business, config, zone)
        if e.state != "done" and (grace is None or moment > grace):
            grace = moment
        if best is None or moment > best.moment:
            gap = "right after" if n == 0 else f"{days_text(n, business)} after"
            why = {"sent": f"goes out {gap} the {e.kind} was sent",
                   "done": f"goes out {gap} the {e.kind} was marked done"}.get(
                e.state, f"waits for the {e.kind}, then goes out {gap} it")
            best = guards.Earliest(moment, why, None)
    return replace(best, catch_up_from=grace) if best else None


def round_of(f: Followup) -> tuple[str, date]:
    """The round a follow-up belongs to: one resolution of one case."""
    return f.case.id, f.case.resolved


def in_order(followups: list[Followup], config: Config) -> list[Followup]:
    """The follow-ups, with each later email of a round held back while an earlier one cannot go out.

    Pure and safe to apply twice: the plan applies it, and the sender again after
    rendering, which can turn an earlier kind into 'blocked' or 'approval'.
    """
    order = kind_order(config)
    holder: dict[tuple[str, date], Followup] = {}
    for f in followups:
        # A blocked gift card holds the mail that announces it too, as if it came first in the round.
        if f.medium == "email" and f.state in HOLDS_LATER:
            first = holder.get(round_of(f))
            if first is None or _card_blocked(f) or (order[f.kind] < order[first.kind] and not _card_blocked(first)):
                holder[round_of(f)] = f
    if not holder:
        return followups
    out = []
    for f in followups:
        first = holder.get(round_of(f)) if f.medium == "email" else None
        if (first and first.kind != f.kind and (order[first.kind] < order[f.kind] or _card_blocked(first))
                and f.state in WAITS_FOR_EARLIER):
            f = replace(f, state="upcoming", reason=f"waits for the {first.kind}, which {HOLDS_LATER[first.state]}",
                        when=None, detail="")
        out.append(f)
    return out


def _card_blocked(f: Followup) -> bool:
    return f.kind == "gift-card" and f.state == "blocked"


def _task(case: Case, task: str, due_at: datetime, key: str, history: History, config: Config,
          now: datetime, kind: str | None = None, optional: bool = False) -> Followup:
    """A call, a letter or a public answer for a person to do from `due_at`: one that mirrors how the
    complaint came in, or a kind of the plan a person does by phone (`kind`). An `optional` call, one the
    plan makes for every case, is skipped when the case gives no phone number."""
    kind = kind or task

    def result(state: str, reason: str, when: datetime | None = None, detail: str = "") -> Followup:
        return Followup(case, kind, task, key, state, reason, due_at, None, when, detail)

    last = history.last
    if last and last["ev"] == "done":
        return result("done", "marked done by a person", event_time(last))
    contact = _done_by_contact(case, task, due_at, config)
    if contact:
        channel, did = TASK_CONTACTS[task]
        return result("done", f"done: you {did} on {format_date(contact.day)} (contact in the case file)",
                      _moment(contact.at, config) if isinstance(contact.at, datetime) else None,
                      f"a contact by: us, channel: {channel} in the case file")
    guard = _case_guard(case, config, kind)
    if guard:
        return result(guard.state, guard.reason, detail=guard.detail)
    if task == "call" and not case.customer.phone:
        if optional:
            return result("skipped", "no phone number in the case file: the follow-up email goes alone")
        return result("blocked", "the call needs the customer's phone number (customer.phone in the case file)")
    words = TASK_WORDS.get(kind, TASK_WORDS[task])
    if now < due_at:
        return result("upcoming", words[0], due_at)
    return result("due", f"to do: {words[1]}, then: python build.py done {case.id} {kind}")


def _done_by_contact(case: Case, task: str, due_at: datetime, config: Config) -> Contact | None:
    """The contact `by: us` in the case file that did the task: an answer where they posted, at or after
    the post; a call after the follow-up call fell due (the calls made while the case was open are not it)."""
    if task not in TASK_CONTACTS:
        return None
    channel = TASK_CONTACTS[task][0]
    ours = [c for c in case.contacts if c.by == "us" and c.channel == channel]
    if task == "social":
        theirs = [c for c in case.contacts if c.by == "customer"]
        post = theirs[0].at if theirs else case.opened
        return next((c for c in ours if _at_or_after(c.at, post, config)), None)
    # The resolved day holds no time: a call that day may have been the one that resolved it.
    return next((c for c in ours if c.day > case.resolved and _at_or_after(c.at, due_at, config)), None)


def _at_or_after(moment: date | datetime, since: date | datetime, config: Config) -> bool:
    """Whether `moment` is at or after `since`; by the day alone if either gives no time of day."""
    if isinstance(moment, datetime) and isinstance(since, datetime):
        return _moment(moment, config) >= _moment(since, config)
    return _local_day(moment, config) >= _local_day(since, config)


def _local_day(at: date | datetime, config: Config) -> date:
    return _moment(at, config).date() if isinstance(at, datetime) else at


def _moment(at: datetime, config: Config) -> datetime:
    """A time written in the case file, in the business's zone; one without a UTC offset is the business's clock."""
    tz = ZoneInfo(config.timezone)
    return at.astimezone(tz) if at.tzinfo else at.replace(tzinfo=tz)


def before_since(case: Case, config: Config) -> bool:
    """Resolved before followups.since: from before the business used amends, so nothing goes out."""
    return bool(config.since and case.resolved and case.resolved < config.since)


def _case_guard(case: Case, config: Config, kind: str) -> guards.Verdict | None:
    """Reasons nothing of the case goes out, whatever the date: the guard its emails and its tasks share.

    The answer to a public post is about the post, not the resolution: the guards about
    the resolution (since by its date, a reopen, the customer back after it) leave it be.
    """
    if kind == "social" and config.since and case.opened < config.since:
        return guards.Verdict("skipped", f"not asked for: the complaint was posted on {format_date(case.opened)}, "
                                         f"before amends began on {format_date(config.since)}",
                              detail=f"followups.since is {config.since} in amends.yaml")
    if kind != "social" and before_since(case, config):
        return guards.Verdict("skipped", f"not sent: the case was resolved on {format_date(case.resolved)}, before "
                                         f"amends began sending follow-ups on {format_date(config.since)}",
                              detail=f"followups.since is {config.since} in amends.yaml")
    if kind != "social" and case.reopened:
        return guards.Verdict("skipped", "the case was reopened; nothing goes out until it is resolved again")
    if case.status == "lost":
        return guards.Verdict("skipped", "the customer was lost")
    if case.do_not_contact:
        return guards.Verdict("skipped", "not sent: the case file says not to contact this customer",
                              detail="do_not_contact: true")
    if case.customer.email and case.customer.email.casefold() in {e.casefold() for e in config.do_not_contact}:
        return guards.Verdict("skipped", "not sent: this customer's email address is on the list of people not to "
                                         "contact", detail="do_not_contact in amends.yaml")
    if case.followups.hold:
        return guards.Verdict("held", "held: the case file says to hold the follow-ups", detail="followups: hold")
    # A skipped kind also skips a kind of another plan that says nothing more (thanks: the check-in).
    skipped = next((s for s in case.followups.skip if s == kind or SAYS.get(kind, {kind}) <= SAYS.get(s, {s})), None)
    if skipped:
        return guards.Verdict("skipped", f"not sent: the case file says to skip the {skipped}",
                              detail="followups: skip")
    # Only the customer getting in touch again says something may be wrong; our own calls do not.
    later = [c for c in case.contacts if c.day > case.resolved and c.by == "customer"] if kind != "social" else []
    if later:
        return guards.Verdict("held", f"the customer got in touch again on {format_date(later[-1].day)} after the "
                                      "case was resolved: a person should look (reopen it, or resolve it again with "
                                      "a new date)")
    return None



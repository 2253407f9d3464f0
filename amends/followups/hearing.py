"""What the customers said back: each message read from the mailbox (outbox/inbox.jsonl) matched to a case
and a follow-up. Pure: the recorded messages, the cases and the ledger in, a Heard per message out.

A message counts as the customer's only when it comes from the customer's own address: a reply's
threading headers or a token in its subject can be copied by anyone, so either without the right
sender leaves the message for a person. Machine mail (auto-replies, lists, no-reply senders) never
speaks for a customer, whatever it refers to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from amends.cases.config import CHECKIN_KINDS, Config
from amends.followups.ledger import History, address_key, key_for
from amends.followups.messages import SCORE, case_token
from amends.followups.plan import SETTLED, Followup
from amends.followups.window import days_after
from amends.model import Case
from amends.templating import format_date

# What a message is, once matched.
REPLY, ANSWER, BOUNCE, DELAYED, WROTE_AGAIN, AUTOMATIC, UNMATCHED = (
    "reply", "answer", "bounce", "delayed", "wrote again", "automatic", "unmatched")
# The answers to "Has everything been put right?", in the languages shipped; a mailto link's subject
# starts with one of them, and so may a reply typed by hand.
YES = ("yes, all good", "yes", "all good", "ja, alles gut", "ja", "alles gut", "alles in ordnung")
NOT_YET = ("not yet", "no", "noch nicht", "nein")
_SCORE = re.compile(rf"^(?:{'|'.join(SCORE.values())})\s*:?\s*([1-5])\b", re.IGNORECASE)
# A reply typed by hand that is a score alone: "4", "4/5", "4 of 5", "4 von 5".
_BARE_SCORE = re.compile(r"^([1-5])(?:\s*(?:/|of|von)\s*5)?[.!]?$", re.IGNORECASE)
_WORDS = re.compile(r"[^\w\s,]+")


@dataclass(frozen=True)
class Heard:
    message: dict           # the line of outbox/inbox.jsonl
    kind: str
    case_id: str | None = None
    key: str | None = None  # the follow-up answered, or that bounced
    answer: str = ""        # "yes", "not yet", or "" when no clear answer
    score: int | None = None
    why: str = ""           # for a person: why the message is not counted for a case
    after: str = ""         # when the follow-up it answers was handed over (ISO): no answer comes before it

    @property
    def answer_text(self) -> str:
        """The answer as a list shows it: "yes", "not yet", "score 4" or "not a clear yes"."""
        return self.answer or (f"score {self.score}" if self.score else "not a clear yes")


@dataclass(frozen=True)
class Sent:
    key: str
    case_id: str
    to: str                 # address_key of where it went
    kind: str
    at: str = ""            # when it was handed over (ISO)


def loose(heard: list[Heard]) -> list[Heard]:
    """The messages a person should look at that no case shows: matched to none, or a delay a bounce may follow."""
    return [h for h in heard if not h.case_id or h.kind == DELAYED]


def sent_messages(histories: dict[str, History]) -> dict[str, Sent]:
    """Every message the ledger says was handed over, by its Message-ID."""
    out = {}
    for key, history in histories.items():
        case_id, kind = key.split("/")[0], key.split("/")[1]
        for event in history.events:
            if event.get("msgid") and event.get("to") and event["ev"] in ("data", "sent", "ambiguous"):
                out[event["msgid"]] = Sent(key, case_id, address_key(event["to"]), kind, event.get("ts", ""))
    return out


def answer_of(message: dict) -> tuple[str, int | None]:
    """The answer a message gives to the check-in: ("yes" | "not yet" | "", a score or None).

    Only a clear yes counts as one: "yes" or "all good" alone (a mailto answer's subject, or a
    reply's first line with nothing after it but a greeting). Anything else is for a person.
    """
    subject = re.sub(r"^((re|aw|fwd?|wg)\s*:\s*)+", "", message.get("subject", ""), flags=re.IGNORECASE)
    subject = _without_token(subject)
    score = _SCORE.match(subject)
    if score:
        return "", int(score.group(1))
    lines = [line.strip() for line in message.get("words", "").splitlines() if line.strip()]
    bare = _BARE_SCORE.match(lines[0]) if lines else None
    if bare:
        return "", int(bare.group(1))
    for text in (subject, lines[0] if lines else ""):
        said = _WORDS.sub("", text).strip().casefold()
        if said in YES and len(lines) <= 2:
            return "yes", None
        if said in NOT_YET or any(said.startswith(no + ",") for no in NOT_YET):
            return "not yet", None
    return "", None


def _without_token(subject: str) -> str:
    return re.sub(r"\[ref[ :#]*[0-9a-f]{10}\]", "", subject, flags=re.IGNORECASE).strip()


def hear(messages: list[dict], cases: list[Case], histories: dict[str, History], config: Config) -> list[Heard]:
    """Each recorded message, matched: see the module's docstring for the order of the rules."""
    if not messages:  # most builds: nothing read yet, and indexing every case's address is not free
        return []
    sent = sent_messages(histories)
    by_id = {case.id: case for case in cases}
    tokens = {case_token(case.id, config): case for case in cases}
    by_address: dict[str, list[Case]] = {}
    for case in cases:
        if case.customer.email:
            by_address.setdefault(address_key(case.customer.email), []).append(case)
    return [_match(m, sent, by_id, tokens, by_address) for m in messages]


def _match(m: dict, sent: dict[str, Sent], by_id: dict[str, Case], tokens: dict[str, Case],
           by_address: dict[str, list[Case]]) -> Heard:
    sender = m.get("sender", "")
    bounce = m.get("bounce")
    if m.get("id") in sent:  # a copy of one of our own follow-ups (a Bcc, or the business's address in the round)
        return Heard(m, AUTOMATIC, why="a copy of a follow-up amends sent")
    if bounce:
        found = sent.get(bounce.get("original", "")) or next((sent[r] for r in m.get("refers_to", []) if r in sent), None)
        if found is None and "@" in bounce.get("recipient", ""):
            # A report that quotes none of our messages: the latest one to the address it names.
            to = address_key(bounce["recipient"])
            found = max((s for s in sent.values() if s.to == to), key=lambda s: (s.key.rsplit("/", 1)[-1], s.key), default=None)
        kind = BOUNCE if bounce.get("permanent") else DELAYED
        if found is None:
            return Heard(m, kind, why="the report names no message that amends sent")
        return Heard(m, kind, found.case_id, found.key)
    if m.get("automatic"):
        return Heard(m, AUTOMATIC, why=m["automatic"])
    if m.get("refused"):
        return Heard(m, UNMATCHED, why=f"not read: {m['refused']}")
    answered = next((sent[r] for r in m.get("refers_to", []) if r in sent), None)
    if answered is not None:
        case = by_id.get(answered.case_id)
        if sender and (sender == answered.to or (case and case.customer.email and sender == address_key(case.customer.email))):
            return replace(_from_customer(m, answered.case_id, answered.key, answered.kind in CHECKIN_KINDS), after=answered.at)
        return Heard(m, UNMATCHED, why=f"a reply to a follow-up of {answered.case_id}, but from {sender or 'an unknown sender'}, "
                                       "not the address it went to")
    case = tokens.get(m.get("token", ""))
    if case is not None:
        if sender and case.customer.email and sender == address_key(case.customer.email):
            key = _last_sent(case.id, sent)
            return _from_customer(m, case.id, key, True)
        return Heard(m, UNMATCHED, why=f"names the case {case.id}, but comes from {sender or 'an unknown sender'}, "
                                       "not the customer's address")
    theirs = by_address.get(sender, [])
    if theirs:
        newest = max(theirs, key=lambda c: (c.is_open, c.opened, c.id))
        return Heard(m, WROTE_AGAIN, newest.id)
    return Heard(m, UNMATCHED, why="from no address of a case, and answering nothing amends sent")


def _from_customer(m: dict, case_id: str, key: str | None, asks: bool) -> Heard:
    """The customer's own message about a case: an answer when it answers the check-in (or comes from its
    links), else a reply; a "yes" to the apology confirms nothing."""
    if asks:
        answer, score = answer_of(m)
        return Heard(m, ANSWER, case_id, key, answer, score)
    return Heard(m, REPLY, case_id, key)


def _last_sent(case_id: str, sent: dict[str, Sent]) -> str | None:
    """The follow-up a message naming the case answers: its latest check-in, else its latest follow-up."""
    mine = [s for s in sent.values() if s.case_id == case_id]
    latest = max(mine, key=lambda s: (s.kind in CHECKIN_KINDS, s.key.rsplit("/", 1)[-1], s.key), default=None)
    return latest.key if latest else None


# -- what the customers' answers change in the plan ----------------------------------------------

# The task of a customer who is not satisfied, or whose email bounced: a person calls them (or writes,
# with an address and no phone), within one business day.
CALL_BACK = "call-back"
# The messages that stop the rest of a round until a person has read them.
HOLDS = (REPLY, ANSWER, WROTE_AGAIN, BOUNCE)


def received(h: Heard) -> datetime:
    """When the message came: its Date, if it is no later than when it was read (else when it was read),
    and for a reply no earlier than the follow-up it answers: a phone whose clock was reset dates it 1970."""
    read = datetime.fromisoformat(h.message["read"])
    sent = datetime.fromisoformat(h.message["date"]) if h.message.get("date") else None
    came = sent if sent and sent.tzinfo and sent <= read else read
    return max(came, datetime.fromisoformat(h.after)) if h.after else came


def _day(moment: datetime, config: Config):
    return moment.astimezone(ZoneInfo(config.timezone)).date()


def unhappy(h: Heard) -> bool:
    """An answer that is not a clear yes: "not yet", a score of 1 or 2, or words a person must read."""
    return h.kind == ANSWER and h.answer != "yes" and (h.score is None or h.score <= 2)


def confirms(h: Heard) -> bool:
    """An answer that says all was put right: a clear yes, or a score of 3 or more (nobody calls them back)."""
    return h.kind == ANSWER and not unhappy(h)


def first_line(h: Heard) -> str:
    line = next((line.strip() for line in h.message.get("words", "").splitlines() if line.strip()), "")
    return line if len(line) <= 80 else line[:79] + "…"


def apply(followups: list[Followup], heard: list[Heard], histories: dict[str, History], config: Config,
          now: datetime) -> list[Followup]:
    """The follow-ups as the customers' messages change them, and a call-back task for each unhappy answer
    and each bounce.

    A bounced email is failed, whatever the ledger says of its handover. Every email of the case not yet
    sent is held once the customer wrote (or their email bounced) after the case was resolved, until a
    person releases it, and mail to an address that bounced is blocked until the case gives another.
    """
    mine: dict[str, list[Heard]] = {}
    for h in heard:
        # By the day: the site shows a day as of its noon, and a message read that afternoon belongs to it.
        if h.case_id and h.kind in HOLDS and _day(received(h), config) <= _day(now, config) \
                and not (h.kind == ANSWER and h.answer == "yes"):
            mine.setdefault(h.case_id, []).append(h)
    bounced = {address_key(h.message["bounce"]["recipient"]): h for hs in mine.values() for h in hs
               if h.kind == BOUNCE and "@" in h.message["bounce"].get("recipient", "")}
    out = []
    for f in followups:
        out.append(_changed(f, mine.get(f.case.id, []), bounced, histories.get(f.key, History()), config))
    by_id = {f.case.id: f.case for f in followups}
    # One call-back a day per case, for the latest of what called for it that day: a customer who writes
    # "Not yet" and then the reason is one call.
    calls: dict[str, Heard] = {}
    for case_id, hs in mine.items():
        for h in sorted(hs, key=received):
            if (unhappy(h) or h.kind == BOUNCE) and case_id in by_id:
                calls[key_for(case_id, CALL_BACK, received(h).date())] = h
    for h in calls.values():
        out.append(_call_back(by_id[h.case_id], h, histories, config, now))
    return out


def _changed(f: Followup, mine: list[Heard], bounced: dict[str, Heard], history: History, config: Config) -> Followup:
    bounce = next((h for h in mine if h.kind == BOUNCE and h.key == f.key), None)
    if bounce is not None and f.state in ("sent", "check"):
        b = bounce.message["bounce"]
        return replace(f, state="failed", when=received(bounce), detail=b.get("diagnostic", ""), reason=(
            f"bounced on {format_date(received(bounce).date())}: {b['words']} ({b['status']}). A person calls them "
            f"(the call-back task), and fixes the address in the case file"))
    if f.is_task or f.state in SETTLED:
        return f
    after = [h for h in mine if f.case.resolved and received(h).date() >= f.case.resolved]
    released = [datetime.fromisoformat(e["ts"]) for e in history.events if e["ev"] == "released"]
    latest = max(after, key=received, default=None)
    if latest is not None and not any(moment > received(latest) for moment in released):
        said = f": \"{first_line(latest)}\"" if first_line(latest) else ""
        what = "the email bounced" if latest.kind == BOUNCE else "the customer wrote"
        return replace(f, state="held", when=None, detail="", reason=(
            f"held: {what} on {format_date(received(latest).date())}{said}. Read it and answer them; then send "
            f"this anyway: python build.py release {f.case.id} {f.kind}; or mark it handled: python build.py done "
            f"{f.case.id} {f.kind}"))
    address = address_key(f.case.customer.email) if f.case.customer.email else ""
    if address in bounced:
        b = bounced[address]
        return replace(f, state="blocked", when=None, detail="", reason=(
            f"blocked: mail to {f.case.customer.email} bounced on {format_date(received(b).date())} "
            f"({b.message['bounce']['words']}); give the case another address"))
    return f


def _call_back(case: Case, h: Heard, histories: dict[str, History], config: Config, now: datetime) -> Followup:
    """The task of calling back a customer who is not satisfied, or whose email bounced: by the end of the next
    business day, and by the case's owner if it names one."""
    came = received(h)
    key = key_for(case.id, CALL_BACK, came.date())
    by = days_after(came, 1, True, config, config.timezone)
    medium = "call" if case.customer.phone or not case.customer.address else "letter"
    who = f"{case.owner}: " if case.owner else ""
    if h.kind == BOUNCE:
        why = f"the email bounced on {format_date(came.date())} ({h.message['bounce']['words']})"
    else:
        answer = f"\"{h.answer.capitalize()}\"" if h.answer else f"a score of {h.score}" if h.score else "not a clear yes"
        why = f"they answered {answer} on {format_date(came.date())}" + (f": \"{first_line(h)}\"" if first_line(h) else "")
    done = histories.get(key, History()).last
    if done and done["ev"] == "done":
        return Followup(case, CALL_BACK, medium, key, "done", "marked done by a person", came,
                        when=datetime.fromisoformat(done["ts"]))
    late = " (late)" if now > by else ""
    act = "call them" if medium == "call" else "write to them by post"
    return Followup(case, CALL_BACK, medium, key, "due", (
        f"{who}{act} by {format_date(by.date())} {by:%H:%M}{late}: {why}. Listen, ask what would make it right, "
        f"then note it in the case file as a contact and mark this done: python build.py done {case.id} {CALL_BACK}"),
        came, detail=h.message.get("id", ""))

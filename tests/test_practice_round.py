"""The round the practice describes, and messages that fit the case (issue 20).

Every case here is a file as a user would write it, in the sample project (its amends.yaml holds the
default round: one follow-up email and a call, the gift card after it, a check-in a week later). What a
customer would read is taken from the follow-ups as `send` renders them, or from the messages a send
pass wrote to the outbox.
"""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from amends.cases.config import load_config
from amends.followups.ledger import key_for
from amends.followups.messages import approval_reason
from amends.followups.review import review
from amends.followups.send import record, send_pass

from conftest import CLASSIC_PLAN_YAML, REPO, write_case

BERLIN = ZoneInfo("Europe/Berlin")
# Resolved Mon 16 November 2026: the follow-up and the call are due Thu 19 November at 09:00, the gift
# card a minute after the follow-up, the check-in Thu 26 November.
DUE = datetime(2026, 11, 19, 10, 0, tzinfo=BERLIN)
CHECKIN = datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN)
# Words for trouble, not harm: never in a high or critical case.
LIGHT = ["trouble", "inconvenience", "patience", "loyalty", "how we are doing", "enjoy it", "Ärger", "Geduld",
         "Unannehmlichkeit", "Mühe", "wie wir uns schlagen", "Viel Freude"]
# Words that admit a fault or promise reparation: never when the fault is unclear or the customer's.
REPARATION = {"en": ["make up for it", "put it right", "put things right", "our mistake", "our fault", "apolog"],
              "de": ["wiedergutmachung", "wiedergutzumachen", "in ordnung gebracht", "unser fehler", "entschuldigung"]}


def case_file(*, language: str = "en", fault: str = "ours", severity: str = "medium", about: bool = True,
              name: str = "Ann Example", salutation: str | None = "Ms Example", email: str = "ann@example.com",
              extra: str = "", customer_extra: str = "", given: str = "") -> str:
    texts = {
        "en": ("the gas smell in your kitchen", "A fitting on your boiler was loose after our visit.",
               "Our engineer came back that night and tightened and tested every joint.",
               "Every fitting is now checked with a leak spray before we leave."),
        "de": ("den Gasgeruch in Ihrer Küche", "Nach unserem Besuch war eine Verschraubung an Ihrer Therme locker.",
               "Unser Monteur kam noch in der Nacht und hat jede Verbindung nachgezogen und geprüft.",
               "Jede Verschraubung wird jetzt vor dem Gehen mit Lecksuchspray geprüft."),
    }[language]
    about_line = f"about: {texts[0]}\n" if about else ""
    greeting = f"  salutation: {salutation}\n" if salutation else ""
    name_line = f"  name: {name}\n" if name else ""
    return (f"---\ntitle: Zqx team label\ncustomer:\n{name_line}{greeting}  email: {email}\n  language: {language}\n"
            f"{customer_extra}channel: email\nopened: 2026-11-12\nresolved: 2026-11-16\nstatus: resolved\n"
            f"fault: {fault}\nseverity: {severity}\nowner: Priya Nair\n{about_line}"
            f"what_went_wrong: {texts[1]}\nhow_resolved: {texts[2]}\nprevention: {texts[3]}\n{given}{extra}---\nNotes.\n")


def rendered(root, now: datetime = DUE) -> dict[tuple[str, str], object]:
    """Every follow-up as `send` sees it, by (case id, kind)."""
    return {(p.followup.case.id, p.followup.kind): p for p in review(root, now).prepared}


def flat(text: str) -> str:
    return " ".join(text.split())


def outbox_texts(root) -> dict[str, tuple[str, str]]:
    """What the send passes wrote to the outbox, by ledger key: (subject, text)."""
    out = {}
    for line in (root / "outbox" / "ledger.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["ev"] == "sent":
            path = root / "outbox" / "messages" / (event["key"].replace("/", "--") + ".eml")
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            out[event["key"]] = (str(msg["Subject"]), flat(msg.get_body(preferencelist=("plain",)).get_content()))
    return out


def check(root) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-19",
                           "check"], capture_output=True, text=True, timeout=120)


# -- 1. gravity -----------------------------------------------------------------------

def test_a_critical_case_sends_nothing_before_approve_and_then_no_light_word(root):
    write_case(root, "gas.md", case_file(language="de", severity="critical", salutation="Frau Example", given=(
        "accommodation:\n  - kind: reimbursement\n    amount: 138\n    note: für Ihre Nacht im Hotel\n"
        "  - kind: gift-card\n    amount: 50\n    code: GAS-1\n    expires: 2027-11-30\n"), customer_extra='  phone: "+49 30 1234567"\n'))
    before = rendered(root)
    assert before[("gas", "followup")].followup.state == "approval"
    assert before[("gas", "followup")].followup.reason.startswith("severity critical: a person reads it first")
    assert before[("gas", "gift-card")].followup.reason == "waits for the followup, which waits for approval"
    assert send_pass(root, DUE).results == []
    # The check-in is a call a person makes: no automatic mail asks how we did.
    checkin = rendered(root, CHECKIN)[("gas", "checkin")]
    assert (checkin.followup.medium, checkin.followup.state) == ("call", "due")
    assert "Priya Nair (Inhaberin) ruft selbst an" in checkin.rendered.text

    record(root, DUE, "gas", "followup", "approve")
    send_pass(root, DUE)
    card = rendered(root, DUE.replace(minute=15))[("gas", "gift-card")].followup
    assert (card.state, card.reason.split(":")[0]) == ("approval", "severity critical")
    assert send_pass(root, DUE.replace(minute=15)).results == []
    record(root, DUE.replace(minute=15), "gas", "gift-card", "approve")
    send_pass(root, DUE.replace(minute=30))
    sent = outbox_texts(root)
    assert sorted(key.split("/")[1] for key in sent) == ["followup", "gift-card"]
    for subject, text in sent.values():
        for word in LIGHT:
            assert word.lower() not in (subject + text).lower(), (word, text)
        assert text.endswith("Priya Nair Inhaberin, Harbour Lane Bakery & Café"), text  # signed by a person
    followup = sent[key_for("gas", "followup", datetime(2026, 11, 16).date())][1]
    assert "wir bitten Sie aufrichtig um Entschuldigung für den Gasgeruch in Ihrer Küche" in followup
    assert "Die Kosten für Ihre Nacht im Hotel (138,00 €) haben wir übernommen." in followup


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("fault", ["ours", "shared", "unclear", "customer"])
@pytest.mark.parametrize("severity", ["high", "critical"])
def test_severe_cases_speak_of_harm_in_every_kind(root, language, fault, severity):
    (root / "amends.yaml").write_text((root / "amends.yaml").read_text(encoding="utf-8").replace(
        "  approve_first: [high, critical]", "  approve_first: []"), encoding="utf-8")
    write_case(root, "gas.md", case_file(language=language, fault=fault, severity=severity, given=(
        "accommodation:\n  - kind: refund\n    amount: 90\n  - kind: gift-card\n    amount: 50\n    code: GAS-1\n"
        "    expires: 2027-11-30\n")))
    # The kinds of the default round, and those of the plan before it.
    for plan in ("", CLASSIC_PLAN_YAML):
        if plan:
            text = (root / "amends.yaml").read_text(encoding="utf-8")
            start = text.index("  plan:")
            end = text.index("  send_window:")
            (root / "amends.yaml").write_text(text[:start] + plan + text[end:], encoding="utf-8")
        for moment in (DUE, CHECKIN):
            for (case_id, kind), item in rendered(root, moment).items():
                if item.rendered is None:
                    continue
                words = (item.rendered.subject + " " + item.rendered.text).lower()
                for word in LIGHT:
                    assert word.lower() not in words, (kind, word, item.rendered.text)
                if fault in ("unclear", "customer") and not item.followup.is_task:
                    for word in REPARATION[language]:
                        assert word not in words, (kind, word, item.rendered.text)


def test_approve_first_is_a_setting(root):
    write_case(root, "mild.md", case_file(severity="medium"))
    assert rendered(root)[("mild", "followup")].followup.state == "due"
    text = (root / "amends.yaml").read_text(encoding="utf-8")
    (root / "amends.yaml").write_text(text.replace("approve_first: [high, critical]", "approve_first: [medium]"),
                                      encoding="utf-8")
    assert rendered(root)[("mild", "followup")].followup.reason.startswith("severity medium: a person reads it first")


# -- 2. money owed, and what we did ------------------------------------------------------

def test_money_owed_reads_as_paid_and_what_we_did_in_its_own_words(root):
    write_case(root, "tap.md", case_file(fault="unclear", given=(
        "accommodation:\n  - kind: reimbursement\n    amount: 42\n    note: for your taxi home\n"
        "  - kind: replacement\n    amount: 45\n    note: a new cartridge for your tap\n"
        "  - kind: other\n    note: we have booked you the first appointment of the morning\n")))
    text = flat(rendered(root)[("tap", "followup")].rendered.text)
    assert ("We have paid the €42.00 for your taxi home. As a gesture of goodwill, we have also given you a new "
            "cartridge for your tap, free of charge (worth €45.00). We have booked you the first appointment of "
            "the morning.") in text
    assert "goodwill gesture worth" not in text and "small gesture" not in text


# -- 3. fault in every language --------------------------------------------------------

def test_an_unclear_german_case_with_a_reimbursement_promises_no_reparation(root):
    write_case(root, "taxi.md", case_file(language="de", fault="unclear", salutation="Frau Example", given=(
        "accommodation:\n  - kind: reimbursement\n    amount: 42\n    note: für Ihre Taxifahrt nach Hause\n"
        "  - kind: discount\n    amount: 10\n"), customer_extra='  phone: "+49 30 1234567"\n'))
    items = rendered(root)
    text = flat(items[("taxi", "followup")].rendered.text)
    for word in REPARATION["de"]:
        assert word not in text.lower(), word
    assert "Die Kosten für Ihre Taxifahrt nach Hause (42,00 €) haben wir übernommen." in text
    assert "Als Entgegenkommen haben wir Ihnen außerdem einen Rabatt von 10,00 € zukommen lassen." in text
    call = flat(items[("taxi", "call")].rendered.text)
    assert "Keine Schuld einräumen." in call and "entschuldigen" not in call


# -- 4. who is addressed -----------------------------------------------------------------

@pytest.mark.parametrize("language, greeting", [("en", "Dear Sir or Madam,"), ("de", "Sehr geehrte Damen und Herren,")])
def test_a_company_with_no_person_is_greeted_as_one(root, language, greeting):
    write_case(root, "co.md", case_file(language=language, name="", salutation=None, about=False,
                                        customer_extra="  company: Muster Hausverwaltung GmbH\n"))
    item = rendered(root)[("co", "followup")]
    assert item.rendered.text.splitlines()[0] == greeting
    assert "Muster" not in item.rendered.subject + item.rendered.text


def test_check_warns_about_a_company_named_as_a_person_and_a_german_greeting_without_salutation(root):
    write_case(root, "co.md", case_file(name="Muster Hausverwaltung GmbH", salutation=None))
    write_case(root, "de.md", case_file(language="de", name="Zoë Müller", salutation=None, email="zoe@example.com"))
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert ("cases/co.md:4: warning: 'Muster Hausverwaltung GmbH' looks like a company: put it under 'company:'"
            in result.stderr)
    assert "cases/de.md:3: warning: a German customer is greeted by 'salutation:'" in result.stderr
    # Such a name is not greeted as a person in the meantime.
    assert rendered(root)[("co", "followup")].rendered.text.startswith("Dear Sir or Madam,")


# -- 5. without `about` --------------------------------------------------------------------

@pytest.mark.parametrize("language, opening", [
    ("en", "Thank you for getting in touch with us on 12 November."),
    ("de", "vielen Dank, dass Sie sich am 12. November bei uns gemeldet haben."),
])
def test_a_customer_fault_case_without_about_reads_right(root, language, opening):
    write_case(root, "own.md", case_file(language=language, fault="customer", about=False))
    text = flat(rendered(root)[("own", "followup")].rendered.text)
    assert opening in text
    assert not re.search(r"told us about .* told us about|about the problem you", text), text


# -- 6. second rounds ----------------------------------------------------------------------

def test_a_case_resolved_again_after_a_reopen_says_so_and_check_warns_about_the_same_words(root):
    first = (case_file(customer_extra='  phone: "+49 30 1234567"\n').replace("resolved: 2026-11-16", "resolved: 2026-11-09")
             .replace("opened: 2026-11-12", "opened: 2026-11-02"))
    write_case(root, "tap.md", first)
    send_pass(root, datetime(2026, 11, 12, 10, 0, tzinfo=BERLIN))  # the first round's follow-up
    again = first.replace("resolved: 2026-11-09", "resolved: 2026-11-16")
    again = again.replace("---\nNotes.", "contacts:\n  - at: 2026-11-13 10:00\n    channel: phone\n    note: Gas smell again.\n"
                                        "---\nNotes.")
    write_case(root, "tap.md", again)
    items = rendered(root)
    text = flat(items[("tap", "followup")].rendered.text)
    assert "We are especially sorry that it went wrong again after our email of 12 November." in text
    assert "This is the second time" in flat(items[("tap", "call")].rendered.text)
    result = check(root)
    assert "cases/tap.md:17: warning: 'what_went_wrong' is word for word what the customer read" in result.stderr


# -- 7. third person -------------------------------------------------------------------------

def test_a_role_noun_holds_the_message_and_a_pronoun_only_warns(root):
    write_case(root, "role.md", case_file().replace(
        "what_went_wrong: A fitting", "what_went_wrong: The customer was told a fitting"))
    write_case(root, "she.md", case_file(email="bea@example.com").replace(
        "how_resolved: Our engineer came back", "how_resolved: She got a call from us that evening. Our engineer came back"))
    items = rendered(root)
    role = items[("role", "followup")].followup
    assert role.state == "approval"
    assert role.reason.startswith("'what_went_wrong' speaks of the customer as 'The customer': a person reads it first")
    assert items[("she", "followup")].followup.state == "due"
    result = check(root)
    assert "cases/she.md:17: warning: 'how_resolved' is read by the customer but speaks of them as 'She'" in result.stderr
    record(root, DUE, "role", "followup", "approve")
    assert rendered(root)[("role", "followup")].followup.state == "due"


# -- 8. the round, and a plan changed mid-round ---------------------------------------------

def test_the_round_is_one_email_and_a_call_then_the_gift_card_then_a_check_in(root):
    write_case(root, "tap.md", case_file(customer_extra='  phone: "+49 30 1234567"\n', given=(
        "accommodation:\n  - kind: gift-card\n    amount: 20\n    code: TAP-1\n    expires: 2027-11-30\n")))
    items = rendered(root)
    assert {kind: (item.followup.medium, item.followup.state) for (_, kind), item in items.items()} == {
        "followup": ("email", "due"), "call": ("call", "due"), "gift-card": ("email", "upcoming"),
        "checkin": ("email", "upcoming")}
    assert items[("tap", "call")].followup.due_at == items[("tap", "followup")].followup.due_at
    followup = flat(items[("tap", "followup")].rendered.text)
    for part in ("We are truly sorry about the gas smell", "We are sending you a gift card in a separate email.",
                 "What went wrong", "How we put it right", "Why it will not happen again",
                 "Thank you for your patience while we put things right"):
        assert part in followup, part
    send_pass(root, DUE)
    send_pass(root, DUE.replace(minute=15))
    send_pass(root, CHECKIN.replace(hour=11))  # a week after the gift card went
    sent = outbox_texts(root)
    assert [key.split("/")[1] for key in sent] == ["followup", "gift-card", "checkin"]
    assert "Has everything been put right to your satisfaction?" in sent["tap/checkin/2026-11-16"][1]


def test_a_project_switched_to_the_new_round_never_tells_a_customer_the_same_twice(root):
    """The ledger is written by the plan before (apology, gift card, explanation, thanks); then amends.yaml
    takes the new round. No customer gets a second message for what they already got."""
    new_round = (root / "amends.yaml").read_text(encoding="utf-8")
    start, end = new_round.index("  plan:"), new_round.index("  send_window:")
    (root / "amends.yaml").write_text(new_round[:start] + CLASSIC_PLAN_YAML + new_round[end:], encoding="utf-8")
    card = "accommodation:\n  - kind: gift-card\n    amount: 20\n    code: TAP-1\n    expires: 2027-11-30\n"
    # Resolved Mon 9 Nov: the whole old round goes (apology and gift card 11 Nov ... thanks 16 Nov).
    write_case(root, "early.md", case_file(given=card).replace("opened: 2026-11-12", "opened: 2026-11-02")
               .replace("resolved: 2026-11-16", "resolved: 2026-11-09"))
    # Resolved Mon 16 Nov: the apology and the gift card go on 18 Nov, then the plan changes.
    write_case(root, "middle.md", case_file(email="bob@example.com", given=card))
    passes = [datetime(2026, 11, day, hour, minute, tzinfo=BERLIN) for day in range(10, 31)
              for hour, minute in ((10, 0), (10, 30))]
    for moment in passes:
        if moment.day == 19 and moment.hour == 10 and moment.minute == 0:
            (root / "amends.yaml").write_text(new_round, encoding="utf-8")
            # A case resolved after the switch gets the new round.
            write_case(root, "fresh.md", case_file(email="cleo@example.com").replace("resolved: 2026-11-16",
                                                                                     "resolved: 2026-11-18"))
        send_pass(root, moment)
    sent = sorted(key.rsplit("/", 1)[0] for key in outbox_texts(root))
    # Bob had the apology and the gift card: the follow-up would say the apology again, so it stays
    # unsent (a person may release it); his check-in still asks, a week on, whether all is well.
    assert sent == ["early/apology", "early/explanation", "early/gift-card", "early/thanks",
                    "fresh/checkin", "fresh/followup", "middle/apology", "middle/checkin", "middle/gift-card"]
    items = rendered(root, passes[-1])
    kept = items[("middle", "followup")].followup
    assert kept.state == "skipped" and "not told the same twice: the apology of this round already went" in kept.reason
    assert "python build.py release middle followup" in kept.reason
    assert items[("early", "followup")].followup.state == "skipped"
    assert items[("early", "checkin")].followup.state == "skipped"  # the thanks asked already


# -- 9. promises -------------------------------------------------------------------------------

def test_the_check_in_waits_for_an_open_promise_and_names_it(root):
    promise = "promises:\n  - what: Send you the gas engineer's report\n    due: {due}\n"
    write_case(root, "open.md", case_file(extra=promise.format(due="2026-11-30")))
    write_case(root, "late.md", case_file(email="bob@example.com", extra=promise.format(due="2026-11-20")))
    send_pass(root, DUE)
    items = rendered(root, CHECKIN)
    waiting = items[("open", "checkin")].followup
    assert waiting.state == "upcoming"
    assert "waits for a promise to the customer to be kept: 'Send you the gas engineer's report'" in waiting.reason
    late = items[("late", "checkin")].followup
    assert late.state == "held" and "overdue since 20 Nov 2026" in late.reason


def test_a_call_sheet_names_each_open_promise_with_its_date(root):
    write_case(root, "open.md", case_file(customer_extra='  phone: "+49 30 1234567"\n', extra=(
        "promises:\n  - what: Send you the gas engineer's report\n    due: 2026-11-30\n"
        "  - what: Check the boiler again in spring\n    kept: true\n")))
    sheet = flat(rendered(root)[("open", "call")].rendered.text)
    assert "An open promise: Send you the gas engineer's report (due 30 November 2026)." in sheet
    assert "spring" not in sheet  # a kept promise is no talking point


# -- 11. gift cards and order --------------------------------------------------------------------

def test_the_follow_up_waits_while_its_gift_card_is_blocked(root):
    write_case(root, "card.md", case_file(given="accommodation:\n  - kind: gift-card\n    amount: 20\n"))
    items = rendered(root)
    assert items[("card", "gift-card")].followup.state == "blocked"
    followup = items[("card", "followup")].followup
    assert followup.state == "upcoming" and followup.reason.startswith("waits for the gift-card, which is blocked")
    assert "'expires' date" in check(root).stderr


# -- 14. form -------------------------------------------------------------------------------------

def test_subjects_name_the_matter(root):
    write_case(root, "about.md", case_file())
    write_case(root, "subject.md", case_file(email="bob@example.com", extra="subject: your order 4711\n"))
    write_case(root, "none.md", case_file(email="cleo@example.com", about=False, salutation=None, name="Cleo Third"))
    items = rendered(root)
    assert items[("about", "followup")].rendered.subject == "Our apology for the gas smell in your kitchen"
    assert items[("subject", "followup")].rendered.subject == "Your order 4711: our apology"
    assert items[("none", "followup")].rendered.subject == "Our apology, Cleo Third"


# -- what a review found: nothing told twice, nothing untrue -------------------------------

def test_a_message_marked_done_after_it_may_have_arrived_counts_as_told(root):
    """The apology may have arrived (the connection broke after DATA); a person confirmed it and marked it
    done. After the switch to the new round, the follow-up must not say the apology again."""
    write_case(root, "tap.md", case_file())
    key = key_for("tap", "apology", datetime(2026, 11, 16).date())
    (root / "outbox").mkdir()
    (root / "outbox" / "ledger.jsonl").write_text("".join(json.dumps(e) + "\n" for e in (
        {"v": 1, "ev": "attempt", "key": key, "ts": "2026-11-18T10:00:00+01:00", "transport": "outbox", "n": 1},
        {"v": 1, "ev": "data", "key": key, "ts": "2026-11-18T10:00:01+01:00", "transport": "outbox"},
        {"v": 1, "ev": "done", "key": key, "ts": "2026-11-18T15:00:00+01:00"})), encoding="utf-8")
    followup = rendered(root)[("tap", "followup")].followup
    assert followup.state == "skipped" and "the apology of this round already went on 18 Nov 2026" in followup.reason


@pytest.mark.parametrize("promise, why", [
    ("  - what: Send the report\n    kept: false\n", "broken (kept: false)"),
    ("  - what: Send the report\n", "with no due date"),
])
def test_a_broken_or_undated_promise_holds_the_check_in_for_a_person(root, promise, why):
    write_case(root, "p.md", case_file(extra="promises:\n" + promise))
    send_pass(root, DUE)
    checkin = rendered(root, CHECKIN)[("p", "checkin")].followup
    assert checkin.state == "held" and f"waits for a promise to the customer, {why}: 'Send the report'" in checkin.reason
    record(root, CHECKIN, "p", "checkin", "release")
    assert rendered(root, CHECKIN.replace(hour=11))[("p", "checkin")].followup.state == "due"


def test_a_severe_message_missed_while_it_waited_says_so(root):
    write_case(root, "gas.md", case_file(severity="critical"))
    followup = rendered(root, datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN))[("gas", "followup")].followup
    assert followup.state == "missed"
    assert followup.reason.startswith("not sent: it waited for approval (severity critical: a person reads it first)")


def test_skipping_the_apology_holds_the_follow_up_that_opens_with_it(root):
    write_case(root, "s.md", case_file(extra="followups:\n  skip: [apology]\n"))
    followup = rendered(root)[("s", "followup")].followup
    assert followup.state == "held" and "the case file says to skip the apology, and the followup says it too" in followup.reason


@pytest.mark.parametrize("text", [
    "Our customer service line was closed that evening.", "The guest room heating was off.",
    "The patient file had the wrong date.", "Wir prüfen jede Ware, bevor sie an die Kunden geht.",
    "Unsere Kunden bekommen jetzt eine SMS.",
])
def test_words_that_name_no_one_do_not_hold_the_message(root, text):
    write_case(root, "w.md", case_file().replace("prevention: Every fitting", f"prevention: {text} Every fitting"))
    assert rendered(root)[("w", "followup")].followup.state == "due"


def test_a_surname_that_is_also_a_noun_is_not_the_customer(root):
    write_case(root, "h.md", case_file(language="de", name="Peter Hahn", salutation="Herr Hahn").replace(
        "what_went_wrong: Nach unserem Besuch", "what_went_wrong: Der Hahn tropfte. Nach unserem Besuch"))
    assert rendered(root)[("h", "followup")].followup.state == "due"
    write_case(root, "h.md", case_file(language="de", name="Peter Hahn", salutation="Herr Hahn").replace(
        "what_went_wrong: Nach unserem Besuch", "what_went_wrong: Herr Hahn sagte uns, nach unserem Besuch"))
    assert rendered(root)[("h", "followup")].followup.state == "approval"


def test_a_role_noun_split_by_wrapping_still_holds(root):
    write_case(root, "r.md", case_file().replace("what_went_wrong: A fitting", "what_went_wrong: The patient's fitting"))
    item = rendered(root)[("r", "followup")]
    assert item.followup.state == "approval"
    # The same words with a line break inside them, as wrapping at some width puts it.
    text = item.rendered.text.replace("The patient", "The\npatient")
    split = dataclasses.replace(item.rendered, text=text)
    why = approval_reason(dataclasses.replace(item.followup, state="due"), split, load_config(root / "amends.yaml")[0])
    assert why and "'The patient'" in why


@pytest.mark.parametrize("name, greeting", [("Mehmet AS", "Dear Mehmet AS,"), ("Nordkai Shipping Ltd", "Dear Sir or Madam,")])
def test_only_a_sure_legal_form_stops_the_greeting_using_the_name(root, name, greeting):
    write_case(root, "n.md", case_file(name=name, salutation=None))
    assert rendered(root)[("n", "followup")].rendered.text.splitlines()[0] == greeting
    assert f"'{name}' looks like a company" in check(root).stderr


def test_a_ledger_key_with_a_day_that_does_not_exist_is_reported_on_its_line(root):
    write_case(root, "tap.md", case_file())
    (root / "outbox").mkdir()
    (root / "outbox" / "ledger.jsonl").write_text(json.dumps(
        {"v": 1, "ev": "sent", "key": "tap/apology/2026-11-31", "ts": "2026-11-18T10:00:00+01:00",
         "transport": "outbox"}) + "\n", encoding="utf-8")
    result = check(root)
    assert "Traceback" not in result.stderr
    assert "outbox/ledger.jsonl:1: 'key' should be CASE/KIND/RESOLVED-DATE, not \"tap/apology/2026-11-31\"" in result.stderr

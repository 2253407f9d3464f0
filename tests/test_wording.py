"""What the customer reads: every shipped follow-up, in every shipped language, for every fault.

The messages are rendered with the real templates in templates/email/ and read
as a customer would: the team's title never shows, a customer-caused problem is
never admitted as ours, what was given back reads as a sentence, and the HTML
part says what the text part says.
"""
from __future__ import annotations

import dataclasses
import itertools
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from zoneinfo import ZoneInfo

from amends.cases.config import DEFAULT_PLAN, Config
from amends.cases.validate import spoken_of
from amends.followups import plan
from amends.followups.ledger import key_for
from amends.followups.mail import paragraphs
from amends.followups.messages import Rendered, render, template_set, warnings
from amends.model import ACCOMMODATION_KINDS, FAULTS, Accommodation, Case, Customer
from amends.templating import make_env

from conftest import CLASSIC_PLAN, CLASSIC_PLAN_YAML, REPO, write_case

TEMPLATES = REPO / "templates" / "email"
ENV = make_env(TEMPLATES)
LANGUAGES = ["en"] + sorted(p.parent.name for p in TEMPLATES.glob("*/apology.txt"))
# Every shipped email kind: the default round's, and the kinds of the plan before it.
TASKS = ["letter", "call", "social"]
STEPS = {step.kind: step for step in DEFAULT_PLAN + CLASSIC_PLAN if step.kind not in TASKS}
EMAIL_KINDS = list(STEPS)
TITLE = "Zqx team label croissant"  # the team's title: it must never reach the customer
CONFIG = dataclasses.replace(
    Config(), timezone="Europe/Berlin", business_email="care@shop.example.com", business_name="Harbour Lane Bakery",
    business_phone="+49 40 555 0142", business_address="Harbour Lane 3\n20457 Hamburg",
    signature="Ana and Tom", signatures=(("en", "Ana and Tom"), ("de", "Ana und Tom")))

# Per language: what the case gives in the customer's words, and the phrases that admit a fault.
ABOUT = {"en": "the late delivery of your wedding cake", "de": "die verspätete Lieferung Ihrer Hochzeitstorte"}
SALUTATION = {"en": "Ms Example", "de": "Frau Example"}
TEXTS = {
    "en": ("The address on your order read 14 instead of 41.", "We drove the cake over the same evening.",
           "Our checkout now asks you to confirm the address."),
    "de": ("Auf Ihrer Bestellung stand Hausnummer 14 statt 41.", "Wir haben die Torte noch am selben Abend gebracht.",
           "Unsere Kasse bittet Sie jetzt, die Anschrift zu bestätigen."),
}
ADMISSIONS = {
    "en": ["we let you down", "our mistake", "our fault", "will not happen again", "we got it wrong",
           "our part", "should not have happened", "what went wrong", "apolog"],
    "de": ["unser fehler", "unsere schuld", "nicht wieder vorkommt", "nicht wieder vorkommen", "unser anteil",
           "unserem anteil", "lag bei uns", "schiefgelaufen", "entschuldigung"],
}
CLOSINGS = {"en": ("With our apologies,", "Kind regards,", "With best wishes,", "Warm regards,"),
            "de": ("Mit der Bitte um Entschuldigung", "Mit freundlichen Grüßen", "Herzliche Grüße")}
GIVEN_STARTS = {"en": {"To", "As"}, "de": {"Als"}}
# Internal names and signs of a template gone wrong.
FORBIDDEN = ["gift-card", "in-person", "what_went_wrong", "how_resolved", "None", "{{", "{%", "[]", "()"]
SENT_AT = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
assert set(LANGUAGES) >= {"en", "de"} and set(LANGUAGES) <= set(ABOUT), "a new language set needs test data here"


def make_case(language: str, fault: str | None, about: bool, salutation: bool, **changes) -> Case:
    wrong, resolved, prevention = TEXTS[language]
    values = dict(
        id="c1", path="cases/c1.md", title=TITLE, channel="letter", opened=date(2026, 3, 2), status="resolved",
        resolved=date(2026, 3, 6), fault=fault, about=ABOUT[language] if about else None,
        customer=Customer(name="Ann Example", email="ann@example.com", language=language,
                          salutation=SALUTATION[language] if salutation else None, address="1 Quay Street\nCork"),
        what_went_wrong=wrong, how_resolved=resolved, prevention=prevention,
        accommodation=(Accommodation("refund", Decimal("12.50"), "EUR"),
                       Accommodation("gift-card", Decimal("20"), "EUR", code="CAKE-2026", expires=date(2027, 3, 31))),
    )
    values.update(changes)
    # As a check of the case file makes it: with where its texts speak of the customer.
    case = Case(**values)
    return dataclasses.replace(case, spoken=tuple(spoken_of(case)))


def render_kind(case: Case, kind: str) -> Rendered:
    step = STEPS.get(kind)
    followup = plan.Followup(case, kind, "email" if step else kind, key_for(case.id, kind, case.resolved), "due",
                             "due now", SENT_AT, step)
    result = render(followup, CONFIG, ENV)
    assert isinstance(result, Rendered), (kind, result)
    return result


def flat(text: str) -> str:
    return " ".join(text.split())


def html_text(html: str) -> str:
    soup = BeautifulSoup(html, "html5lib")
    for br in soup.find_all("br"):
        br.replace_with(" ")
    return flat(" ".join(p.get_text(" ") for p in soup.find_all(["h2", "p", "li"])))


def assert_reads_well(words: str, where: str) -> None:
    without_links = re.sub(r"https?://\S+", "URL", words)
    for fragment in FORBIDDEN:
        assert fragment not in without_links, f"{where}: {fragment!r} in {words!r}"
    assert not re.search(r"\S  +\S", without_links), f"{where}: a doubled space in {words!r}"
    assert not re.search(r"[.,;:!?]\s*[.,;:!?]", without_links), f"{where}: doubled punctuation in {words!r}"
    assert not re.search(r"\s[.,;:!?]", without_links), f"{where}: a space before punctuation in {words!r}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("fault", [*FAULTS, None])
def test_every_follow_up_reads_well_for_every_fault(language, fault):
    # A company with no person named is greeted as one; a critical case in words of harm.
    for about, salutation, severity, company in itertools.product((True, False), (True, False), ("low", "critical"),
                                                                   (False, True)):
        if company and salutation:
            continue
        case = make_case(language, fault, about, salutation, severity=severity)
        if company:
            case = dataclasses.replace(case, customer=dataclasses.replace(
                case.customer, name="Muster Hausverwaltung GmbH", company="Muster Hausverwaltung GmbH"))
        for kind in EMAIL_KINDS + TASKS:
            r = render_kind(case, kind)
            where = f"{language}/{kind}, fault {fault}, about {about}, salutation {salutation}, {severity}, company {company}"
            everything = "\n".join((r.subject, r.text, r.html))
            assert TITLE.lower() not in everything.lower(), f"{where}: the title reached the customer"
            for part in (r.subject, r.text):
                assert_reads_well(part, where)
            assert_reads_well(html_text(r.html), where + " (HTML)")
            if kind in EMAIL_KINDS + ["letter"]:
                parts = paragraphs(r.text)
                assert len(parts[0]) == 1 and parts[0][0].endswith(","), f"{where}: the greeting is not a line of its own"
                assert parts[-1][0] in CLOSINGS[language], f"{where}: no closing paragraph: {parts[-1]}"
                starts = {p[0].split()[0] for p in parts}
                if kind in ("apology", "followup", "letter"):
                    assert starts & GIVEN_STARTS[language], f"{where}: what was given back is not a paragraph of its own"
            if kind in EMAIL_KINDS:
                assert html_text(r.html) == flat(r.text), f"{where}: the HTML part says something else"
                assert template_set(ENV, kind, language)[0] == language
                greeting = (SALUTATION[language] if salutation else {"en": "Dear Sir or Madam,", "de": "Sehr geehrte Damen "
                            "und Herren,"}[language] if company else "Ann Example")
                assert greeting in r.text.splitlines()[0], where
                assert "Muster" not in r.subject + r.text, f"{where}: a company greeted as a person"
            if about and kind in ("apology", "followup", "letter", "call"):
                assert ABOUT[language] in flat(r.text), f"{where}: 'about' is not used"
            if not about and kind in ("apology", "followup"):
                day = {"en": "2 March", "de": "2. März"}[language]
                assert day in flat(r.text), f"{where}: without 'about' the complaint is named by its date"
            if fault == "customer" and kind != "call":  # the call sheet tells the caller not to admit it
                lowered = flat(everything).lower()
                for phrase in ADMISSIONS[language]:
                    assert phrase not in lowered, f"{where}: {phrase!r} admits a fault that was not ours"


def test_unrecorded_fault_admits_nothing_either():
    """A case that does not say whose fault it was is written to as 'unclear': sorry, no admission."""
    for language in LANGUAGES:
        text = flat(render_kind(make_case(language, None, True, False), "apology").text).lower()
        assert not any(p in text for p in ADMISSIONS[language] if p != "apolog" and p != "entschuldigung"), text


def test_our_fault_is_owned_plainly():
    text = flat(render_kind(make_case("en", "ours", True, False), "apology").text)
    assert "It was our mistake" in text
    explanation = render_kind(make_case("en", "ours", True, False), "explanation").text
    assert "Why it will not happen again" in explanation
    customer = render_kind(make_case("en", "customer", True, False), "explanation").text
    assert "How to avoid it next time" in customer


# -- what was given back ------------------------------------------------------------

AMOUNT = {"en": "€12.50", "de": "12,50 €"}
ITEM_FORBIDDEN = ["a other", "given you discount", "a gift card card", "ein other", "einen Erstattung",
                  "eine Rabatt", " ,", "  "]


def given_cases():
    for language, kind, amount, note, count in itertools.product(
            LANGUAGES, ACCOMMODATION_KINDS, (True, False), (True, False), (1, 2, 3)):
        note_text = {"en": "for the delivery fee you paid", "de": "für die Liefergebühr"}[language]
        item = Accommodation(kind, Decimal("12.50") if amount else None, "EUR", note_text if note else None,
                             code="X-1" if kind == "gift-card" else None,
                             sent=date(2026, 3, 5) if kind == "gift-card" else None)
        others = [Accommodation("discount", Decimal("5"), "EUR"), Accommodation("replacement")][: count - 1]
        yield language, (item, *others), amount, note_text if note else None


@pytest.mark.parametrize("language, items, amount, note", list(given_cases()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_what_was_given_back_reads_as_a_sentence(language, items, amount, note):
    case = make_case(language, "ours", True, False, accommodation=items)
    text = flat(render_kind(case, "apology").text)
    # Costs paid back are money owed, said in a sentence of their own; the rest is "given".
    marker = ({"en": "We have paid", "de": "haben wir übernommen"} if items[0].kind == "reimbursement"
              else {"en": "we have given you", "de": "haben wir Ihnen"})[language]
    sentence = next(s for s in re.split(r"(?<=[.!?]) ", text) if marker in s)
    for fragment in ITEM_FORBIDDEN:
        assert fragment not in sentence, (fragment, sentence)
    assert_reads_well(sentence, sentence)
    assert not re.search(r"\b(of|worth|von|über)\s*([.,)]|$)", sentence), f"an amount is missing: {sentence}"
    assert (AMOUNT[language] in sentence) == amount, sentence
    if note:
        assert (note if items[0].kind == "reimbursement" else f"({note})") in sentence, sentence
    if items[0].kind == "reimbursement":
        assert not re.search(r"gift|goodwill|gesture|Aufmerksamkeit|Entgegenkommen|Wiedergutmachung", sentence), sentence
    else:  # several items: a natural list, "a, b and c"
        joiner = {"en": " and ", "de": " und "}[language]
        assert sentence.count(joiner) >= (len(items) > 1), sentence
    assert not re.search(r"\b(other|credit|refund|discount|replacement|gift-card)\b", sentence) or language == "en"


def test_a_gift_card_already_handed_over_gets_no_message_of_its_own():
    given = Accommodation("gift-card", Decimal("20"), "EUR", code="OLD-1", sent=date(2026, 3, 5))
    case = make_case("en", "ours", True, False, accommodation=(given,), channel="email")
    kinds = [f.kind for f in plan.case_followups(case, CONFIG, {}, SENT_AT, "outbox")]
    assert "gift-card" not in kinds and "followup" in kinds
    text = flat(render_kind(case, "followup").text)
    assert "we have given you a gift card worth €20.00." in text
    assert "separate email" not in text


def test_a_gift_card_with_neither_code_nor_link_is_blocked():
    card = Accommodation("gift-card", Decimal("20"), "EUR", note="for your next visit")
    case = make_case("en", "ours", True, False, accommodation=(card,))
    step = next(s for s in DEFAULT_PLAN if s.kind == "gift-card")
    followup = plan.Followup(case, "gift-card", "email", "k", "due", "", SENT_AT, step)
    assert render(followup, CONFIG, ENV) == "the gift card has no code or url to send"
    with_link = dataclasses.replace(case, accommodation=(dataclasses.replace(card, url="https://shop.example.com/g/7"),))
    r = render_kind(with_link, "gift-card")
    assert "Use it here: https://shop.example.com/g/7" in r.text
    assert 'href="https://shop.example.com/g/7"' in r.html


def test_a_letter_waits_for_both_addresses():
    case = make_case("en", "ours", True, False, customer=Customer(name="Ann Example"))
    followup = plan.Followup(case, "letter", "letter", "k", "due", "", SENT_AT, None)
    assert "customer.address" in render(followup, CONFIG, ENV)
    no_sender = dataclasses.replace(CONFIG, business_address=None)
    assert "business.address" in render(dataclasses.replace(followup, case=make_case("en", "ours", True, False)),
                                        no_sender, ENV)


# -- warnings -----------------------------------------------------------------------

CASE = """\
---
title: Wrong address typed
customer:
  name: Tomás Ruiz
  email: tomas@example.com
  language: {language}
channel: email
opened: 2026-11-02
resolved: 2026-11-04
status: resolved
fault: customer
what_went_wrong: {wrong}
how_resolved: We sent the parcel again the next morning.
prevention: Our checkout now shows the address back to you before you pay.
---
The customer typed 14 instead of 41.
"""
CONFIG_TEXT = "business:\n  name: Harbour Lane\n  email: care@shop.example.com\n"


def check(root):
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-22",
                           "check"], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("wrong, named", [
    ("Tomás typed Havnegade 14 instead of 41.", "Tomás"),
    ("The parcel went to Havnegade 14, as Mr Ruiz typed.", "Ruiz"),
    ("The customer typed Havnegade 14 instead of 41.", "The customer"),
])
def test_check_warns_when_a_customer_text_speaks_of_the_customer(root, wrong, named):
    (root / "amends.yaml").write_text(CONFIG_TEXT, encoding="utf-8")
    write_case(root, "a.md", CASE.format(language="en", wrong=wrong))
    result = check(root)
    assert result.returncode == 0, result.stdout + result.stderr  # a warning changes nothing
    assert (f"cases/a.md:12: warning: 'what_went_wrong' is read by the customer but speaks of them as '{named}'"
            in result.stderr)
    assert "1 warning" in result.stdout


def test_no_warning_for_a_text_written_to_the_customer(root):
    (root / "amends.yaml").write_text(CONFIG_TEXT, encoding="utf-8")
    write_case(root, "a.md", CASE.format(language="en", wrong="You typed Havnegade 14 instead of 41."))
    result = check(root)
    assert result.returncode == 0 and "warning" not in result.stderr + result.stdout, result.stderr


def test_check_warns_about_a_language_with_no_templates_and_the_case_page_shows_it(root):
    (root / "amends.yaml").write_text(CONFIG_TEXT, encoding="utf-8")
    write_case(root, "a.md", CASE.format(language="da", wrong="You typed Havnegade 14 instead of 41."))
    result = check(root)
    assert result.returncode == 0, result.stderr
    assert ("cases/a.md:6: warning: no templates for 'da'; this customer will be written to in English"
            in result.stderr.splitlines())
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-22"],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    page = BeautifulSoup((root / "site" / "cases" / "a.html").read_text(encoding="utf-8"), "html5lib")
    note = page.find(class_="warnings")
    assert note is not None and "Line 6: no templates for 'da'" in flat(note.get_text(" "))


def test_warnings_name_the_lines_of_notes_too():
    case = make_case("en", "ours", True, False, accommodation=(
        Accommodation("refund", None, "EUR", "Refunded to Ann after the call"),), lines=(("accommodation[1].note", 21),))
    found = warnings(case, ENV)
    assert [(w.line, w.field, w.warning) for w in found] == [(21, "accommodation[1].note", True)]
    assert str(found[0]).startswith("cases/c1.md:21: warning: 'accommodation[1].note'")


# -- tasks on the site ----------------------------------------------------------------

TASK_CASE = """\
---
title: {title}
customer:
  name: Tomás Ruiz
  email: tomas@example.com
  phone: "+45 31 42 77 10"
channel: {channel}
opened: 2026-11-16
resolved: 2026-11-18
status: resolved
fault: {fault}
about: the parcel that went to the wrong house number
what_went_wrong: The address on your order read Havnegade 14 instead of 41.
how_resolved: We sent the parcel again the next morning.
prevention: Our checkout now shows the address back to you before you pay.
{extra}
---
Team notes.
"""


def test_call_sheets_and_public_answers_follow_the_fault_on_the_follow_ups_page(root):
    # The plan before the practice's round: a call only for the phone complaint, not for the post too.
    (root / "amends.yaml").write_text(CONFIG_TEXT + "timezone: Europe/Berlin\nfollowups:\n" + CLASSIC_PLAN_YAML,
                                      encoding="utf-8")
    write_case(root, "call.md", TASK_CASE.format(title="Team label call", channel="phone", fault="customer", extra=""))
    write_case(root, "post.md", TASK_CASE.format(title="Team label post", channel="social", fault="ours",
                                                 extra="source_url: https://social.example.com/p/123"))
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-20"],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    page = BeautifulSoup((root / "site" / "followups.html").read_text(encoding="utf-8"), "html5lib")
    tasks = {flat(li.find("strong").get_text()): li for li in page.select("ul.tasks > li")}
    assert set(tasks) == {"Call Tomás Ruiz on +45 31 42 77 10", "Answer Tomás Ruiz where they posted"}
    call = flat(tasks["Call Tomás Ruiz on +45 31 42 77 10"].find(class_="talking-points").get_text(" "))
    assert "Thank them for telling us about the parcel that went to the wrong house number" in call
    assert "Do not say it was our mistake." in call
    assert "A tip for next time: Our checkout now shows the address back to you before you pay." in call
    post = tasks["Answer Tomás Ruiz where they posted"]
    answer = flat(post.find(class_="talking-points").get_text(" "))
    # The post's address is shown, not linked: the site links to nothing outside itself.
    assert "Answer under their post (https://social.example.com/p/123)" in answer and not post.find("a", href=re.compile("^http"))
    assert '"Hi Tomás Ruiz, we are sorry about this, and thank you for telling us.' in answer
    assert "Team label" not in call + answer

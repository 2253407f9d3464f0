"""Follow-up messages: rendering with the real templates, building, approval."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import json
import shutil
from datetime import date, datetime
from decimal import Decimal

import pytest
from zoneinfo import ZoneInfo

from amends.cases.config import Config, Step
from amends.followups import ledger, plan
from amends.followups.ledger import key_for
from amends.followups.messages import Rendered, build, context, message_id, prepare, render, template_set
from amends.followups.window import due_time
from amends.model import Accommodation, Case, Customer
from amends.templating import make_env

from conftest import CLASSIC_PLAN, REPO

TZ = ZoneInfo("Europe/Berlin")
TEMPLATES = REPO / "templates" / "email"
ENV = make_env(TEMPLATES)
CONFIG = dataclasses.replace(Config(), plan=CLASSIC_PLAN, timezone="Europe/Berlin", business_email="care@shop.example.com",
                             business_name="Harbour Lane Bakery & Café", business_phone="+49 40 555 0142",
                             signature="Ana and Tom\nHarbour Lane Bakery")
STEPS = {step.kind: step for step in CLASSIC_PLAN}
KINDS = ("apology", "gift-card", "explanation", "thanks")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
GIFT_NOTE = "for your next visit"
GIFT_CODE = "CAKE-2026-XYZ"


def make_case(**changes) -> Case:
    values = dict(
        id="c1", path="cases/c1.md", title="Cake delivered late",
        customer=Customer(name="Ann Example", email="ann@example.com"),
        channel="email", opened=date(2026, 3, 2), status="resolved", resolved=date(2026, 3, 6), fault="ours",
        what_went_wrong="The delivery van broke down on the way.",
        how_resolved="We baked a new cake and drove it over ourselves.",
        prevention="A spare van is now on standby for every delivery day.",
        accommodation=(Accommodation("refund", Decimal("12.50"), "EUR", "Delivery fee"),
                       Accommodation("gift-card", Decimal("20.00"), "EUR", GIFT_NOTE, code=GIFT_CODE,
                                     expires=date(2027, 3, 31))),
    )
    values.update(changes)
    return Case(**values)


def followup(case: Case, kind: str, config: Config = CONFIG, state: str = "due") -> plan.Followup:
    step = next(s for s in config.plan if s.kind == kind)
    return plan.Followup(case, kind, "email", key_for(case.id, kind, case.resolved), state, "due now",
                         due_time(case, step, config), step)


def rendered(case: Case, kind: str, env=ENV, config: Config = CONFIG) -> Rendered:
    result = render(followup(case, kind, config), config, env)
    assert isinstance(result, Rendered), result
    return result


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def header_lines(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


# --------------------------------------------------------------------------
# context
# --------------------------------------------------------------------------
def test_context_leaves_absent_fields_out_and_separates_gift_cards():
    values = context(make_case(), CONFIG, "apology")
    assert "company" not in values["customer"]
    assert values["customer"] == {"name": "Ann Example", "email": "ann@example.com", "greeting": "Ann Example"}
    assert "title" not in values["case"]  # the team's label is never given to a follow-up
    assert [g["kind"] for g in values["given"]] == ["refund"]
    assert [g["note"] for g in values["gift_cards"]] == [GIFT_NOTE]
    assert values["gift_card_follows"] is True
    no_card_step = dataclasses.replace(CONFIG, plan=tuple(s for s in CLASSIC_PLAN if s.kind != "gift-card"))
    assert context(make_case(), no_card_step, "apology")["gift_card_follows"] is False
    assert "prevention" not in context(make_case(prevention=None), CONFIG, "explanation")["case"]


# --------------------------------------------------------------------------
# render
# --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_render_each_kind(kind):
    r = rendered(make_case(), kind)
    assert "Ann Example" in r.text
    assert "Ann Example" in r.html
    assert r.subject and "\n" not in r.subject and "\r" not in r.subject and r.subject == r.subject.strip()
    for part in (r.subject, r.text, r.html):
        assert "None" not in part
        assert "{{" not in part and "{%" not in part and "}}" not in part
    assert "<br" not in r.text
    html = r.html.lower()
    assert "http" not in html
    assert "src=" not in html
    assert "<script" not in html
    assert r.to_name == "Ann Example"
    assert r.to_addr == "ann@example.com"
    assert "Ana and Tom" in r.text  # the signature


def test_render_subjects():
    case = make_case()
    assert rendered(case, "apology").subject == "Our apology, Ann Example"
    assert rendered(case, "thanks").subject == "Thank you for bearing with us, Ann Example"
    assert rendered(case, "gift-card").subject == "Your gift card from Harbour Lane Bakery & Café"
    assert rendered(case, "explanation").subject == "What went wrong, and what we have changed"


def test_explanation_without_prevention_is_blocked_apology_still_renders():
    case = make_case(prevention=None)
    reason = render(followup(case, "explanation"), CONFIG, ENV)
    assert isinstance(reason, str)
    assert "'prevention'" in reason
    assert isinstance(render(followup(case, "apology"), CONFIG, ENV), Rendered)

    prepared = prepare([followup(case, "explanation"), followup(case, "apology")], {}, lambda f: render(f, CONFIG, ENV), CONFIG)
    assert prepared[0].followup.state == "blocked"
    assert "'prevention'" in prepared[0].followup.reason
    assert prepared[0].rendered is None
    assert prepared[1].followup.state == "due"
    assert prepared[1].rendered is not None


def test_german_template_set():
    case = make_case(customer=Customer(name="Zoë Müller", email="zoe@example.com", language="de"))
    assert template_set(ENV, "apology", "de") == ("de", "de/apology")
    assert template_set(ENV, "apology", "de-AT") == ("de", "de/apology")
    r = rendered(case, "apology")
    assert r.subject == "Unsere Entschuldigung, Zoë Müller"
    assert "Guten Tag, Zoë Müller," in r.text
    assert rendered(case, "explanation").subject == "Was schiefgelaufen ist und was wir geändert haben"


def test_language_without_a_set_falls_back_to_english():
    case = make_case(customer=Customer(name="Ann Example", email="ann@example.com", language="fr"))
    assert template_set(ENV, "apology", "fr") == ("en", "apology")
    r = rendered(case, "apology")
    assert r.subject == "Our apology, Ann Example"
    assert "Dear Ann Example" in r.text


def test_html_is_escaped_text_is_literal():
    nasty = "<b>bold</b> & <script>"
    case = make_case(what_went_wrong=nasty, about=nasty)
    for kind in ("apology", "explanation"):
        r = rendered(case, kind)
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in r.html, kind
        assert "<b>bold" not in r.html and "<script" not in r.html
        assert nasty in r.text, kind


def test_gift_card_note_only_in_gift_card_message():
    case = make_case()
    apology = rendered(case, "apology")
    assert GIFT_CODE not in apology.text
    assert GIFT_CODE not in apology.html
    assert "gift card in a separate email" in " ".join(apology.text.split())
    assert "Delivery fee" in apology.text  # the refund is in the apology
    card = rendered(case, "gift-card")
    for part in (card.text, card.html):
        assert GIFT_NOTE in part and f"Code: {GIFT_CODE}" in part and "Valid until 31 March 2027" in part
    assert "Gift card worth €20.00" in card.text


def test_render_refuses_multi_line_subject_template(tmp_path):
    templates = tmp_path / "email"
    shutil.copytree(TEMPLATES, templates)
    (templates / "apology.subject.txt").write_text("We're sorry\nBcc: x@evil.example\n", encoding="utf-8")
    result = render(followup(make_case(), "apology"), CONFIG, make_env(templates))
    assert isinstance(result, str)
    assert "one line" in result


def test_render_refuses_name_with_line_break():
    case = make_case(customer=Customer(name="Ann\r\nBcc: x@evil.example", email="ann@example.com"))
    for kind in ("apology", "explanation"):
        assert isinstance(render(followup(case, kind), CONFIG, ENV), str), kind


def test_render_refuses_unusable_address():
    case = make_case(customer=Customer(name="Ann Example", email="not an address"))
    result = render(followup(case, "apology"), CONFIG, ENV)
    assert isinstance(result, str) and "address" in result


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
def test_build_multipart_alternative_that_parses_cleanly():
    r = rendered(make_case(), "apology")
    key = key_for("c1", "apology", date(2026, 3, 6))
    msg = build(r, key, CONFIG, NOW)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Date"] and msg["Message-ID"]

    back = parse(msg.as_bytes())
    for part in back.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
    assert back.get_content_type() == "multipart/alternative"
    assert back["Message-ID"] == message_id(key, CONFIG)
    assert back["Date"].datetime == NOW
    assert back["Subject"] == r.subject
    assert back["From"].addresses[0].display_name == "Harbour Lane Bakery & Café"
    assert back["From"].addresses[0].addr_spec == "care@shop.example.com"
    assert back["To"].addresses[0].addr_spec == "ann@example.com"
    assert back["Reply-To"].addresses[0].addr_spec == "care@shop.example.com"
    other = dataclasses.replace(CONFIG, reply_to="hello@shop.example.com")
    assert parse(build(r, key, other, NOW).as_bytes())["Reply-To"].addresses[0].addr_spec == "hello@shop.example.com"
    plain, html = list(back.iter_parts())
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == r.text.rstrip("\n")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == r.html.rstrip("\n")


def test_build_non_ascii_name_is_encoded():
    case = make_case(customer=Customer(name="Zoë Müller", email="zoe@example.com", language="de"))
    r = rendered(case, "apology")
    data = build(r, key_for("c1", "apology", date(2026, 3, 6)), CONFIG, NOW).as_bytes()
    head = b"\r\n".join(header_lines(data))
    head.decode("ascii")  # raises if a header is not encoded
    assert b"=?utf-8?" in head.lower()
    back = parse(data)
    for part in back.walk():
        assert not part.defects
    assert back["To"].addresses[0].display_name == "Zoë Müller"
    assert back["To"].addresses[0].addr_spec == "zoe@example.com"
    assert back["Subject"] == "Unsere Entschuldigung, Zoë Müller"
    plain = next(p for p in back.walk() if p.get_content_type() == "text/plain")
    assert "Mit der Bitte um Entschuldigung" in plain.get_content()


def test_message_id_unique_per_key_and_stable():
    a = key_for("c1", "apology", date(2026, 3, 6))
    b = key_for("c1", "thanks", date(2026, 3, 6))
    c = key_for("c1", "apology", date(2026, 3, 20))
    assert message_id(a, CONFIG) == message_id(a, CONFIG)
    assert len({message_id(a, CONFIG), message_id(b, CONFIG), message_id(c, CONFIG)}) == 3
    mid = message_id(a, CONFIG)
    assert mid.startswith("<") and mid.endswith("@shop.example.com>")
    assert " " not in mid and "/" not in mid
    r = rendered(make_case(), "apology")
    first = build(r, a, CONFIG, NOW)
    retry = build(r, a, CONFIG, datetime(2026, 3, 10, 10, 20, tzinfo=TZ))
    assert first["Message-ID"] == retry["Message-ID"] == mid


def test_idn_address_sent_to_ascii_form():
    case = make_case(customer=Customer(name="Zoë Müller", email="zoe@bücher.example"))
    r = rendered(case, "apology")
    assert r.to_addr == "zoe@xn--bcher-kva.example"
    data = build(r, key_for("c1", "apology", date(2026, 3, 6)), CONFIG, NOW).as_bytes()
    to_line = [line for line in header_lines(data) if line.lower().startswith(b"to:")]
    assert len(to_line) == 1 and b"zoe@xn--bcher-kva.example" in to_line[0]
    assert "bücher".encode() not in data
    assert parse(data)["To"].addresses[0].addr_spec == "zoe@xn--bcher-kva.example"


INJECTION = "\r\nBcc: x@evil.example"


@pytest.mark.parametrize("field", ["subject", "to_name"])
def test_header_injection_cannot_add_a_header(field):
    good = rendered(make_case(), "apology")
    bad = dataclasses.replace(good, **{field: getattr(good, field) + INJECTION})
    try:
        data = build(bad, key_for("c1", "apology", date(2026, 3, 6)), CONFIG, NOW).as_bytes()
    except Exception:  # refusing to build is a correct answer
        return
    assert not any(line.lower().startswith(b"bcc:") for line in data.split(b"\n")), data[:600]
    assert parse(data)["Bcc"] is None


# --------------------------------------------------------------------------
# prepare and approval
# --------------------------------------------------------------------------
APPROVAL = dataclasses.replace(CONFIG, plan=(Step("apology", 2, True, "apology", approval=True),
                                             Step("thanks", 7, False, "thanks")))


def planned(case: Case, events: list[dict], now: datetime = NOW) -> dict[str, object]:
    hist = ledger.histories(events)
    fs = plan.followups([case], APPROVAL, hist, now, "smtp")
    return {p.followup.kind: p for p in prepare(fs, hist, lambda f: render(f, APPROVAL, ENV), APPROVAL)}


def test_approval_required_until_digest_matches():
    case = make_case()
    key = key_for(case.id, "apology", case.resolved)
    waiting = planned(case, [])
    assert waiting["apology"].followup.state == "approval"
    assert "approve c1 apology" in waiting["apology"].followup.reason
    assert waiting["thanks"].followup.state == "upcoming"
    r = waiting["apology"].rendered
    assert r is not None
    assert r.digest == hashlib.sha256(json.dumps(dataclasses.astuple(r)).encode()).hexdigest()

    wrong = [ledger.event(key, "approved", NOW, sha256="0" * 64)]
    assert planned(case, wrong)["apology"].followup.state == "approval"

    approved = [ledger.event(key, "approved", NOW, sha256=r.digest)]
    ok = planned(case, approved)["apology"]
    assert ok.followup.state == "due"
    assert ok.rendered == r


def test_changed_text_after_approval_needs_approval_again():
    case = make_case()
    key = key_for(case.id, "apology", case.resolved)
    digest = planned(case, [])["apology"].rendered.digest
    approved = [ledger.event(key, "approved", NOW, sha256=digest)]
    changed = dataclasses.replace(case, about="the late delivery of your cake")
    again = planned(changed, approved)["apology"]
    assert again.followup.state == "approval"
    assert "text changed" in again.followup.reason
    assert again.rendered.digest != digest


def test_prepare_writes_task_sheets_and_leaves_the_finished_alone():
    case = make_case(channel="phone", customer=Customer(name="Ann Example", email="ann@example.com", phone="+49 40 1"))
    key = key_for(case.id, "apology", case.resolved)
    events = [ledger.event(key, "sent", NOW, transport="smtp", msgid="<m@x>")]
    got = planned(case, events, datetime(2026, 3, 10, 11, 0, tzinfo=TZ))
    assert got["apology"].followup.state == "sent" and got["apology"].rendered is None
    call = got["call"]
    assert call.followup.state == "due" and call.rendered.to_addr == ""  # a call sheet, not an email
    assert "- Greet Ann Example and say who you are." in call.rendered.text

"""Exactly one recipient, whatever the names hold: the To, From and Reply-To headers each name one address."""
from __future__ import annotations

import email
import email.policy
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from amends.cases.config import load_config
from amends.followups import messages
from amends.followups.messages import Rendered

from conftest import REPO

# What a customer's name may hold that a header parser could read as structure.
PIECES = (",", ", ", '"', "\\", "<", ">", "@", ";", ":", "(", ")", "[", "]", ".", "'", "=?", "?=", "=?utf-8?q?x?=",
          "attacker@evil.example", "<eve@evil.example>", '"Eve" <eve@evil.example>,', "Zoë", "Müller", "Ødegaard",
          "山田太郎", "😀", "ß", "\u00a0", "  ", " ", " ")
WORDS = ("Ann", "Example", "Bea", "van", "der", "Berg", "GmbH", "&", "Co.", "KG", "and", "a", "long", "tail")


def random_name(rng: random.Random) -> str:
    parts = [rng.choice(WORDS + PIECES) for _ in range(rng.randint(1, 12))]
    if rng.random() < 0.3:  # a long tail that makes the header fold
        parts += [rng.choice(WORDS) + rng.choice((" ", ", ", " ")) for _ in range(rng.randint(10, 40))]
    name = "".join(p if rng.random() < 0.5 else p + " " for p in parts).strip()
    return name or "Ann"


def to_addresses(data: bytes, field: str = "To"):
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    return parsed[field].addresses


def spaces_as_one(text: str) -> str:
    # Python's header parser reads a run of white space (a no-break space too) inside an encoded word as one space.
    return " ".join(text.split())


def test_generated_names_give_exactly_one_recipient():
    """Thousands of seeded random names: after build and a parse, To is the customer's one address, name intact."""
    config, _ = load_config(REPO / "amends.yaml")
    rng = random.Random(15)
    now = datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    wrong = []
    for n in range(2000):
        name = random_name(rng)
        rendered = Rendered("We are sorry", "Hello\n", "<p>Hello</p>\n", name, f"customer{n}@example.com")
        data = messages.build(rendered, f"c{n}/apology/2026-03-02", config, now).as_bytes()
        assert all(len(line) <= 998 for line in data.split(b"\r\n"))
        addresses = to_addresses(data)
        found = [(spaces_as_one(a.display_name), a.addr_spec) for a in addresses]
        if found != [(spaces_as_one(name), f"customer{n}@example.com")]:
            wrong.append((name, addresses))
    assert wrong == [], f"{len(wrong)} names changed the To header, e.g. {wrong[:3]}"


@pytest.mark.parametrize("business", [
    "Harbour Lane Bakery & Café", 'Smith, Jones & Co. <sales@evil.example>, "Eve"',
    "A very long business name, with commas, quotes \" and an @ sign, that goes on and on and on",
])
def test_from_and_reply_to_name_one_address_each(root, business):
    (root / "amends.yaml").write_text(
        f"business: {{name: '{business.replace(chr(39), chr(39) * 2)}', email: care@shop.example.com, "
        "reply_to: hello@shop.example.com}\n", encoding="utf-8")
    config, problems = load_config(root / "amends.yaml")
    assert problems == []
    rendered = Rendered("We are sorry", "Hello\n", "<p>Hello</p>\n", "Ann, eve@evil.example", "ann@example.com")
    data = messages.build(rendered, "c/apology/2026-03-02", config, datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("UTC"))).as_bytes()
    for field, address in (("From", "care@shop.example.com"), ("Reply-To", "hello@shop.example.com")):
        assert [(a.display_name, a.addr_spec) for a in to_addresses(data, field)] == [(business, address)]

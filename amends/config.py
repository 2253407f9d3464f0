"""The business settings in amends.yaml, with every default in one place."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .fields import Reader
from .model import Problem
from .yamlfile import parse_mapping

CONFIG_NAME = "amends.yaml"


@dataclass(frozen=True)
class Config:
    business_name: str = "Our business"
    business_email: str | None = None
    business_phone: str | None = None
    signature: str = "The team"
    currency: str = "EUR"
    timezone: str = "UTC"
    # An open case older than this many days is flagged in the report.
    attention_days: int = 14
    # The follow-up kinds a case's `followups` overrides may name.
    kinds: tuple[str, ...] = ("apology", "explanation", "thanks", "gift-card")


def load_config(path: Path) -> tuple[Config, list[Problem]]:
    """Read amends.yaml; a missing file means all defaults."""
    name = CONFIG_NAME
    if not path.exists():
        return Config(), []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Config(), [Problem(name, None, f"the file is not UTF-8 ({error.reason}); save it as UTF-8")]
    except OSError as error:
        return Config(), [Problem(name, None, f"cannot read the file: {error.strerror}")]
    if not text.strip():
        return Config(), []
    doc, problems = parse_mapping(text, name)
    if doc is None:
        return Config(), problems
    return read_config(Reader(doc, problems)), problems


def read_config(r: Reader) -> Config:
    """Build a Config from a parsed amends.yaml, defaults filling the gaps."""
    r.keys((), ["business", "currency", "timezone", "attention_days"])
    r.keys(("business",), ["name", "email", "phone", "signature"])
    defaults = Config()
    values = {
        "business_name": r.text(("business", "name")),
        "business_email": r.email(("business", "email")),
        "business_phone": r.text(("business", "phone")),
        "signature": r.text(("business", "signature"), multiline=True),
        "currency": r.currency(("currency",)),
        "timezone": r.timezone(("timezone",)),
        "attention_days": r.integer(("attention_days",), minimum=1),
    }
    return Config(**{key: value if value is not None else getattr(defaults, key) for key, value in values.items()})

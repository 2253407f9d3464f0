"""Whether what a case gives stays within what staff may give on their own for its severity
(amends.yaml guidelines:), and who approved it when it does not.

Reimbursements are left out: they pay back a cost the customer had, which is owed, not given.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from amends.cases.config import Config, Guideline
from amends.model import Accommodation
from amends.templating import format_money as money

OWED = "reimbursement"


@dataclass(frozen=True)
class Verdict:
    severity: str
    guideline: Guideline
    given: Decimal               # in the business currency, reimbursements left out
    over: tuple[str, ...] = ()   # why it is above the guideline, each in words; none: within it

    @property
    def within(self) -> bool:
        return not self.over


def either(kinds: tuple[str, ...]) -> str:
    """"discount, gift-card or replacement"."""
    return " or ".join(filter(None, (", ".join(kinds[:-1]), kinds[-1]))) if kinds else ""


def allowed(g: Guideline, currency: str) -> str:
    """The guideline in words: "at most 15.00 EUR; discount or gift-card only"."""
    amount = f"at most {money(g.max, currency)}" if g.max is not None else "any amount"
    return amount + (f"; {either(g.kinds)} only" if g.kinds else "")


def judge(severity: str | None, accommodation: tuple[Accommodation, ...], config: Config) -> Verdict | None:
    """What the guideline for `severity` says of these accommodations; None when amends.yaml sets none for it."""
    g = config.guideline(severity)
    if g is None or severity is None:
        return None
    given = [a for a in accommodation if a.kind != OWED]
    total = sum((a.amount for a in given if a.amount is not None and a.currency == config.currency), Decimal(0))
    over = []
    if g.max is not None and total > g.max:
        over.append(f"gives {money(total, config.currency)}, more than the {money(g.max, config.currency)} "
                    f"a {severity} case may get")
    for currency in sorted({a.currency for a in given if a.amount is not None and a.currency != config.currency}):
        over.append(f"gives an amount in {currency}, which the guideline (in {config.currency}) cannot weigh")
    wrong = [a.kind for a in given if g.kinds and a.kind not in g.kinds]
    if wrong:
        things = " and ".join("something else" if kind == "other" else f"a {kind}" for kind in dict.fromkeys(wrong))
        over.append(f"gives {things}, which a {severity} case may not get ({either(g.kinds)} only)")
    return Verdict(severity, g, total, tuple(over))

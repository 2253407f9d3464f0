"""Second chances, and what the guidelines say of each case: the checks that need the other cases too.

A customer recovered once and let down again soon after is on their second chance: the new case names the
earlier one, and weighs at least high (Case.weight) for the guidelines, the cadence and approval.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import replace

from amends.cases import guidelines
from amends.cases.config import Config
from amends.model import Case, Problem


def customer_of(case: Case) -> str:
    """One customer across cases: the same email, or the same name when no email is known."""
    return unicodedata.normalize("NFC", (case.customer.email or case.customer.name).casefold())


def second_chances(cases: list[Case], days: int) -> list[Case]:
    """The cases, each opened within `days` after the same customer's earlier case was resolved as
    recovered naming that case (the latest such) in second_chance_of."""
    recovered: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.status == "recovered" and case.resolved:
            recovered[customer_of(case)].append(case)
    out = []
    for case in cases:
        earlier = [c for c in recovered.get(customer_of(case), ()) if c.id != case.id
                   and c.resolved <= case.opened and (case.opened - c.resolved).days <= days]
        latest = max(earlier, key=lambda c: (c.resolved, c.id), default=None)
        out.append(replace(case, second_chance_of=latest.id) if latest else case)
    return out


def guideline_warnings(cases: list[Case], config: Config) -> list[Problem]:
    """A warning at the accommodation of each case that gives more than the guideline for its weight
    allows, with nobody named who agreed."""
    out = []
    for case in cases:
        verdict = guidelines.judge(case.weight, case.accommodation, config)
        if verdict and not verdict.within and not case.approved_by:
            second = f" (a second chance after {case.second_chance_of}: it counts as high)" if case.second_chance_of else ""
            out.append(Problem(case.path, dict(case.lines).get("accommodation"), (
                f"{'; '.join(verdict.over)}{second} (amends.yaml guidelines); if someone agreed, add approved_by: "
                "with their name"), "accommodation", warning=True))
    return out

"""What the pages about many cases show: the overview, the figures of a period, the lessons."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from amends.cases.config import CHECKIN_KINDS, Config
from amends.followups import hearing
from amends.followups.review import Review
from amends.model import ABUSIVE, Case, Promise
from amends.report import charts, figures, risk, views
from amends.report.aggregates import Aggregates


# Follow-up states someone must act on; "due" only for what falls due by today.
ATTENTION_STATES = ("due", "blocked", "missed", "failed", "check", "approval")


# The lessons page shows this many of each group's most recent cases; the group's page has them all.
LESSON_ROWS = 20


DAY_BINS = [(0, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, None)]


# The overview names the customers most at risk of leaving; their page has them all.
AT_RISK_ROWS = 5


# The overview lists at most this many of each thing to act on; "and 312 more" links to the page with them all.
OVERVIEW_ROWS = 50


def overview(state: Review, agg: Aggregates, as_of: date, at_risk: list[risk.AtRisk]) -> dict:
    """What to act on today, then the figures; `agg` holds the cases' aggregates (kept by difference), and
    `at_risk` the customers who may leave next (risk.at_risk)."""
    return {
        "figures": agg.figures(figures.period("all", as_of)), "per_status": agg.status_counts(),
        "case_count": len(agg.cases),
        "open_cases": agg.open_cases_by_age(as_of), "attention_days": state.project.config.attention_days,
        **promises(*agg.promises_to_watch(as_of), as_of), "overview_rows": OVERVIEW_ROWS,
        # A follow-up due later today is not yet something to chase.
        "followups_attention": agg.attention(ATTENTION_STATES, as_of),
        # Preventions that did not hold, while the case that repeats the trouble is still open: newest first.
        "repeats": agg.open_repeats(), "repeat_reason": views.repeat_reason,
        "tasks": agg.followups_in(["due"], task=True),
        # Customers who said all is not put right, or whose email bounced: first on the page.
        "call_backs": [i for i in agg.followups_in(["due"], task=True) if i.followup.kind == hearing.CALL_BACK],
        "loose_mail": len(hearing.loose(state.heard)),
        "period": period_figures(agg, "month", as_of),
        "recent": agg.newest(10),
        "out_of_touch": out_of_touch(state.project.cases, state.project.config, as_of),
        "at_risk": at_risk, "at_risk_rows": AT_RISK_ROWS,
    }


def out_of_touch(cases: list[Case], config: Config, as_of: date) -> list[tuple[Case, str]]:
    """The open cases whose customer has waited longer than the cadence for a word from us, longest first,
    each with why. From the cases as checked, not the kept aggregates: a second chance, which weighs on
    the cadence, comes from another case's file."""
    late = []
    for case in cases:
        t = views.touch(case, config.every(case.weight)) if config.cadence else None
        if t and t.late(as_of):
            late.append((t.due, case.id, case, t.words(as_of, case.weight)))
    return [(case, why) for _, _, case, why in sorted(late, key=lambda x: (x[0], x[1]))]


def promises(due: list[tuple[Case, Promise]], broken: list[tuple[Case, Promise]], as_of: date) -> dict:
    """The promises due by today and not kept, oldest first, then those broken (views.promises_to_watch);
    each with what the page says of it."""
    return {"promises_due": [(c, p, "overdue" if p.due < as_of else "due") for c, p in due],
            "promises_broken": [(c, p, "broken") for c, p in broken]}


def figures_page(agg: Aggregates, key: str, as_of: date, currency: str, asked: list[figures.Asked],
                 cases: list[Case], acquisition_cost: Decimal | None = None) -> dict:
    """A period's figures, the answers to its check-ins by team, what customers asked for beside what they
    were given, and its charts."""
    period = period_figures(agg, key, as_of)
    before = figures.previous(period["now"].period)
    period["answers"] = figures.answers(asked, period["now"].period)
    period["answers_before"] = figures.answers(asked, before) if before else []
    period["asked_and_given"] = figures.asked_and_given(cases, period["now"].period, currency)
    period["payback"] = figures.payback(cases, period["now"].period, currency, acquisition_cost)
    # Counted for staff safety: the cases opened in the period whose customer abused our staff.
    period["abusive"] = [sum(c.conduct == ABUSIVE and p.holds(c.opened) for c in cases) if p else None
                         for p in (period["now"].period, before)]
    return {
        "title": f"Figures: {period['now'].period.label}", "period": period,
        "periods": figures.PERIODS, "period_names": figures.PERIOD_NAMES,
        "charts": period_charts(agg, period["now"].period, as_of, currency),
    }


def lessons(agg: Aggregates) -> dict:
    return {
        "repeats": agg.repeat_failures(), "repeat_reason": views.repeat_reason, "lesson_rows": LESSON_ROWS,
        "by_category": agg.lessons("categories"), "by_team": agg.lessons("teams"),
    }


def period_figures(agg: Aggregates, key: str, as_of: date) -> dict:
    """A period's figures beside those of the period before."""
    now = figures.period(key, as_of)
    before = figures.previous(now)
    return {"key": key, "now": agg.figures(now), "before": agg.figures(before) if before else None}


def sent_checkins(state: Review) -> list[risk.Checkin]:
    """Every check-in email that went out, with the customer's latest answer to it."""
    latest = {h.key: h for h in state.heard if h.kind == hearing.ANSWER and h.key}
    zone = ZoneInfo(state.project.config.timezone)
    return [risk.Checkin(f.case, f.when.astimezone(zone).date(), latest.get(f.key))
            for f in (item.followup for item in state.prepared)
            if f.kind in CHECKIN_KINDS and f.medium == "email" and f.state == "sent" and f.when]


def check_ins(checkins: list[risk.Checkin]) -> list[figures.Asked]:
    """The check-ins as the figures count them: by team and day, confirmed or not put right or unanswered."""
    return [figures.Asked(c.case.team, c.sent, "" if c.answer is None else
                          figures.CONFIRMED if hearing.confirms(c.answer) else figures.NOT_PUT_RIGHT,
                          c.answer.score if c.answer else None) for c in checkins]


def period_charts(agg: Aggregates, period: figures.Period, as_of: date, currency: str) -> list:
    """The pictures of a period: flow per month, where cases come from, what they cost, how long they take."""
    firsts = agg.months(period, as_of)
    monthly = agg.per_month(firsts, currency)
    labels = [m.strftime("%b %Y") for m in firsts]
    count = lambda groups: [(g.name, len(g.cases)) for g in sorted(groups, key=lambda g: (-len(g.cases), g.name))]  # noqa: E731
    return [
        charts.columns("chart-flow", "Cases opened and resolved per month", labels,
                       [("Opened", monthly["opened"]), ("Resolved", monthly["resolved"])]),
        charts.bars("chart-category", f"Cases by category, {period.label}", count(agg.groups("categories", period))),
        charts.bars("chart-team", f"Cases by team, {period.label}", count(agg.groups("teams", period))),
        charts.columns("chart-money", f"Compensation per month ({currency})", labels,
                       [("Compensation", monthly["compensation"])], unit=currency),
        charts.histogram("chart-days", f"Days to resolve, cases resolved in {period.label}",
                         agg.days_to_resolve(period), DAY_BINS),
    ]

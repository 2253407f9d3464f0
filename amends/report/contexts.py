"""What the pages about many cases show: the overview, the figures of a period, the lessons."""
from __future__ import annotations

from datetime import date

from amends.followups.review import Review
from amends.model import Case
from amends.report import charts, figures, views


# Follow-up states someone must act on; "due" only for what falls due by today.
ATTENTION_STATES = ("due", "blocked", "missed", "failed", "check", "approval")


# The lessons page shows this many of each group's most recent cases; the group's page has them all.
LESSON_ROWS = 20


DAY_BINS = [(0, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, None)]


# The overview lists at most this many of each thing to act on; "and 312 more" links to the page with them all.
OVERVIEW_ROWS = 50


def overview(state: Review, as_of: date) -> dict:
    config, cases = state.project.config, state.project.cases
    # A follow-up due later today is not yet something to chase.
    attention = [i for i in state.prepared if not i.followup.is_task and i.followup.state in ATTENTION_STATES
                 and (i.followup.state != "due" or i.followup.due_at.date() <= as_of)]
    return {
        "figures": figures.figures(cases, figures.period("all", as_of)), "per_status": views.status_counts(cases),
        "case_count": len(cases),
        "open_cases": views.open_cases_by_age(cases, as_of), "attention_days": config.attention_days,
        **promises(cases, as_of), "overview_rows": OVERVIEW_ROWS,
        "followups_attention": attention,
        # Preventions that did not hold, while the case that repeats the trouble is still open: newest first.
        "repeats": sorted(((later, earlier) for later, earlier in views.repeat_failures(cases) if later.is_open),
                          key=lambda pair: (pair[0].opened, pair[0].id), reverse=True),
        "repeat_reason": views.repeat_reason,
        "tasks": [i for i in state.prepared if i.followup.is_task and i.followup.state == "due"],
        "period": period_figures(cases, "month", as_of),
        "recent": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)[:10],
    }


def promises(cases: list[Case], as_of: date) -> dict:
    """The promises due by today and not kept, oldest first, then those broken; each with what the page says of it."""
    due, broken = views.promises_to_watch(cases, as_of)
    return {"promises_due": [(c, p, "overdue" if p.due < as_of else "due") for c, p in due],
            "promises_broken": [(c, p, "broken") for c, p in broken]}


def figures_page(state: Review, key: str, as_of: date) -> dict:
    cases = state.project.cases
    period = period_figures(cases, key, as_of)
    return {
        "title": f"Figures: {period['now'].period.label}", "period": period,
        "periods": figures.PERIODS, "period_names": figures.PERIOD_NAMES,
        "charts": period_charts(cases, period["now"].period, as_of, state.project.config.currency),
    }


def lessons(cases: list[Case]) -> dict:
    repeats = views.repeat_failures(cases)
    return {
        "repeats": repeats, "repeat_reason": views.repeat_reason, "lesson_rows": LESSON_ROWS,
        "by_category": views.lessons(views.by_category(cases), repeats),
        "by_team": views.lessons(views.by_team(cases), repeats),
    }


def period_figures(cases: list[Case], key: str, as_of: date) -> dict:
    """A period's figures beside those of the period before."""
    now = figures.period(key, as_of)
    before = figures.previous(now)
    counts = figures.customer_counts(cases)
    return {"key": key, "now": figures.figures(cases, now, counts),
            "before": figures.figures(cases, before, counts) if before else None}


def period_charts(cases: list[Case], period: figures.Period, as_of: date, currency: str) -> list:
    """The pictures of a period: flow per month, where cases come from, what they cost, how long they take."""
    firsts = figures.months(cases, period, as_of)
    monthly = figures.per_month(cases, firsts, currency)
    labels = [m.strftime("%b %Y") for m in firsts]
    inside = [c for c in cases if period.holds(c.opened)]
    count = lambda groups: [(g.name, len(g.cases)) for g in sorted(groups, key=lambda g: (-len(g.cases), g.name))]  # noqa: E731
    return [
        charts.columns("chart-flow", "Cases opened and resolved per month", labels,
                       [("Opened", monthly["opened"]), ("Resolved", monthly["resolved"])]),
        charts.bars("chart-category", f"Cases by category, {period.label}", count(views.by_category(inside))),
        charts.bars("chart-team", f"Cases by team, {period.label}", count(views.by_team(inside))),
        charts.columns("chart-money", f"Compensation per month ({currency})", labels,
                       [("Compensation", monthly["compensation"])], unit=currency),
        charts.histogram("chart-days", f"Days to resolve, cases resolved in {period.label}",
                         [c.days_to_resolve for c in cases if c.days_to_resolve is not None and period.holds(c.resolved)],
                         DAY_BINS),
    ]

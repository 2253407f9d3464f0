"""The sheets to print: a team's lessons of a period, to read out at a team meeting and sign; and what
staff may give, for the counter (see guideline_sheets).

One sheet per team (as views.by_team groups them) and period (this month, this quarter, this year, as
of the build date) in which the team resolved a case: what went wrong, what was given and why, the
prevention, who was briefed already (`acknowledged_by`) and lines for the rest to sign.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from amends.cases import guidelines
from amends.cases.config import Config
from amends.incremental.cache import digest
from amends.model import Case
from amends.report import figures, views

# All time is no briefing: a meeting goes over what happened lately, and a sheet of every case ever
# resolved would never fit on paper.
PERIODS = ("month", "quarter", "year")
# Empty lines under each case for those briefed at the meeting, beside the names the file already holds.
SIGN_LINES = 4
TEMPLATE = "briefing.html"


@dataclass(frozen=True)
class Sheet:
    """The cases a team resolved in a period, the newest first."""

    team: str
    slug: str  # the team's own page is teams/<slug>.html
    period: figures.Period
    cases: tuple[Case, ...]

    @property
    def path(self) -> str:
        return f"briefings/{self.slug}/{self.period.key}.html"

    @property
    def name(self) -> str:
        """"This month (November 2026)"."""
        return f"{figures.PERIOD_NAMES[self.period.key]} ({self.period.label})"


def sheets(teams: list[views.Group], as_of: date) -> dict[str, list[Sheet]]:
    """Each team's sheets that hold a case, by the team's slug, in the order of PERIODS.

    A case counts once it is settled: an open case, reopened ones too, has no final answer to brief on.
    """
    periods = [figures.period(key, as_of) for key in PERIODS]
    out: dict[str, list[Sheet]] = {}
    for team in teams:
        settled = [c for c in team.cases if c.resolved is not None and not c.is_open]
        for period in periods:
            mine = sorted((c for c in settled if period.holds(c.resolved)), key=lambda c: (c.resolved, c.id), reverse=True)
            if mine:
                out.setdefault(team.slug, []).append(Sheet(team.name, team.slug, period, tuple(mine)))
    return out


def links_key(found: list[Sheet]) -> str:
    """What a page that links to these sheets shows of them: where each is, and its period's name."""
    return digest(*(part for sheet in found for part in (sheet.path, sheet.name)))


def verdicts(cases: tuple[Case, ...], config: Config) -> dict[str, tuple[guidelines.Verdict, str] | None]:
    """By case id, what amends.yaml's guidelines say of what the case gave, and the guideline in words."""
    out: dict[str, tuple[guidelines.Verdict, str] | None] = {}
    for case in cases:
        verdict = guidelines.judge(case.weight, case.accommodation, config)
        out[case.id] = (verdict, guidelines.allowed(verdict.guideline, config.currency)) if verdict else None
    return out


def pages(found: dict[str, list[Sheet]], files: dict[str, str], config: Config) -> list[tuple[str, dict, str]]:
    """(path, context, key) of every sheet; `files` holds each case file's digest, by its path.

    The key holds each case's file and id and the period's bounds, and nothing else: an edit to a case
    not on the sheet, or a new day in the same period, leaves it as it is.
    """
    out = []
    for sheet in (sheet for mine in found.values() for sheet in mine):
        judged, period = verdicts(sheet.cases, config), sheet.period
        out.append((sheet.path, {
            "title": f"Briefing: {sheet.team}, {period.label}", "section": "teams", "sheet": sheet,
            "verdicts": judged, "sign_lines": SIGN_LINES,
        }, digest(sheet.team, sheet.slug, period.key, period.label, str(period.start), str(period.end),
                  *(part for c in sheet.cases for part in (c.id, c.path, files[c.path], repr(judged[c.id]))))))
    return out


# The languages amends ships templates in: the guidelines sheet, "What you may give", is printed in each.
SHEET_LANGUAGES = ("en", "de")


def guideline_page(language: str) -> str:
    return f"guidelines/{language}.html"


def guideline_sheets(config: Config) -> list[tuple[str, dict, str]]:
    """(path, context, key) of the sheet of what staff may give, one per shipped language, when amends.yaml
    sets guidelines; the key holds all the sheet shows."""
    if not config.guidelines:
        return []
    return [(guideline_page(language), {
        "title": "What you may give", "section": "cases", "guidelines": config.guidelines,
        "sheet_language": language, "sheet_languages": SHEET_LANGUAGES, "language": language,
    }, digest(repr(config.guidelines), config.currency, config.business_name)) for language in SHEET_LANGUAGES]

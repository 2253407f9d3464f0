"""Every page of the report and what it shows: declared here, rendered and written by report.build."""
from __future__ import annotations

import errno
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple
from zoneinfo import ZoneInfo

from markupsafe import Markup

from amends.cases import guidelines
from amends.cases.config import Config
from amends.followups.mail import MAX_SHOWN_BYTES, Sent, blocks, file_name, paragraphs, read_sent
from amends.followups import hearing
from amends.followups.messages import Prepared
from amends.followups.plan import STATES, before_since
from amends.followups.review import Review
from amends.incremental.cache import digest
from amends.incremental.files import file_key, read_regular
from amends.model import ABUSIVE, Case
from amends.report import accountability, attachments, briefings, figures, risk, views
from amends.report.aggregates import Aggregates
from amends.report.contexts import check_ins, figures_page, lessons, overview, promises, sent_checkins


# The cases table's filters: (name, label, the value a case has).
FILTERS = (
    ("status", "Status", views.status_label), ("team", "Team", lambda c: c.team),
    ("category", "Category", lambda c: c.category), ("fault", "Fault", lambda c: c.fault),
    ("severity", "Severity", lambda c: c.severity), ("channel", "Channel", lambda c: c.channel),
)


# (folder, title, title of one group, grouping function)
SECTIONS = (
    ("categories", "Categories", "Category", views.by_category),
    ("teams", "Teams", "Team", views.by_team),
    ("tags", "Tags", "Tag", views.by_tag),
    ("customers", "Customers", "Customer", views.by_customer),
    ("owners", "Owners", "Owner", accountability.by_owner),
)


PROMISES = "promises.html"
INBOX = "inbox.html"
AT_RISK = "at-risk.html"
CALENDAR = "followups.ics"


@dataclass
class Page:
    path: str
    template: str
    context: dict
    # A digest of everything the page shows beyond what every page shares.
    key: str
    # More of the context, made only if the page is rendered: the figures of ten thousand cases take a second.
    later: Callable[[], dict] | None = None


@dataclass
class Links:
    """Where each case, category, team, tag, customer and owner has its page."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    # What each case's row in a table of cases shows, by case id (see row_keys): in the key of every table.
    rows: dict[str, str] = field(default_factory=dict)
    # of_case's answers by case id: asked for by every page that shows the case.
    _of_case: dict[str, str] = field(default_factory=dict)

    def group(self, section: str, name: str | None) -> str | None:
        key = name if section == "customers" or name is None else views.label_key(name)
        return f"{section}/{self.groups[section][key]}.html" if key in self.groups.get(section, {}) else None

    def customer(self, case: Case) -> str | None:
        return self.group("customers", views.customer_key(case))

    def of_case(self, case: Case) -> str:
        """Where the pages a case links to are: in the key of every page that shows the case, so that a
        new group elsewhere changes no page that does not link to it."""
        if case.id not in self._of_case:
            self._of_case[case.id] = repr([self.group("categories", case.category), self.group("teams", case.team),
                                           *(self.group("tags", tag) for tag in case.tags), self.customer(case),
                                           self.group("owners", case.owner)])
        return self._of_case[case.id]


# The states of an email handed to a transport: its exact .eml is in outbox/messages/.
HANDED_OVER = ("sent", "check")


def message_page(item: Prepared) -> str | None:
    """Where the site shows a follow-up's email: one still to go, or as it was handed over.

    A task's words are on its own pages.
    """
    f = item.followup
    if f.is_task or (item.rendered is None and f.state not in HANDED_OVER):
        return None
    return "messages/" + file_name(f.key).removesuffix(".eml") + ".html"


def letter_page(case_id: str) -> str:
    """Where a case's printable letter is: named by a digest of the case id, never the id itself.

    A browser may print the page's address in its footer, and the id is the team's own label for
    the complaint ("2026-11-04-rude-staff-member"), which must not reach the customer on paper.
    """
    return "letters/" + hashlib.sha256(case_id.encode()).hexdigest()[:20] + ".html"


def pages(state: Review, as_of: date, bodies: Callable[[], dict[str, Markup]], links: Links,
          aggregates: Callable[[], Aggregates]) -> list[Page]:
    """Every page of the site and what it shows; nothing is rendered or written here, and the downloads
    page, which shows the size of each file, is added once those are made (see `downloads_page`).

    `bodies()` gives each case's notes as sanitized HTML, by case id, and `aggregates()` what the pages
    about many cases show (AGGREGATE_TEMPLATES); `links` is filled with where each group's page is.
    """
    groups = groupings(state.project.cases, links)
    sheets = briefings.sheets(groups["teams"], as_of)
    links.rows = row_keys(state.project.digests, links, state.project.cases)
    # What each follow-up shows, by its key: asked for by every page that lists it.
    shows = {item.followup.key: followup_digest(item) for item in state.prepared}
    of_cases = case_pages(state, as_of, bodies, links, shows)
    out = group_pages(groups, links, sheets, accountability.accountability(state.project.cases, groups, as_of))
    out += home_pages(state, as_of, all_cases_key(of_cases), aggregates, sheets)
    out += table_pages(state, as_of, links)
    out += of_cases
    out += followup_pages(state, shows)
    out += inbox_page(state)
    out += [Page(path, "guidelines.html", context, key) for path, context, key in briefings.guideline_sheets(state.project.config)]
    out += [Page(path, briefings.TEMPLATE, context, key)
            for path, context, key in briefings.pages(sheets, state.project.digests, state.project.config)]
    out.append(Page("search.html", "search.html", {"title": "Search", "section": "search"}, key=""))
    out.append(Page("problems.html", "problems.html", {"title": "Problems", "section": "problems",
                                                       "problems": state.problems}, digest(*map(repr, state.problems))))
    return in_site(out, shared_context(state, as_of, links))


def in_site(site_pages: list[Page], shared: dict) -> list[Page]:
    """The pages, each with what every page can show and its way back to the top of the site (`root`)."""
    for page in site_pages:
        page.context = {**shared, "root": "../" * page.path.count("/"), **page.context}
    return site_pages


def shared_context(state: Review, as_of: date, links: Links) -> dict:
    """What every page can show."""
    config = state.project.config
    return {
        "business": config.business_name, "as_of": as_of, "links": links,
        "status_label": views.status_label, "problem_count": len(state.problems),
        "message_page": message_page, "letter_page": letter_page, "year_page": year_page,
        "followups_of_year": followups_of_year, "tz": config.timezone, "currency": config.currency,
        "timeline": views.timeline, "paragraphs": paragraphs, "blocks": blocks,
    }


def groupings(cases: list[Case], links: Links) -> dict[str, list[views.Group]]:
    """The groups of each way of grouping, by section; records in `links` where each group lives."""
    out = {}
    for section, _, _, grouping in SECTIONS:
        out[section] = grouping(cases)
        # A label is found in any spelling its group takes (case, Unicode form): views.label_key.
        key = (lambda g: views.customer_key(g.cases[0])) if section == "customers" else (lambda g: views.label_key(g.name))
        links.groups[section] = {key(g): g.slug for g in out[section]}
    return out


def group_pages(by_section: dict[str, list[views.Group]], links: Links,
                sheets: dict[str, list[briefings.Sheet]], held: dict[str, list[accountability.Table]]) -> list[Page]:
    """One index and one page per group, for each way of grouping; a team's page links its briefing `sheets`,
    and `held` has the accountability tables of the teams and owners, which their index shows and each of
    their pages shows its own row of."""
    out = []
    for section, title, singular, _ in SECTIONS:
        groups, tables = by_section[section], held.get(section, [])
        # An index shows each group's name and counts, not its cases: an edit that moves no count leaves it be.
        # Of a table it shows the rows and the period's name, never its first day: status.css shows the day.
        shown = [part for t in tables for part in (t.period.label, repr(t.rows))]
        out.append(Page(f"{section}/index.html", "groups.html", {"title": title, "section": section, "groups": groups,
                                                                 "tables": tables},
                        key=digest(*shown, *(part for g in groups for part in (g.name, g.slug, str(len(g.cases)), str(g.open_count))))))
        for g in groups:
            rows = [(t.period, t.of(g.slug)) for t in tables]
            briefed = sheets.get(g.slug, []) if section == "teams" else []
            out.append(Page(f"{section}/{g.slug}.html", "group.html", {
                "title": f"{singular}: {g.name}", "section": section, "group": g, "singular": singular, "cases": g.cases,
                "rows": rows, "briefings": briefed,
                **({"compensation": views.compensation_totals(g.cases), "value": views.customer_value(g.cases)}
                   if section == "customers" else {}),
            }, key=digest(section, g.name, *(links.rows[c.id] for c in g.cases), *(repr(r) for _, r in rows),
                          briefings.links_key(briefed) if section == "teams" else "")))
    return out


# The templates of the pages that show aggregates of every case (report.aggregates).
AGGREGATE_TEMPLATES = ("home.html", "figures.html", "lessons.html")


def home_pages(state: Review, as_of: date, every: str, aggregates: Callable[[], Aggregates],
               sheets: dict[str, list[briefings.Sheet]]) -> list[Page]:
    """The overview (what to act on today, then figures), the figures per period, the lessons (which link
    each team's briefing `sheets`)."""
    # The overview's ages and due dates, and each period's bounds, change with the day.
    today = digest(every, as_of.isoformat())
    checkins = functools.cache(lambda: sent_checkins(state))
    at_risk = functools.cache(lambda: risk.at_risk(state.project.cases, checkins(), as_of))
    out = [Page("index.html", "home.html", {"title": "Overview", "section": "home"}, today,
                lambda: overview(state, aggregates(), as_of, at_risk()))]
    asked = functools.cache(lambda: check_ins(checkins()))
    for key in figures.PERIODS:
        out.append(Page(f"figures/{key}.html", "figures.html", {"section": "figures"}, today,
                        lambda key=key: figures_page(aggregates(), key, as_of, state.project.config.currency, asked(),
                                                     state.project.cases, state.project.config.acquisition_cost)))
    out.append(Page("lessons.html", "lessons.html", {"title": "Lessons", "section": "lessons", "briefings": sheets},
                    digest(every, *(briefings.links_key(mine) for mine in sheets.values())), lambda: lessons(aggregates())))
    out.append(Page(AT_RISK, "at-risk.html", {"title": "Who may leave next", "section": "home"}, today,
                    lambda: {"at_risk": at_risk()}))
    listed = promises(*views.promises_to_watch(state.project.cases, as_of), as_of)
    if not any(listed.values()):
        return out
    # Of the day, the page shows only which promises are overdue: the state beside each.
    out.append(Page(PROMISES, "promises.html", {"title": "Promises due or broken", "section": "home", **listed},
                    digest(*(part for name, rows in listed.items() for c, p, shown in rows
                             for part in (name, c.id, c.title, p.what, str(p.due), shown)))))
    return out


def followups_by_case(state: Review) -> dict[str, list[Prepared]]:
    by_case: dict[str, list[Prepared]] = {}
    for item in state.prepared:
        by_case.setdefault(item.followup.case.id, []).append(item)
    return by_case


def case_pages(state: Review, as_of: date, bodies: Callable[[], dict[str, Markup]], links: Links,
               shows: dict[str, str]) -> list[Page]:
    """A page per case, and a printable letter where one is due; `shows` holds each follow-up's followup_digest."""
    config, cases = state.project.config, state.project.cases
    by_case = followups_by_case(state)
    out = []
    warnings: dict[str, list] = {}
    for warning in state.warnings:
        warnings.setdefault(warning.path, []).append(warning)
    customers = views.cases_by_customer(cases)
    heard = heard_by_case(state)
    for case in cases:
        mine, warned = by_case.get(case.id, []), warnings.get(case.path, [])
        said = heard.get(case.id, [])
        answered = [h for h in said if h.kind == hearing.ANSWER]  # the latest answer is the one that stands
        file = state.project.digests[case.path]
        theirs = customers[views.customer_key(case)]
        earlier, later = views.other_cases(case, theirs)
        abused = [c for c in theirs if c.conduct == ABUSIVE]
        # The page shows the customer's other cases: any change to one of them changes this page.
        others = [part for c in earlier + later for part in (c.id, state.project.digests[c.path])]
        # Of all that changes with the day, a case page shows only which promises are overdue.
        overdue = [views.overdue(promise, case, as_of) for promise in case.promises]
        verdict = guidelines.judge(case.weight, case.accommodation, config)
        touch = views.touch(case, config.every(case.weight))
        out.append(Page(f"cases/{case.id}.html", "case.html", {
            "title": case.title, "section": "cases", "case": case, "followups": mine, "warnings": warned,
            "earlier": earlier, "later": later, "promises_overdue": overdue, "heard": said,
            "confirmed": bool(answered) and hearing.confirms(answered[-1]), "signs": views.signs_it_held(case),
            "guideline": verdict, "allowed": guidelines.allowed(verdict.guideline, config.currency) if verdict else "",
            "guideline_page": briefings.guideline_page("en"), "touch": touch, "abused": abused,
            "attachments": attachments.shown(case),
        }, digest(file, case.id, *(shows[i.followup.key] for i in mine), *map(str, warned), "others", *others, links.of_case(case),
                  repr(overdue), *map(heard_digest, said), repr(verdict), repr(touch), attachments.key(case)),
            lambda case=case: {"body_html": bodies()[case.id]}))
        letter = next((item for item in mine if item.followup.kind == "letter"), None)
        if letter:
            # The title is printed in the header of a browser that adds one: nothing internal in it.
            out.append(Page(letter_page(case.id), "letter.html", {
                "title": f"Letter: {letter.rendered.subject}" if letter.rendered else "Letter",
                "section": "followups", "case": case, "letter": letter,
                "language": letter.rendered.language if letter.rendered else "en",
                # Only a rendered letter is printed, and it has both addresses.
                "sender": views.postal_lines([config.business_name], config.business_address or ""),
                "recipient": views.postal_lines([case.customer.name, case.customer.company], case.customer.address or ""),
                "business_phone": config.business_phone, "business_email": config.reply_to or config.business_email,
            }, key=digest(file, shows[letter.followup.key])))
    return out


def heard_by_case(state: Review) -> dict[str, list[hearing.Heard]]:
    """What each customer wrote back (read from the mailbox), by case id, in the order it was read."""
    out: dict[str, list[hearing.Heard]] = {}
    for h in state.heard:
        if h.case_id:
            out.setdefault(h.case_id, []).append(h)
    return out


def heard_digest(h: hearing.Heard) -> str:
    """What a page shows of a message read from the mailbox."""
    return digest(repr(sorted(h.message.items())), h.kind, h.case_id or "", h.key or "", h.answer, str(h.score), h.why)


def inbox_page(state: Review) -> list[Page]:
    """The page of the mail for a person (hearing.loose), when there is any: the overview links it then."""
    loose = hearing.loose(state.heard)
    return [Page(INBOX, "inbox.html", {"title": "Mail for a person", "section": "home", "messages": loose,
                                       "read": len(state.heard)}, digest(str(len(state.heard)), *map(heard_digest, loose)))
            ] if loose else []


def row_keys(inputs: dict[str, str], links: Links, cases: list[Case]) -> dict[str, str]:
    """What each case's row in a table of cases shows, by case id: its file, its id (a file renamed as it is
    links another page), and where the pages it links to are."""
    return {case.id: digest(inputs[case.path], case.id, links.of_case(case)) for case in cases}


def cases_by_year(cases: list[Case]) -> dict[int, list[Case]]:
    """The cases by the year they were opened, the newest year first; each year's in the order given."""
    out: dict[int, list[Case]] = {}
    for case in cases:
        out.setdefault(case.opened.year, []).append(case)
    return dict(sorted(out.items(), reverse=True))


def year_page(year: int) -> str:
    """Where the table of the cases opened in a year is: a folder of its own, since a case could be called 2025."""
    return f"years/{year}.html"


def export_names(year: int) -> tuple[str, str]:
    """The downloads of the cases opened in a year: for a spreadsheet, and for other tools."""
    return f"cases-{year}.csv", f"cases-{year}.json"


def table_pages(state: Review, as_of: date, links: Links) -> list[Page]:
    """The tables of cases: one per year they were opened in, and cases/index.html with what is in hand.

    The index holds the open cases, whenever they were opened, and this year's: what an owner looks
    for first, with nothing open hidden on an older year's page. Each table shows only its own cases,
    so an edit rewrites its year's table and, for an open case or one of this year, the index.
    """
    cases = state.project.cases
    years = cases_by_year(cases)

    def table(path: str, shown: list[Case], context: dict, *more: str) -> Page:
        filters = [(name, label, sorted({v for v in map(value, shown) if v}, key=str.casefold))
                   for name, label, value in FILTERS]
        return Page(path, "cases.html", {
            "section": "cases", "filters": filters, "cases": sorted(shown, key=lambda c: (c.opened, c.id), reverse=True),
            **context,
        }, key=digest(*more, *(links.rows[c.id] for c in shown)))

    counts = [(year, len(found)) for year, found in years.items()]
    out = [table("cases/index.html", [c for c in cases if c.is_open or c.opened.year == as_of.year],
                 {"title": "Cases", "year": None, "this_year": as_of.year, "years": counts}, str(as_of.year), repr(counts))]
    # A year's table links to the others, without their counts: a case added to one year changes no other year's page.
    others = [(year, None) for year in years]
    out += [table(year_page(year), found, {"title": f"Cases opened in {year}", "year": year, "years": others,
                                           "exports": export_names(year)}, str(year), repr(others))
            for year, found in years.items()]
    return out


def all_cases_key(site_pages: list[Page]) -> str:
    """The key of a page that shows many cases and follow-ups: that of all case pages, which hold each one's."""
    return digest(*(page.key for page in site_pages if page.template == "case.html"))


# The states of a follow-up that is over: sent, done, or not to be sent. They pile up with the years, so
# they are listed on a page per year (of their due date); followups.html holds what needs a person and
# what is still to go, which grows with the work in hand, not with the history.
SETTLED = ("sent", "done", "skipped")


def followups_of_year(year: int) -> str:
    """Where the follow-ups due in a year that are over are listed."""
    return f"followups-{year}.html"


def followup_pages(state: Review, shows: dict[str, str]) -> list[Page]:
    """Every follow-up by state, and each message readable: still to go, or as it was handed over.

    `shows` holds each follow-up's followup_digest, by its key.
    """
    sent = sent_messages(state)
    # Why an entry of outbox/messages/ is not read, by its name in the project (from review's warnings).
    refusals = {w.path: w.message.removesuffix("; not read") for w in state.warnings if w.path.startswith("outbox/")}
    out = []
    for item in state.prepared:
        path = message_page(item)
        if path is None:
            continue
        context = {"title": f"{item.followup.kind}: {item.followup.case.title}", "section": "followups",
                   "item": item, "message": item.rendered}
        if item.rendered is not None:
            out.append(Page(path, "message.html", context, shows[item.followup.key]))
            continue
        # Handed over: the page shows the .eml the site carries beside it, read only if the page is rendered.
        eml = path.removesuffix(".html") + ".eml"
        source = sent.get(eml)
        refused = refusals.get(f"outbox/{eml}", "")
        out.append(Page(path, "message.html", {**context, "eml": eml, "refused": refused},
                        digest(shows[item.followup.key], file_key(source) if source else "missing", refused),
                        later=functools.partial(as_sent, source)))
    config = state.project.config
    zone = ZoneInfo(config.timezone)
    in_hand, by_year = [], {}
    for item in state.prepared:
        if item.followup.state in SETTLED:
            by_year.setdefault(item.followup.due_at.astimezone(zone).year, []).append(item)
        else:
            in_hand.append(item)
    years = sorted(by_year, reverse=True)

    def shown(items: list[Prepared]) -> list[str]:
        """What the rows and tasks of `items` show: each follow-up, and its case (the title, the customer…)."""
        inputs = state.project.digests
        return [part for i in items for part in (i.followup.case.id, inputs[i.followup.case.path], shows[i.followup.key])]

    listed = {year: listing(by_year[year], SETTLED, config) for year in years}
    counts = [(year, listed[year]["counts"]) for year in years]
    out.append(Page("followups.html", "followups.html", {
        "title": "Follow-ups", "section": "followups", "year": None, "years": counts,
        "transport": state.transport, **listing(in_hand, tuple(s for s in STATES if s not in SETTLED), config),
    }, key=digest(repr(counts), *shown(in_hand))))
    # A year's page links to the others without their counts: a follow-up sent this year changes no older page.
    others = [(year, None) for year in years]
    out += [Page(followups_of_year(year), "followups.html", {
        "title": f"Follow-ups due in {year}: sent, done and not sent", "section": "followups", "year": year,
        "years": others, **listed[year],
    }, key=digest(str(year), repr(others), *shown(by_year[year]))) for year in years]
    return out


def listing(items: list[Prepared], states: tuple[str, ...], config: Config) -> dict:
    """What a page of follow-ups shows of `items`: those in each of `states`, in that order, and their counts."""
    by_state = {s: [i for i in items if i.followup.state == s] for s in states}
    counts = {s: len(found) for s, found in by_state.items()}
    # A business with years of history sets followups.since when it starts: the thousands of old
    # follow-ups it never meant to send are one line here, not a row each (each case page lists its own).
    if "skipped" in by_state:
        by_state["skipped"] = [i for i in by_state["skipped"] if not before_since(i.followup.case, config)]
    return {"states": states, "counts": counts, "by_state": by_state,
            "before_since": counts.get("skipped", 0) - len(by_state.get("skipped", [])), "since": config.since}


class Download(NamedTuple):
    """A file of the downloads page, as it shows it."""

    name: str
    year: int | None
    size: str
    cases: int  # how many cases it holds; 0 for the calendar


def size_text(size: int) -> str:
    """A file's size as the downloads page shows it: 812 bytes, 24 kB, 7.2 MB."""
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.0f} kB" if size < 999_500 else f"{size / 1_000_000:.1f} MB"


def downloads_page(sizes: dict[str, int], years: dict[int, list[Case]]) -> Page:
    """The page listing every download with its year, size and what it holds; `sizes` by file name."""
    files = [Download(CALENDAR, None, size_text(sizes[CALENDAR]), 0)]
    files += [Download(name, year, size_text(sizes[name]), len(cases))
              for year, cases in years.items() for name in export_names(year)]
    return Page("downloads.html", "downloads.html", {"title": "Downloads", "section": "downloads", "files": files},
                digest(*map(repr, files)))


def as_sent(source: str | None) -> dict:
    """The `sent` of a message page: the message as handed over, read from its .eml; else why not, as `unread`.

    Only the first MAX_SHOWN_BYTES are ever read: a huge file costs no memory, and is "too large".
    """
    if source is None:
        return {"sent": None, "unread": "missing"}
    try:
        sent = read_sent(read_regular(source, MAX_SHOWN_BYTES))
    except OSError as error:
        return {"sent": None, "unread": "too large" if error.errno == errno.EFBIG else "unreadable",
                "max_shown_mib": MAX_SHOWN_BYTES // (1024 * 1024)}
    return {"sent": sent and shown(sent), "unread": "" if sent else "unreadable"}


def shown(sent: Sent) -> Sent:
    """The message with every byte that is not UTF-8 as U+FFFD: the email package keeps such bytes of a
    damaged header as surrogates, and no page can be written with them."""
    return replace(sent, **{name: value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                            for name, value in vars(sent).items() if isinstance(value, str)})


def followup_digest(item: Prepared) -> str:
    """What a follow-up shows: its state and times, and the words of its message."""
    f = item.followup
    return digest(f.key, f.state, f.reason, f.detail, str(f.due_at), str(f.when), item.rendered.digest if item.rendered else "")


def sent_messages(state: Review) -> dict[str, str]:
    """The file of every message handed to a transport (its exact .eml), by where the site shows it: only
    regular files, none too large to show (its page says where it is), never a link out or a FIFO."""
    files = {}
    for item in state.prepared:
        name = file_name(item.followup.key)
        if item.followup.state in HANDED_OVER and name in state.sent_files:
            files[f"messages/{name}"] = state.sent_files[name]
    return files

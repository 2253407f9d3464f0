"""Build the report site: decide the pages (pure), render them, write them."""
from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment
from markupsafe import Markup

from . import charts, exports, figures, ledger, search, views, workers
from .cache import NO_CACHE, Cache, digest
from .config import CONFIG_NAME
from .markup import to_html
from .messages import MAX_SHOWN_BYTES, Prepared, Sent, blocks, file_name, paragraphs, read_sent
from .model import Case
from .plan import STATES, before_since
from .project import RACY_NS, Project, read_regular
from .send import Review
from .templating import make_env

ASSETS = "assets"
T = TypeVar("T")
# Follow-up states someone must act on; "due" only for what falls due by today.
ATTENTION_STATES = ("due", "blocked", "missed", "failed", "check", "approval")
# The cases table's filters: (name, label, the value a case has).
FILTERS = (
    ("status", "Status", views.status_label), ("team", "Team", lambda c: c.team),
    ("category", "Category", lambda c: c.category), ("fault", "Fault", lambda c: c.fault),
    ("severity", "Severity", lambda c: c.severity), ("channel", "Channel", lambda c: c.channel),
)
# The lessons page shows this many of each group's most recent cases; the group's page has them all.
LESSON_ROWS = 20
DAY_BINS = [(0, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, None)]

# (folder, title, title of one group, grouping function)
SECTIONS = (
    ("categories", "Categories", "Category", views.by_category),
    ("teams", "Teams", "Team", views.by_team),
    ("tags", "Tags", "Tag", views.by_tag),
    ("customers", "Customers", "Customer", views.by_customer),
)


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
    """Where each case, category, team, tag and customer has its page."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, section: str, name: str | None) -> str | None:
        key = name if section == "customers" or name is None else views.label_key(name)
        return f"{section}/{self.groups[section][key]}.html" if key in self.groups.get(section, {}) else None

    def customer(self, case: Case) -> str | None:
        return self.group("customers", views.customer_key(case))


class Rows:
    """Table rows rendered once for every page that shows them, and reused from the last build.

    At ten thousand cases the tables of all cases, of each group and of all
    follow-ups hold tens of thousands of rows; rendering each row once instead
    of on every page is most of the work of those pages. `cases` holds rows
    for pages one folder down (where every cases table but the home page's is),
    `followups` those of the follow-ups page (at the top, with the case shown),
    by follow-up key. Any other row is rendered when asked for.
    """

    def __init__(self, env: Environment, shared: dict) -> None:
        self.case_template, self.followup_template = env.get_template("_case_row.html"), env.get_template("_followup_row.html")
        self.shared = shared
        self.cases: dict[str, str] = {}
        self.followups: dict[str, str] = {}

    def render_case(self, case: Case, root: str) -> str:
        return self.case_template.render({**self.shared, "root": root, "case": case})

    def render_followup(self, item: Prepared, root: str, show_case: bool) -> str:
        return self.followup_template.render({**self.shared, "root": root, "item": item, "show_case": show_case})

    def case_row(self, case: Case, root: str) -> Markup:
        made = self.cases.get(case.id) if root == "../" else None
        return Markup(made if made is not None else self.render_case(case, root))

    def followup_row(self, item: Prepared, root: str, show_case: bool) -> Markup:
        made = self.followups.get(item.followup.key) if root == "" and show_case else None
        return Markup(made if made is not None else self.render_followup(item, root, show_case))


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


def pages(state: Review, as_of: date, bodies: Callable[[], dict[str, Markup]], links: Links) -> list[Page]:
    """Every page of the site and what it shows; nothing is rendered or written here.

    `bodies()` gives each case's notes as sanitized HTML, by case id; `links` is
    filled with where each group's page is.
    """
    of_cases = case_pages(state, bodies)
    every = all_cases_key(of_cases)
    out = group_pages(state.project.cases, links, state.project.digests, every)
    out += home_pages(state, as_of, every)
    out += of_cases
    out += followup_pages(state, every)
    out.append(Page("search.html", "search.html", {"title": "Search", "section": "search"}, key=""))
    out.append(Page("problems.html", "problems.html", {"title": "Problems", "section": "problems",
                                                       "problems": state.problems}, digest(*map(repr, state.problems))))
    shared = shared_context(state, as_of, links)
    for page in out:
        page.context = {**shared, "root": "../" * page.path.count("/"), **page.context}
    return out


def shared_context(state: Review, as_of: date, links: Links) -> dict:
    """What every page can show."""
    config = state.project.config
    return {
        "business": config.business_name, "as_of": as_of, "links": links,
        "status_label": views.status_label, "problem_count": len(state.problems),
        "message_page": message_page, "letter_page": letter_page, "tz": config.timezone, "currency": config.currency,
        "timeline": views.timeline, "paragraphs": paragraphs, "blocks": blocks,
    }


def group_pages(cases: list[Case], links: Links, inputs: dict[str, str], every: str) -> list[Page]:
    """One index and one page per group, for each way of grouping; records where each group lives."""
    out = []
    for section, title, singular, grouping in SECTIONS:
        groups = grouping(cases)
        # A label is found in any spelling its group takes (case, Unicode form): views.label_key.
        key = (lambda g: views.customer_key(g.cases[0])) if section == "customers" else (lambda g: views.label_key(g.name))
        links.groups[section] = {key(g): g.slug for g in groups}
        out.append(Page(f"{section}/index.html", "groups.html", {"title": title, "section": section, "groups": groups},
                        key=every))
        out += [Page(f"{section}/{g.slug}.html", "group.html", {
            "title": f"{singular}: {g.name}", "section": section, "group": g, "singular": singular, "cases": g.cases,
            **({"compensation": views.compensation_totals(g.cases), "value": views.customer_value(g.cases)}
               if section == "customers" else {}),
        }, key=digest(section, g.name, *(inputs[c.path] for c in g.cases))) for g in groups]
    return out


def home_pages(state: Review, as_of: date, every: str) -> list[Page]:
    """The overview (what to act on today, then figures), the figures per period, the lessons."""
    out = [Page("index.html", "home.html", {"title": "Overview", "section": "home"}, every,
                lambda: overview(state, as_of))]
    for key in figures.PERIODS:
        out.append(Page(f"figures/{key}.html", "figures.html", {"section": "figures"}, every,
                        lambda key=key: figures_page(state, key, as_of)))
    out.append(Page("lessons.html", "lessons.html", {"title": "Lessons", "section": "lessons"}, every,
                    lambda: lessons(state.project.cases)))
    return out


def overview(state: Review, as_of: date) -> dict:
    config, cases = state.project.config, state.project.cases
    promises_due, promises_broken = views.promises_to_watch(cases, as_of)
    # A follow-up due later today is not yet something to chase.
    attention = [i for i in state.prepared if not i.followup.is_task and i.followup.state in ATTENTION_STATES
                 and (i.followup.state != "due" or i.followup.due_at.date() <= as_of)]
    return {
        "figures": figures.figures(cases, figures.period("all", as_of)), "per_status": views.status_counts(cases),
        "case_count": len(cases),
        "open_cases": views.open_cases_by_age(cases, as_of), "attention_days": config.attention_days,
        "promises_due": promises_due, "promises_broken": promises_broken,
        "followups_attention": attention,
        # Preventions that did not hold, while the case that repeats the trouble is still open: newest first.
        "repeats": sorted(((later, earlier) for later, earlier in views.repeat_failures(cases) if later.is_open),
                          key=lambda pair: (pair[0].opened, pair[0].id), reverse=True),
        "repeat_reason": views.repeat_reason,
        "tasks": [i for i in state.prepared if i.followup.is_task and i.followup.state == "due"],
        "period": period_figures(cases, "month", as_of),
        "recent": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)[:10],
    }


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


def followups_by_case(state: Review) -> dict[str, list[Prepared]]:
    by_case: dict[str, list[Prepared]] = {}
    for item in state.prepared:
        by_case.setdefault(item.followup.case.id, []).append(item)
    return by_case


def case_pages(state: Review, bodies: Callable[[], dict[str, Markup]]) -> list[Page]:
    """The table of all cases, a page per case, and a printable letter where one is due."""
    config, cases = state.project.config, state.project.cases
    by_case = followups_by_case(state)
    filters = [(name, label, sorted({v for v in map(value, cases) if v}, key=str.casefold))
               for name, label, value in FILTERS]
    out = []
    warnings: dict[str, list] = {}
    for warning in state.warnings:
        warnings.setdefault(warning.path, []).append(warning)
    customers = views.cases_by_customer(cases)
    for case in cases:
        mine, warned = by_case.get(case.id, []), warnings.get(case.path, [])
        file = state.project.digests[case.path]
        earlier, later = views.other_cases(case, customers[views.customer_key(case)])
        # The page shows the customer's other cases: any change to one of them changes this page.
        others = [part for c in earlier + later for part in (c.id, state.project.digests[c.path])]
        out.append(Page(f"cases/{case.id}.html", "case.html", {
            "title": case.title, "section": "cases", "case": case, "followups": mine, "warnings": warned,
            "earlier": earlier, "later": later,
        }, digest(file, *map(followup_digest, mine), *map(str, warned), "others", *others),
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
            }, key=digest(file, followup_digest(letter))))
    return [Page("cases/index.html", "cases.html", {
        "title": "All cases", "section": "cases", "filters": filters,
        "cases": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True),
    }, key=all_cases_key(out))] + out


def all_cases_key(site_pages: list[Page]) -> str:
    """The key of a page that shows many cases and follow-ups: that of all case pages, which hold each one's."""
    return digest(*(page.key for page in site_pages if page.template == "case.html"))


def followup_pages(state: Review, every: str) -> list[Page]:
    """Every follow-up by state, and each message readable: still to go, or as it was handed over."""
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
            out.append(Page(path, "message.html", context, followup_digest(item)))
            continue
        # Handed over: the page shows the .eml the site carries beside it, read only if the page is rendered.
        eml = path.removesuffix(".html") + ".eml"
        source = sent.get(eml)
        refused = refusals.get(f"outbox/{eml}", "")
        out.append(Page(path, "message.html", {**context, "eml": eml, "refused": refused},
                        digest(followup_digest(item), file_key(source) if source else "missing", refused),
                        later=functools.partial(as_sent, source)))
    by_state = {s: [i for i in state.prepared if i.followup.state == s] for s in STATES}
    counts = {s: len(items) for s, items in by_state.items()}
    # A business with years of history sets followups.since when it starts: the thousands of old
    # follow-ups it never meant to send are one line here, not a row each (each case page lists its own).
    by_state["skipped"] = [i for i in by_state["skipped"] if not before_since(i.followup.case, state.project.config)]
    out.append(Page("followups.html", "followups.html", {
        "title": "Follow-ups", "section": "followups", "states": STATES, "counts": counts, "by_state": by_state,
        "before_since": counts["skipped"] - len(by_state["skipped"]), "since": state.project.config.since,
        "transport": state.transport,
    }, key=every))
    return out


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


def render(site_pages: list[Page], env: Environment, out: Writer,
           at_least: int = workers.PARALLEL_FROM) -> Iterator[tuple[str, tuple[str, int, bool]]]:
    """Render each page (the rest of its context made on the way) and write it: its path and what `out.write` said.

    On every core when there are at least `at_least` pages. Each worker
    writes its own pages: only a few bytes per page come back, so pages
    rendered faster than the disk takes them never pile up in memory.
    """
    def one(page: Page) -> tuple[str, int, bool]:
        context = {**page.context, **page.later()} if page.later else page.context
        return out.write(page.path, env.get_template(page.template).render(context).encode("utf-8"))

    return zip((page.path for page in site_pages), workers.each(one, site_pages, at_least))


def sent_messages(state: Review) -> dict[str, str]:
    """The file of every message handed to a transport (its exact .eml), by where the site shows it: only
    regular files, none too large to show (its page says where it is), never a link out or a FIFO."""
    files = {}
    for item in state.prepared:
        name = file_name(item.followup.key)
        if item.followup.state in HANDED_OVER and name in state.sent_files:
            files[f"messages/{name}"] = state.sent_files[name]
    return files


def file_key(path: str) -> str:
    """A file's size, times and inode: any write moves its ctime, so a file whose key is unchanged is unchanged.

    A file changed just now could change again without its times moving, so its key never matches;
    nor does that of one gone since its folder was listed (its page then says it cannot be read).
    """
    try:
        stat = os.stat(path)
    except OSError:
        return f"gone {time.time_ns()}"
    if max(stat.st_mtime_ns, stat.st_ctime_ns) >= time.time_ns() - RACY_NS:
        return f"racy {time.time_ns()}"
    return digest(str((stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)))


class Writer:
    """Puts files into a folder, touching only those whose content changed; then removes the rest.

    With a `store` (a folder in the cache), each file's bytes are kept there
    once, named by their digest, and the site's file is a hard link to that
    copy: no more disk is used, and a site/ deleted by hand comes back from the
    store without rendering a page. A file that exists is never written into
    but replaced by a new one, so a page can never change under its stored
    name; a stored copy is trusted only when its bytes still match that name.
    """

    def __init__(self, folder: Path, store: Path | None = None) -> None:
        # Paths as strings: pathlib's overhead is a second over twenty thousand files.
        self.folder, self.store, self.written = str(folder), store and str(store), 0
        # name → (digest of its bytes, size) of every file this build keeps
        self.kept: dict[str, tuple[str, int]] = {}

    def _claim(self, name: str, content: str, size: int) -> None:
        if name in self.kept:
            raise ValueError(f"two pages would be written to {name}")
        self.kept[name] = content, size

    def _stored(self, content: str) -> str:
        return os.path.join(self.store, content[:2], content)

    def put(self, name: str, data: bytes) -> None:
        """Write a file, unless it already holds `data`. No two files may share a name."""
        self.record(name, *self.write(name, data))

    def write(self, name: str, data: bytes) -> tuple[str, int, bool]:
        """Put `data` in the file `name` unless it holds it already: (digest of the bytes, size, whether written).

        It touches only that file and its stored copy, so worker processes may
        write different files at once; the process that holds this Writer then `record`s each.
        """
        content = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.folder, name)
        if self.store is not None and not _holds(self._stored(content), data):
            _create(self._stored(content), data)
        if _holds(path, data):
            return content, len(data), False
        try:
            if self.store is not None:
                _link(self._stored(content), path)
            else:
                _replace(path, data)
        except OSError:  # another file system, or one without hard links
            _replace(path, data)
        return content, len(data), True

    def record(self, name: str, content: str, size: int, written: bool) -> None:
        """Count a file `write` put in place. No two files may share a name."""
        self._claim(name, content, size)
        self.written += written

    def keep(self, files: dict[str, tuple[str, int]]) -> set[str]:
        """Which of `files` (name → digest of its bytes and its size, as last written) are in place or now back from the store."""
        kept = set()
        for name, (content, size) in files.items():
            if self._in_place(name, size) or self._restore(name, content):
                self._claim(name, content, size)
                kept.add(name)
        return kept

    def _in_place(self, name: str, size: int) -> bool:
        try:
            return os.stat(os.path.join(self.folder, name)).st_size == size
        except OSError:
            return False

    def _restore(self, name: str, content: str) -> bool:
        """Link the file again from the store, if the stored copy still holds the bytes it is named for."""
        if self.store is None or not _matches(self._stored(content), content):
            return False
        try:
            _link(self._stored(content), os.path.join(self.folder, name))
        except OSError:
            return False
        self.written += 1
        return True

    def remove_rest(self) -> None:
        """Files and folders put there by no one this time: pages of deleted cases or groups must not linger.

        The store keeps only what the site holds now.
        """
        _remove_unlisted(self.folder, lambda where, name: (name if where == "." else f"{where}/{name}") in self.kept)
        if self.store is not None and os.path.isdir(self.store):
            contents = {content for content, _ in self.kept.values()}
            _remove_unlisted(self.store, lambda where, name: name in contents)


def _holds(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def _matches(path: str, content: str) -> bool:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest() == content
    except OSError:
        return False


def _replace(path: str, new: bytes | str) -> None:
    """Put `new` (bytes, or the path of a stored file to link) at `path` as a new file: other names of the old file keep theirs.

    Not ledger.write_atomic: this one also links, and takes plain strings, as Writer does for speed.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        if isinstance(new, bytes):
            with open(tmp, "wb") as f:
                f.write(new)
        else:
            os.link(new, tmp)
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        ledger.name_error(error, path, tmp)
        raise


def _create(path: str, data: bytes) -> None:
    """A stored copy, written in place when it is new: one file created instead of a temporary one renamed.

    Safe because a stored copy is trusted only when its bytes match its name:
    one left half-written by a crash is never linked, and is replaced.
    """
    try:
        f = open(path, "xb")
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        f = open(path, "xb")
    except FileExistsError:
        _replace(path, data)
        return
    try:
        with f:
            f.write(data)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(path)
        ledger.name_error(error, path)
        raise


def _link(source: str, path: str) -> None:
    """A hard link to `source` at `path`: in one call when nothing is there, as when site/ was deleted."""
    try:
        os.link(source, path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.link(source, path)
    except FileExistsError:
        _replace(path, source)


def _remove_unlisted(top: str, listed: Callable[[str, str], bool]) -> None:
    """Remove every file below `top` that `listed(folder relative to top, name)` rejects, then empty folders."""
    for folder, dirs, files in os.walk(top, topdown=False):
        where = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in files:
            if not listed(where, name):
                os.unlink(os.path.join(folder, name))
        if folder != top and not os.listdir(folder):
            os.rmdir(folder)


def assets(assets_dir: Path) -> Iterator[tuple[str, bytes]]:
    """The stylesheet, scripts and icon, copied as they are."""
    if assets_dir.is_dir():
        for asset in sorted(assets_dir.rglob("*")):
            if asset.is_file():
                yield f"{ASSETS}/{asset.relative_to(assets_dir).as_posix()}", asset.read_bytes()


DOWNLOADS = ("cases.csv", "cases.json", "followups.ics")


def downloads(state: Review, as_of: date, cache: Cache = NO_CACHE) -> dict[str, bytes]:
    """The cases for spreadsheets, and a calendar to subscribe to; each case's part made only when it changed."""
    cases, inputs = state.project.cases, state.project.digests
    columns = exports.currencies(cases)
    parts = per_case(cache, "exports", digest(model_key(state, as_of), *columns), cases, lambda c: inputs[c.path],
                     lambda case: (exports.csv_line(case, columns), exports.json_record(case)))
    events = cache.load("calendar", as_of.isoformat()) or {}
    count = len(events)
    calendar = exports.calendar([p.followup for p in state.prepared], cases,
                                state.project.config.business_name, as_of, events)
    if len(events) != count:
        cache.save("calendar", as_of.isoformat(), events)
    return {
        "cases.csv": exports.cases_csv(cases, [parts[c.id][1][0] for c in cases]),
        "cases.json": exports.cases_json(cases, [parts[c.id][1][1] for c in cases]),
        "followups.ics": calendar,
    }


def model_key(state: Review, as_of: date) -> str:
    """Beyond its own file, what a case's model depends on: the settings (defaults) and the day."""
    return digest(state.project.digests.get(CONFIG_NAME, ""), as_of.isoformat())


def per_case(cache: Cache, name: str, key: str, cases: list[Case], version: Callable[[Case], str],
             make: Callable[[Case], T]) -> dict[str, tuple[str, T]]:
    """make(case) for every case, by id, beside the case's `version` (a digest of what `make` reads of it).

    What was made for the same `key` from the same version of a case is
    reused; `key` must name everything else the result depends on.
    """
    made = reuse(cache.load_parts(name, key), cases, version, make)
    cache.save_parts(name, key, made)
    return made


def reuse(known: dict[str, tuple[str, T]], cases: list[Case], version: Callable[[Case], str],
          make: Callable[[Case], T]) -> dict[str, tuple[str, T]]:
    """Each case's (version, value): from `known` where the version is the same, else made (on every core)."""
    made: dict[str, tuple[str, T] | None] = {}
    missing = []
    for case in cases:
        old, now = known.get(case.id), version(case)
        made[case.id] = old if old and old[0] == now else None  # None keeps the cases' order
        if made[case.id] is None:
            missing.append((case, now))
    for (case, now), value in zip(missing, workers.each(lambda m: make(m[0]), missing)):
        made[case.id] = (now, value)
    return made


def search_index(state: Review, as_of: date, bodies: Callable[[], dict[str, Markup]], cache: Cache) -> dict[str, bytes]:
    """The search index's files by path in the site, reading the words only of cases that changed."""
    cases, model = state.project.cases, model_key(state, as_of)
    before = cache.load("search", "index")
    found = reuse(before.words if before else {}, cases, lambda c: digest(model, state.project.digests[c.path]),
                  lambda c: search.case_words(c, bodies()[c.id]))
    made = search.index(cases, found, before)
    if before is None or (made.order, made.words, made.files) != (before.order, before.words, before.files):
        cache.save("search", "index", made)
    return {f"{search.FOLDER}/{name}": data for name, data in made.files.items()}


def notes_html(project: Project, cache: Cache) -> dict[str, Markup]:
    """Each case's Markdown notes as safe HTML, rendering only the notes of case files that changed."""
    known = cache.load_parts("markdown", "notes")
    # By the digest of the case file, which is known already: hashing 30 MB of notes again costs a tenth of a second.
    keys = {case.id: project.digests[case.path] for case in project.cases}
    missing = sorted({key for key in keys.values() if key not in known})
    if missing:
        texts = {keys[case.id]: case.body for case in project.cases}
        known.update(zip(missing, workers.each(lambda key: str(to_html(texts[key])), missing)))
    used = {key: known[key] for key in set(keys.values())}
    cache.save_parts("markdown", "notes", used)
    return {case_id: Markup(used[key]) for case_id, key in keys.items()}


def fingerprint(root: Path, as_of: date) -> str:
    """A digest of every input of the site (case files, templates, settings, ledger, sent messages) and the day.

    It reads each file's size and change times, not its bytes: any write to a
    file moves its ctime, which no tool can set back, so a change cannot hide.
    Only a file changed in the last moments is not trusted by its times.
    """
    parts, newest = [as_of.isoformat()], 0
    for folder in (root / "cases", root / "templates" / "site", root / "outbox"):
        for name, (size, mtime, ctime) in sorted(_files(folder).items()):
            if folder.name != "outbox" or name == "ledger.jsonl" or name.startswith("messages/"):
                parts.append(f"{name}:{size}:{mtime}:{ctime}")
                newest = max(newest, mtime, ctime)
    config = root / CONFIG_NAME
    parts.append(config.read_bytes() if config.is_file() else b"")
    # Times tick coarsely: a file changed just now could change again unseen, so such a fingerprint never matches.
    now = time.time_ns()
    if newest >= now - RACY_NS:
        parts.append(str(now))
    return digest(*parts)


def _files(folder: Path, prefix: str = "") -> dict[str, tuple[int, int, int]]:
    """Every file below folder: relative name → (size, mtime, ctime), from one directory scan each."""
    found: dict[str, tuple[int, int, int]] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            found.update(_files(Path(entry.path), f"{prefix}{entry.name}/"))
        else:
            stat = entry.stat(follow_symlinks=False)
            found[prefix + entry.name] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return found


def manifest(out_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the built site with its size and change times: enough to notice any change to it."""
    return _files(out_dir)


def table_rows(state: Review, rows: Rows, shared: str, page_keys: dict[str, str], cache: Cache) -> Rows:
    """`rows` filled with every case's and follow-up's row, made again only where its case changed."""
    cases, by_case = state.project.cases, followups_by_case(state)
    case_rows = per_case(cache, "rows", shared, cases, lambda c: state.project.digests[c.path],
                         lambda c: rows.render_case(c, "../"))
    rows.cases = {case_id: row for case_id, (_, row) in case_rows.items()}
    # A follow-up's row shows its case too: both are in the case page's key.
    followup_rows = per_case(cache, "followup-rows", shared, cases, lambda c: page_keys[f"cases/{c.id}.html"],
                             lambda c: {i.followup.key: rows.render_followup(i, "", True) for i in by_case.get(c.id, [])})
    rows.followups = {key: row for _, (_, mine) in followup_rows.items() for key, row in mine.items()}
    return rows


def build(state: Review, templates_dir: Path, out_dir: Path, as_of: date, cache: Cache = NO_CACHE) -> int:
    """Pages and search index → rendered files → disk. Returns the number of files written.

    Only pages whose inputs changed since the last build are rendered: every
    page's key joins its own inputs to what all pages share (templates,
    settings, the day, the code), and a page is reused only if the file on disk
    is the one that key produced.
    """
    # The notes' HTML is read from the cache only if a case page or the search index needs it.
    bodies = functools.cache(lambda: notes_html(state.project, cache))
    links = Links()
    site_pages = pages(state, as_of, bodies, links)
    shared = digest(*(p.read_bytes() for p in sorted(templates_dir.rglob("*.html"))),
                    state.project.digests.get(CONFIG_NAME, ""), as_of.isoformat(), state.transport,
                    repr(sorted((k, sorted(v.items())) for k, v in links.groups.items())), str(len(state.problems)))
    for page in site_pages:
        page.key = digest(shared, page.key)
    recorded = cache.load("pages", str(out_dir.resolve())) or {}
    # Forget what is on disk until this build has finished writing: a build cut short must not be trusted.
    cache.save("pages", str(out_dir.resolve()), {})
    out = Writer(out_dir, cache.folder / "site" if cache.folder else None)

    out.put("robots.txt", b"User-agent: *\nDisallow: /\n")
    keys = {page.path: page.key for page in site_pages}
    sent = sent_messages(state)
    keys.update((path, file_key(source)) for path, source in sent.items())
    # The downloads hold every case and follow-up: made again only when any of those changed.
    keys.update(dict.fromkeys(DOWNLOADS, all_cases_key(site_pages)))
    index = search_index(state, as_of, bodies, cache)
    keys.update((path, digest(data)) for path, data in index.items())
    done = out.keep({path: recorded[path][1:] for path, key in keys.items() if recorded.get(path, ("",))[0] == key})
    # The downloads hold every case twice over for a moment (58 MB at ten thousand cases): made before
    # the table rows and the pages take their share of memory, that moment is not the build's peak.
    if not done.issuperset(DOWNLOADS):
        for name, data in downloads(state, as_of, cache).items():
            if name not in done:
                out.put(name, data)

    env = make_env(templates_dir)
    todo = [page for page in site_pages if page.path not in done]
    if todo:
        rows = table_rows(state, Rows(env, shared_context(state, as_of, links)), shared, keys, cache)
        for page in todo:
            page.context.update(case_row=rows.case_row, followup_row=rows.followup_row)
        if any(page.template == "case.html" for page in todo):
            bodies()  # loaded here once, not again in each worker
    # Over many cases, the overview, each period's figures and the big tables take up to a second each: worth a core each.
    at_least = 2 if len(state.project.cases) >= workers.PARALLEL_FROM else workers.PARALLEL_FROM
    for path, written in render(todo, env, out, at_least):
        out.record(path, *written)
    for path, source in sent.items():
        if path not in done:
            try:
                out.put(path, read_regular(source, MAX_SHOWN_BYTES))
            except OSError:  # too large to carry, or swapped for a FIFO: its page says so
                del keys[path]
    for path, data in index.items():
        if path not in done:
            out.put(path, data)
    for path, data in assets(templates_dir / ASSETS):
        out.put(path, data)
    out.remove_rest()
    cache.save("pages", str(out_dir.resolve()), {path: (key, *out.kept[path]) for path, key in keys.items()})
    return out.written

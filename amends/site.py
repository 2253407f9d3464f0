"""Build the report site: decide the pages (pure), render them, write them."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment
from markupsafe import Markup

from . import charts, exports, figures, search, views, workers
from .cache import NO_CACHE, Cache, digest
from .config import CONFIG_NAME
from .markup import to_html
from .messages import Prepared, file_name
from .model import Case
from .plan import STATES
from .project import RACY_NS
from .send import Outbox, Review
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
    context: dict = field(default_factory=dict)
    # A digest of everything the page shows beyond what every page shares; None: always render.
    key: str | None = None


@dataclass
class Links:
    """Where each case, category, team, tag and customer has its page."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, section: str, name: str | None) -> str | None:
        return f"{section}/{self.groups[section][name]}.html" if name in self.groups.get(section, {}) else None

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


def message_page(item: Prepared) -> str | None:
    """Where the site shows a follow-up's message, if it has one to show."""
    if item.rendered is None:
        return None
    return "messages/" + file_name(item.followup.key).removesuffix(".eml") + ".html"


def pages(state: Review, as_of: date, bodies: dict[str, Markup], links: Links) -> list[Page]:
    """Every page of the site and what it shows; nothing is rendered or written here.

    `bodies` holds each case's notes as sanitized HTML, by case id; `links` is
    filled with where each group's page is.
    """
    out = group_pages(state.project.cases, links, state.project.digests)
    out += home_pages(state, as_of)
    out += case_pages(state, bodies)
    out += followup_pages(state)
    out.append(Page("search.html", "search.html", {"title": "Search", "section": "search"}))
    out.append(Page("problems.html", "problems.html", {"title": "Problems", "section": "problems",
                                                       "problems": state.problems}))
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
        "message_page": message_page, "tz": config.timezone, "currency": config.currency,
        "timeline": views.timeline,
    }



def group_pages(cases: list[Case], links: Links, inputs: dict[str, str]) -> list[Page]:
    """One index and one page per group, for each way of grouping; records where each group lives."""
    out = []
    for section, title, singular, grouping in SECTIONS:
        groups = grouping(cases)
        key = (lambda g: views.customer_key(g.cases[0])) if section == "customers" else (lambda g: g.name)
        links.groups[section] = {key(g): g.slug for g in groups}
        out.append(Page(f"{section}/index.html", "groups.html", {"title": title, "section": section, "groups": groups}))
        out += [Page(f"{section}/{g.slug}.html", "group.html", {
            "title": f"{singular}: {g.name}", "section": section, "group": g, "singular": singular, "cases": g.cases,
        }, key=digest(section, g.name, *(inputs[c.path] for c in g.cases))) for g in groups]
    return out


def home_pages(state: Review, as_of: date) -> list[Page]:
    """The overview (what to act on today, then figures), the figures per period, the lessons."""
    config, cases = state.project.config, state.project.cases
    promises_due, promises_broken = views.promises_to_watch(cases, as_of)
    # A follow-up due later today is not yet something to chase.
    attention = [i for i in state.prepared if not i.followup.is_task and i.followup.state in ATTENTION_STATES
                 and (i.followup.state != "due" or i.followup.due_at.date() <= as_of)]
    out = [Page("index.html", "home.html", {
        "title": "Overview", "section": "home",
        "figures": figures.figures(cases, figures.period("all", as_of)), "per_status": views.status_counts(cases),
        "case_count": len(cases),
        "open_cases": views.open_cases_by_age(cases, as_of), "attention_days": config.attention_days,
        "promises_due": promises_due, "promises_broken": promises_broken,
        "followups_attention": attention,
        "tasks": [i for i in state.prepared if i.followup.is_task and i.followup.state == "due"],
        "period": period_figures(cases, "month", as_of),
        "recent": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)[:10],
    })]
    for key in figures.PERIODS:
        period = period_figures(cases, key, as_of)
        out.append(Page(f"figures/{key}.html", "figures.html", {
            "title": f"Figures: {period['now'].period.label}", "section": "figures", "period": period,
            "periods": figures.PERIODS, "period_names": figures.PERIOD_NAMES,
            "charts": period_charts(cases, period["now"].period, as_of, config.currency),
        }))
    repeats = views.repeat_failures(cases)
    out.append(Page("lessons.html", "lessons.html", {
        "title": "Lessons", "section": "lessons", "repeats": repeats, "lesson_rows": LESSON_ROWS,
        "by_category": views.lessons(views.by_category(cases), repeats),
        "by_team": views.lessons(views.by_team(cases), repeats),
    }))
    return out


def followups_by_case(state: Review) -> dict[str, list[Prepared]]:
    by_case: dict[str, list[Prepared]] = {}
    for item in state.prepared:
        by_case.setdefault(item.followup.case.id, []).append(item)
    return by_case


def case_pages(state: Review, bodies: dict[str, Markup]) -> list[Page]:
    """The table of all cases, a page per case, and a printable letter where one is due."""
    config, cases = state.project.config, state.project.cases
    by_case = followups_by_case(state)
    filters = [(name, label, sorted({v for v in map(value, cases) if v}, key=str.casefold))
               for name, label, value in FILTERS]
    out = [Page("cases/index.html", "cases.html", {
        "title": "All cases", "section": "cases", "filters": filters,
        "cases": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True),
    })]
    for case in cases:
        mine = by_case.get(case.id, [])
        file = state.project.digests[case.path]
        out.append(Page(f"cases/{case.id}.html", "case.html", {
            "title": case.title, "section": "cases", "case": case, "followups": mine,
            "body_html": bodies[case.id],
        }, key=digest(file, *map(followup_digest, mine))))
        if any(item.followup.kind == "letter" for item in mine):
            out.append(Page(f"letters/{case.id}.html", "letter.html", {
                "title": f"Letter: {case.title}", "section": "followups", "case": case, "signature": config.signature,
                "business_phone": config.business_phone, "business_email": config.business_email,
            }, key=file))
    return out


def followup_pages(state: Review) -> list[Page]:
    """Every follow-up by state, and each message still to go, readable."""
    out = [Page(message_page(item), "message.html", {
        "title": f"{item.followup.kind}: {item.followup.case.title}", "section": "followups",
        "item": item, "message": item.rendered,
    }, key=followup_digest(item)) for item in state.prepared if item.rendered is not None]
    out.append(Page("followups.html", "followups.html", {
        "title": "Follow-ups", "section": "followups", "states": STATES,
        "by_state": {s: [i for i in state.prepared if i.followup.state == s] for s in STATES},
        "transport": state.transport,
    }))
    return out


def period_figures(cases: list[Case], key: str, as_of: date) -> dict:
    """A period's figures beside those of the period before."""
    now = figures.period(key, as_of)
    before = figures.previous(now)
    return {"key": key, "now": figures.figures(cases, now), "before": figures.figures(cases, before) if before else None}


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


def followup_digest(item: Prepared) -> str:
    """What a follow-up shows: its state and times, and the words of its message."""
    f = item.followup
    return digest(f.key, f.state, f.reason, str(f.due_at), str(f.when), item.rendered.digest if item.rendered else "")


def render(site_pages: list[Page], env: Environment) -> Iterator[tuple[str, bytes]]:
    """Each page's path and bytes, in order; on every core when there are many."""
    rendered = workers.each(lambda page: env.get_template(page.template).render(page.context).encode("utf-8"), site_pages)
    return zip((page.path for page in site_pages), rendered)


def sent_messages(state: Review) -> dict[str, bytes]:
    """The exact .eml of every message handed to a transport, to open from the site."""
    outbox = Outbox(state.project.root / "outbox")
    files = {}
    for item in state.prepared:
        path = outbox.message(item.followup.key)
        if item.followup.state in ("sent", "check") and path.is_file():
            files[f"messages/{path.name}"] = path.read_bytes()
    return files


class Writer:
    """Puts files into a folder, touching only those whose content changed; then removes the rest."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.kept, self.written = folder, set(), 0

    def put(self, name: str, data: bytes | None) -> None:
        """Write a file; None means the file on disk is already right. No two files may share a name."""
        if name in self.kept:
            raise ValueError(f"two pages would be written to {name}")
        self.kept.add(name)
        if data is None:
            return
        path = self.folder / name
        if path.is_file() and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written += 1

    def remove_rest(self) -> None:
        """Files and folders put there by no one this time: pages of deleted cases or groups must not linger."""
        for folder, dirs, files in os.walk(self.folder, topdown=False):
            where = os.path.relpath(folder, self.folder).replace(os.sep, "/")
            for name in files:
                if (name if where == "." else f"{where}/{name}") not in self.kept:
                    os.unlink(os.path.join(folder, name))
            if folder != str(self.folder) and not os.listdir(folder):
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
        "cases.csv": exports.cases_csv(cases, [parts[c.id][1][0] for c in cases]).encode("utf-8"),
        "cases.json": exports.cases_json(cases, [parts[c.id][1][1] for c in cases]).encode("utf-8"),
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
    known = cache.load(name, key) or {}
    made = reuse(known, cases, version, make)
    if made != known:
        cache.save(name, key, made)
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


def search_index(state: Review, as_of: date, bodies: dict[str, Markup], cache: Cache) -> dict[str, bytes]:
    """The search index's files by path in the site, reading the words only of cases that changed."""
    cases, model = state.project.cases, model_key(state, as_of)
    before = cache.load("search", "index")
    found = reuse(before.words if before else {}, cases, lambda c: digest(model, state.project.digests[c.path]),
                  lambda c: search.case_words(c, bodies[c.id]))
    made = search.index(cases, found, before)
    if before is None or (made.order, made.words, made.files) != (before.order, before.words, before.files):
        cache.save("search", "index", made)
    return {f"{search.FOLDER}/{name}": data for name, data in made.files.items()}


def notes_html(cases: list[Case], cache: Cache) -> dict[str, Markup]:
    """Each case's Markdown notes as safe HTML, rendering only notes not rendered before."""
    known = cache.load("markdown", "notes") or {}
    keys = {case.id: digest(case.body) for case in cases}
    missing = sorted({key for key in keys.values() if key not in known})
    if missing:
        texts = {keys[case.id]: case.body for case in cases}
        known.update((key, str(to_html(texts[key]))) for key in missing)
    used = {key: known[key] for key in set(keys.values())}
    if missing or len(used) != len(known):
        cache.save("markdown", "notes", used)
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


def table_rows(state: Review, rows: Rows, shared: str, page_keys: dict[str, str | None], cache: Cache) -> Rows:
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


def unchanged_pages(out_dir: Path, recorded: dict[str, tuple[str, int]]) -> dict[str, str]:
    """Pages on disk that are still as recorded (same size): path → the key they were rendered from."""
    done = {}
    for path, (key, size) in recorded.items():
        try:
            if (out_dir / path).stat().st_size == size:
                done[path] = key
        except OSError:
            pass  # gone: render it again
    return done


def build(state: Review, templates_dir: Path, out_dir: Path, as_of: date, cache: Cache = NO_CACHE) -> int:
    """Pages and search index → rendered files → disk. Returns the number of files written.

    Only pages whose inputs changed since the last build are rendered: every
    page's key joins its own inputs to what all pages share (templates,
    settings, the day, the code), and a page is reused only if the file on disk
    is the one that key produced.
    """
    bodies = notes_html(state.project.cases, cache)
    links = Links()
    site_pages = pages(state, as_of, bodies, links)
    shared = digest(*(p.read_bytes() for p in sorted(templates_dir.rglob("*.html"))),
                    state.project.digests.get(CONFIG_NAME, ""), as_of.isoformat(), state.transport,
                    repr(sorted((k, sorted(v.items())) for k, v in links.groups.items())), str(len(state.problems)))
    for page in site_pages:
        page.key = digest(shared, page.key) if page.key is not None else None
    recorded = cache.load("pages", str(out_dir.resolve())) or {}
    done = unchanged_pages(out_dir, recorded)
    page_keys = {page.path: page.key for page in site_pages}
    # Forget what is on disk until this build has finished writing: a build cut short must not be trusted.
    cache.save("pages", str(out_dir.resolve()), {})
    out = Writer(out_dir)
    out.put("robots.txt", b"User-agent: *\nDisallow: /\n")
    for page in site_pages:
        if page.key is not None and done.get(page.path) == page.key:
            out.put(page.path, None)
    env = make_env(templates_dir)
    todo = [p for p in site_pages if p.key is None or done.get(p.path) != p.key]
    if todo:
        rows = table_rows(state, Rows(env, shared_context(state, as_of, links)), shared, page_keys, cache)
        for page in todo:
            page.context.update(case_row=rows.case_row, followup_row=rows.followup_row)
    for path, data in render(todo, env):
        out.put(path, data)
    for path, data in sent_messages(state).items():
        out.put(path, data)
    # The downloads hold every case and follow-up: made again only when any of those changed.
    every = digest(*(page.key for page in site_pages if page.template == "case.html"))
    keys = {page.path: page.key for page in site_pages if page.key is not None}
    made = {} if all(done.get(name) == every for name in DOWNLOADS) else downloads(state, as_of, cache)
    for name in DOWNLOADS:
        keys[name] = every
        out.put(name, made.get(name))
    # The search files are small and many: each is written only when its bytes changed.
    for path, data in search_index(state, as_of, bodies, cache).items():
        keys[path] = digest(data)
        out.put(path, None if done.get(path) == keys[path] else data)
    for path, data in assets(templates_dir / ASSETS):
        out.put(path, data)
    out.remove_rest()
    cache.save("pages", str(out_dir.resolve()), {path: (key, (out_dir / path).stat().st_size) for path, key in keys.items()})
    return out.written

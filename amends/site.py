"""Build the report site: decide the pages (pure), render them, write them."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from . import charts, exports, figures, views
from .cache import NO_CACHE, Cache, digest
from .config import CONFIG_NAME
from .markup import to_html_many
from .messages import Prepared, file_name
from .model import Case
from .plan import STATES
from .send import Outbox, Review
from .templating import make_env

log = logging.getLogger(__name__)

ASSETS = "assets"
SEARCH = "pagefind"
# Follow-up states someone must act on; "due" only for what falls due by today.
ATTENTION_STATES = ("due", "blocked", "missed", "failed", "check", "approval")
# The cases table's filters: (name, label, the value a case has).
FILTERS = (
    ("status", "Status", views.status_label), ("team", "Team", lambda c: c.team),
    ("category", "Category", lambda c: c.category), ("fault", "Fault", lambda c: c.fault),
    ("severity", "Severity", lambda c: c.severity), ("channel", "Channel", lambda c: c.channel),
)
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
    config, cases = state.project.config, state.project.cases
    out = group_pages(cases, links, state.project.digests)
    out += home_pages(state, as_of)
    out += case_pages(state, bodies)
    out += followup_pages(state)
    out.append(Page("search.html", "search.html", {"title": "Search", "section": "search"}))
    out.append(Page("problems.html", "problems.html", {"title": "Problems", "section": "problems",
                                                       "problems": state.problems}))

    shared = {
        "business": config.business_name, "as_of": as_of, "links": links,
        "status_label": views.status_label, "problem_count": len(state.problems),
        "message_page": message_page, "tz": config.timezone, "currency": config.currency,
    }
    for page in out:
        page.context = {**shared, "root": "../" * page.path.count("/"), **page.context}
    return out


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
        "title": "Lessons", "section": "lessons", "repeats": repeats,
        "by_category": views.lessons(views.by_category(cases), repeats),
        "by_team": views.lessons(views.by_team(cases), repeats),
    }))
    return out


def case_pages(state: Review, bodies: dict[str, Markup]) -> list[Page]:
    """The table of all cases, a page per case, and a printable letter where one is due."""
    config, cases = state.project.config, state.project.cases
    by_case: dict[str, list[Prepared]] = {}
    for item in state.prepared:
        by_case.setdefault(item.followup.case.id, []).append(item)
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
            "title": case.title, "section": "cases", "case": case, "timeline": views.timeline(case), "followups": mine,
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


def render(site_pages: list[Page], env: Environment, done: dict[str, str] | None = None) -> dict[str, bytes | None]:
    """Render each page; two pages may never claim the same path.

    A page whose key is in `done` (path → key) is already on disk as rendered
    from the same inputs: it maps to None instead of being rendered again.
    """
    files: dict[str, bytes | None] = {"robots.txt": b"User-agent: *\nDisallow: /\n"}
    for page in site_pages:
        if page.path in files:
            raise ValueError(f"two pages would be written to {page.path}")
        if page.key is not None and done and done.get(page.path) == page.key:
            files[page.path] = None
            continue
        files[page.path] = env.get_template(page.template).render(page.context).encode("utf-8")
    return files


def sent_messages(state: Review) -> dict[str, bytes]:
    """The exact .eml of every message handed to a transport, to open from the site."""
    outbox = Outbox(state.project.root / "outbox")
    files = {}
    for item in state.prepared:
        path = outbox.message(item.followup.key)
        if item.followup.state in ("sent", "check") and path.is_file():
            files[f"messages/{path.name}"] = path.read_bytes()
    return files


def sync(wanted: dict[Path, bytes | None], folder: Path, keep: tuple[str, ...] = ()) -> int:
    """Make `folder` hold exactly `wanted`, touching only files whose content changed.

    None means the file on disk is already right. Top-level folders named in
    `keep` are left alone. Returns how many files were written.
    """
    written = 0
    for path, data in wanted.items():
        if data is None or (path.is_file() and path.read_bytes() == data):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    # Pages of deleted cases or groups must not linger.
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.relative_to(folder).parts[0] in keep:
            continue
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return written


def write_site(out_dir: Path, files: dict[str, bytes | None], assets_dir: Path) -> int:
    """Write the pages and the assets; the search index has its own writer."""
    wanted = {out_dir / name: data for name, data in files.items()}
    if assets_dir.is_dir():
        for asset in sorted(assets_dir.rglob("*")):
            if asset.is_file():
                wanted[out_dir / ASSETS / asset.relative_to(assets_dir)] = asset.read_bytes()
    return sync(wanted, out_dir, keep=(SEARCH,))


DOWNLOADS = ("cases.csv", "cases.json", "followups.ics")


def downloads(state: Review, as_of: date) -> dict[str, bytes]:
    """The cases for spreadsheets, and a calendar to subscribe to."""
    cases = state.project.cases
    return {
        "cases.csv": exports.cases_csv(cases).encode("utf-8"),
        "cases.json": exports.cases_json(cases).encode("utf-8"),
        "followups.ics": exports.calendar([p.followup for p in state.prepared], cases,
                                          state.project.config.business_name, as_of),
    }


def index_search(out_dir: Path) -> int:
    """Build the offline full-text index of the case pages into site/pagefind/ (Pagefind, run locally)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out_dir), "--output-path", tmp],
                       check=True, capture_output=True)
        made = {out_dir / SEARCH / p.relative_to(tmp): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
    (out_dir / SEARCH).mkdir(exist_ok=True)
    return sync(made, out_dir / SEARCH)


def notes_html(cases: list[Case], cache: Cache) -> dict[str, Markup]:
    """Each case's Markdown notes as safe HTML, rendering only notes not rendered before."""
    known = cache.load("markdown", "notes") or {}
    keys = {case.id: digest(case.body) for case in cases}
    missing = sorted({key for key in keys.values() if key not in known})
    if missing:
        texts = {keys[case.id]: case.body for case in cases}
        known.update(zip(missing, to_html_many([texts[key] for key in missing])))
    used = {key: known[key] for key in set(keys.values())}
    if missing or len(used) != len(known):
        cache.save("markdown", "notes", used)
    return {case_id: Markup(used[key]) for case_id, key in keys.items()}


def fingerprint(root: Path, as_of: date) -> str:
    """A digest of every input of the site (case files, templates, settings, ledger, sent messages) and the day.

    It reads each file's size and change times, not its bytes: any write to a
    file moves its ctime, which no tool can set back, so a change cannot hide.
    """
    parts = [as_of.isoformat()]
    for folder in (root / "cases", root / "templates" / "site", root / "outbox"):
        parts += [f"{name}:{size}:{mtime}:{ctime}" for name, (size, mtime, ctime) in sorted(_files(folder).items())
                  if folder.name != "outbox" or name == "ledger.jsonl" or name.startswith("messages/")]
    config = root / CONFIG_NAME
    parts.append(config.read_bytes() if config.is_file() else b"")
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
    """Pages → rendered files → disk → search index. Returns the number of files written.

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
    files = render(site_pages, make_env(templates_dir), done)
    files.update(sent_messages(state))
    # The downloads hold every case and follow-up: made again only when any of those changed.
    every = digest(shared, *sorted(state.project.digests.values()), *map(followup_digest, state.prepared))
    keys = {page.path: page.key for page in site_pages if page.key is not None}
    if all(done.get(name) == every for name in DOWNLOADS):
        files.update(dict.fromkeys(DOWNLOADS))
    else:
        files.update(downloads(state, as_of))
    keys.update(dict.fromkeys(DOWNLOADS, every))
    written = write_site(out_dir, files, templates_dir / ASSETS)
    cache.save("pages", str(out_dir.resolve()), {path: (key, (out_dir / path).stat().st_size) for path, key in keys.items()})
    # The index is made again whenever a case page changed, or when the last indexing did not finish.
    indexed = digest(*(keys[path] for path in sorted(keys) if path.startswith("cases/")))
    if cache.load("search", str(out_dir.resolve())) != indexed or not (out_dir / SEARCH).is_dir():
        try:
            written += index_search(out_dir)
            cache.save("search", str(out_dir.resolve()), indexed)
        except (OSError, subprocess.CalledProcessError) as error:
            # The pages are right; only search lags. The next build tries again.
            detail = getattr(error, "stderr", b"") or b""
            log.warning("the search index could not be updated (%s); the next build tries again",
                        detail.decode("utf-8", "replace").strip() or error)
    return written

"""Build the report site: decide the pages (pure), render them, write them."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, time as clock
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, meta
from markupsafe import Markup

from amends.cases.config import CONFIG_NAME
from amends.cases.project import Project, Settings, read_settings, summary
from amends.followups.mail import MAX_SHOWN_BYTES
from amends.followups.messages import Prepared
from amends.followups.review import Review, review
from amends.incremental import workers
from amends.incremental.cache import FOLDER as CACHE_FOLDER, NO_CACHE, Cache, digest
from amends.incremental.files import RACY_NS, _files, file_key, manifest, read_regular
from amends.incremental.output import Writer
from amends.incremental.progress import NO_PROGRESS, Progress
from amends.model import Attachment, Case, Problem
from amends.report import attachments, exports, search
from amends.report.aggregates import Aggregates
from amends.report.markup import to_html
from amends.report.pages import (AGGREGATE_TEMPLATES, CALENDAR, Links, Page, cases_by_year, downloads_page, export_names,
                                 followups_by_case, in_site, pages, sent_messages, shared_context)
from amends.templating import format_date, make_env


ASSETS = "assets"
CASE_ROW, FOLLOWUP_ROW = ROW_TEMPLATES = ("_case_row.html", "_followup_row.html")
T = TypeVar("T")


class Rows:
    """Table rows rendered once for every page that shows them, and reused from the last build.

    At ten thousand cases the tables of cases (the index, each year's, each
    group's) and of follow-ups hold tens of thousands of rows; rendering each
    row once instead of on every page is most of the work of those pages.
    `cases` holds rows for pages one folder down (where every cases table but
    the home page's is), `followups` those of the pages of follow-ups (at the
    top, with the case shown), by follow-up key. Any other row is rendered when asked for.
    """

    def __init__(self, env: Environment, shared: dict) -> None:
        self.case_template, self.followup_template = env.get_template(CASE_ROW), env.get_template(FOLLOWUP_ROW)
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


def assets(assets_dir: Path) -> Iterator[tuple[str, bytes]]:
    """The stylesheet, scripts and icon, copied as they are."""
    if assets_dir.is_dir():
        for asset in sorted(assets_dir.rglob("*")):
            if asset.is_file():
                yield f"{ASSETS}/{asset.relative_to(assets_dir).as_posix()}", asset.read_bytes()


STATUS = f"{ASSETS}/status.css"


def status_css(as_of: date, problems: int) -> bytes:
    """What every page shows that changes with no case changing: the day of the report, and the number of
    problems in the case files (no badge when there are none). One small file, rewritten when they change."""
    day = format_date(as_of)
    rules = [f'.asof::after {{ content: "as of {day}"; }}', f'.built-as-of::after {{ content: " as of {day}"; }}',
             f'.problem-count::after {{ content: "{problems}"; }}' if problems else ".problem-count { display: none; }"]
    return ("/* Made by amends at each build. */\n" + "\n".join(rules) + "\n").encode("utf-8")


def template_reads(env: Environment, name: str, seen: tuple[str, ...] = ()) -> frozenset[str] | None:
    """Every variable a template reads from its context, with those of the templates it extends,
    includes or imports: a page's key holds the day or the number of problems only if its template reads them.
    None when a template is named at run time (from a variable): it could read anything.
    """
    source, _, _ = env.loader.get_source(env, name)
    tree = env.parse(source)
    found = set(meta.find_undeclared_variables(tree))
    for other in meta.find_referenced_templates(tree):
        more = template_reads(env, other, (*seen, name)) if other is not None and other not in seen else frozenset()
        if other is None or more is None:
            return None
        found |= more
    return frozenset(found)


def download_keys(state: Review, as_of: date) -> dict[str, str]:
    """The key of every download, by its name in the site: a year's files hold that year's cases and
    nothing else, and the calendar what is still to come."""
    model, inputs, keys = model_key(state), state.project.digests, {}
    for year, cases in cases_by_year(state.project.cases).items():
        keys.update(dict.fromkeys(export_names(year), digest(model, *(p for c in cases for p in (
            c.path, inputs[c.path], attachments.key(c))))))
    entries = exports.calendar_entries([i.followup for i in state.prepared], state.project.cases, as_of,
                                       state.project.config.every)
    keys[CALENDAR] = digest(as_of.isoformat(), state.project.config.business_name, *map(repr, entries))
    return keys


def downloads(state: Review, as_of: date, names: set[str], cache: Cache = NO_CACHE) -> dict[str, bytes]:
    """The downloads among `names`: a year's cases for spreadsheets and other tools, each case's part made
    only when it changed; a calendar to subscribe to."""
    inputs, model, made = state.project.digests, model_key(state), {}
    years = {year: cases for year, cases in cases_by_year(state.project.cases).items()
             if not names.isdisjoint(export_names(year))}
    # Each file is whole on its own: a compensation column for each currency of its own cases.
    columns = {year: exports.currencies(cases) for year, cases in years.items()}
    known = {}
    for year in years:
        known.update(cache.load_parts(f"exports-{year}", model))
    # The parts of every year to make again in one pass, on every core.
    parts = reuse(known, [c for cases in years.values() for c in cases],
                  lambda c: digest(c.path, inputs[c.path], attachments.key(c), *columns[c.opened.year]),
                  lambda c: (exports.csv_line(c, columns[c.opened.year]), exports.json_record(c)))
    for year, cases in years.items():
        cache.save_parts(f"exports-{year}", model, {c.id: parts[c.id] for c in cases})
        csv_name, json_name = export_names(year)
        made[csv_name] = exports.cases_csv(cases, [parts[c.id][1][0] for c in cases])
        made[json_name] = exports.cases_json(cases, [parts[c.id][1][1] for c in cases])
    if CALENDAR in names:
        events = cache.load("calendar", as_of.isoformat()) or {}
        count = len(events)
        made[CALENDAR] = exports.calendar([p.followup for p in state.prepared], state.project.cases,
                                          state.project.config.business_name, as_of, events, state.project.config.every)
        if len(events) != count:
            cache.save("calendar", as_of.isoformat(), events)
    return {name: data for name, data in made.items() if name in names}


def model_key(state: Review) -> str:
    """Beyond its own file, what a valid case's model depends on: the settings (defaults). Never the day:
    a case's check expires on the day it could say something else (see load_project)."""
    return digest(state.project.digests.get(CONFIG_NAME, ""))


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


def kept_aggregates(state: Review, cache: Cache) -> Aggregates:
    """The aggregates of every case, kept by difference from those of the last build that needed them:
    only the cases whose file changed, or whose follow-ups moved, are taken out and put in again."""
    config, cases, by_case = state.project.config, state.project.cases, followups_by_case(state)
    versions = {case.id: state.project.digests[case.path] for case in cases}
    # What the aggregates keep of a case's follow-ups: each one's state, kind and due time.
    plans = {case_id: tuple((i.followup.state, i.followup.is_task, i.followup.due_at) for i in items)
             for case_id, items in by_case.items()}
    before = cache.load("aggregates", model_key(state))
    if before is None:
        agg = Aggregates(config)
        agg.update(cases, (), by_case)
    else:
        old_versions, old_plans, kept = before
        agg = Aggregates.restore(config, kept, cases, by_case)
        changed = [case for case in cases if old_versions.get(case.id) != versions[case.id]]
        removed = [case_id for case_id in old_versions if case_id not in versions]
        moved = [case_id for case_id in plans.keys() | old_plans.keys() if plans.get(case_id) != old_plans.get(case_id)]
        if not (changed or removed or moved):
            return agg
        agg.update(changed, removed, {case_id: by_case.get(case_id, []) for case_id in [*moved, *(c.id for c in changed)]})
    cache.save("aggregates", model_key(state), (versions, plans, agg.kept))
    return agg


def search_index(state: Review, bodies: Callable[[], dict[str, Markup]], cache: Cache) -> dict[str, bytes]:
    """The search index's files by path in the site, reading the words only of cases that changed."""
    cases, model = state.project.cases, model_key(state)
    before = cache.load("search", "index")
    found = reuse(before.words if before else {}, cases,
                  lambda c: digest(model, state.project.digests[c.path], attachments.key(c)),
                  lambda c: search.case_words(c, bodies()[c.id]))
    made = search.index(cases, found, before)
    if before is None or (made.order, made.words, made.files) != (before.order, before.words, before.files):
        cache.save("search", "index", made)
    return {f"{search.FOLDER}/{name}": data for name, data in made.files.items()}


def notes_html(project: Project, cache: Cache) -> dict[str, Markup]:
    """Each case's Markdown notes as safe HTML, rendering only the notes of case files that changed."""
    known = cache.load_parts("markdown", "notes")
    # By the digest of the case file, which is known already (hashing 30 MB of notes again costs a tenth of a
    # second), and the case's id and attachments, which name the images and files the notes show.
    keys = {case.id: digest(project.digests[case.path], case.id, attachments.key(case)) for case in project.cases}
    missing = sorted({key for key in keys.values() if key not in known})
    if missing:
        cases = {keys[case.id]: case for case in project.cases}
        known.update(zip(missing, workers.each(
            lambda key: str(to_html(cases[key].body, *attachments.note_links(cases[key], "../"))), missing)))
    used = {key: known[key] for key in set(keys.values())}
    cache.save_parts("markdown", "notes", used)
    return {case_id: Markup(used[key]) for case_id, key in keys.items()}


def fingerprint(root: Path, as_of: date, settings: Settings) -> str:
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
    parts.append(settings.digest)
    # Times tick coarsely: a file changed just now could change again unseen, so such a fingerprint never matches.
    now = time.time_ns()
    if newest >= now - RACY_NS:
        parts.append(str(now))
    return digest(*parts)


def table_rows(state: Review, rows: Rows, keys: Callable[[str], str], links: Links, page_keys: dict[str, str],
               cache: Cache) -> Rows:
    """`rows` filled with every case's and follow-up's row, made again only where its case changed.

    `keys(template)` is what a row made with that template shows beyond its case.
    """
    cases, by_case = state.project.cases, followups_by_case(state)
    case_rows = per_case(cache, "rows", keys(CASE_ROW), cases, lambda c: links.rows[c.id],
                         lambda c: rows.render_case(c, "../"))
    rows.cases = {case_id: row for case_id, (_, row) in case_rows.items()}
    # A follow-up's row shows its case too: both are in the case page's key.
    followup_rows = per_case(cache, "followup-rows", keys(FOLLOWUP_ROW), cases, lambda c: page_keys[f"cases/{c.id}.html"],
                             lambda c: {i.followup.key: rows.render_followup(i, "", True) for i in by_case.get(c.id, [])})
    rows.followups = {key: row for _, (_, mine) in followup_rows.items() for key, row in mine.items()}
    return rows


def copy_attachments(files: dict[str, tuple[str, str, Attachment]], done: set[str], out: Writer,
                     root: Path) -> Iterator[tuple[str, tuple[str, int, bool] | None]]:
    """Make and write the site's files of attachments (`files`, from attachments.site_files) that are not
    in place (`done`): each path and what `out.write` said, or None when it could not be made."""
    todo: dict[tuple[str, Attachment], list[str]] = {}
    for path, (_, case_id, attachment) in files.items():
        if path not in done:
            todo.setdefault((case_id, attachment), []).append(path)

    def one(item: tuple[tuple[str, Attachment], list[str]]) -> list[tuple[str, tuple[str, int, bool] | None]]:
        (case_id, attachment), paths = item
        made = attachments.made(case_id, attachment, str(root))
        return [(path, out.write(path, made[path]) if path in made else None) for path in paths]

    # Re-encoding a photo takes a moment: worth a core each when a cold build copies many.
    for written in workers.each(one, list(todo.items()), 16):
        yield from written


def build(state: Review, templates_dir: Path, out_dir: Path, as_of: date, cache: Cache = NO_CACHE,
          progress: Progress = NO_PROGRESS) -> int:
    """Pages and search index → rendered files → disk. Returns the number of files written.

    Only pages whose inputs changed since the last build are rendered: every
    page's key joins its own inputs to what all pages share (templates,
    settings, the code) and to what changes with no case changing (the day,
    the number of problems) when its template reads it. A page is reused only
    if the file on disk is the one that key produced. What every page shows of
    the day and the problems is in assets/status.css, so a new day rewrites only
    the pages that show ages and due dates.
    """
    progress.phase("preparing the pages")
    # The notes' HTML is read from the cache only if a case page or the search index needs it.
    bodies = functools.cache(lambda: notes_html(state.project, cache))
    aggregates = functools.cache(lambda: kept_aggregates(state, cache))
    links = Links()
    site_pages = pages(state, as_of, bodies, links, aggregates)
    recorded = cache.load("pages", str(out_dir.resolve())) or {}
    # Forget what is on disk until this build has finished writing: a build cut short must not be trusted.
    # Committed before the first file changes, since rolling back a cut-short build would bring back the old record.
    cache.save("pages", str(out_dir.resolve()), {})
    cache.commit()
    out = Writer(out_dir, cache.folder / "site" if cache.folder else None)
    out.put("robots.txt", b"User-agent: *\nDisallow: /\n")

    keys = download_keys(state, as_of)
    done = out.keep({path: recorded[path][1:] for path, key in keys.items() if recorded.get(path, ("",))[0] == key})
    # A year's downloads hold its cases twice over for a moment: made before the table rows and the
    # pages take their share of memory, that moment is not the build's peak.
    progress.phase("making the downloads")
    for name, data in downloads(state, as_of, keys.keys() - done, cache).items():
        out.put(name, data)
    # The downloads page shows the size of each: known now.
    site_pages += in_site([downloads_page({name: out.kept[name][1] for name in keys}, cases_by_year(state.project.cases))],
                          shared_context(state, as_of, links))

    env = make_env(templates_dir)
    shared = digest(*(p.read_bytes() for p in sorted(templates_dir.rglob("*.html"))),
                    state.project.digests.get(CONFIG_NAME, ""), state.transport)
    varying = {"as_of": as_of.isoformat(), "problem_count": str(len(state.problems))}
    # Reading a template's variables compiles it: worth keeping while the templates are the same.
    reads = cache.load("template-reads", shared)
    if reads is None:
        reads = {name: template_reads(env, name) for name in {p.template for p in site_pages} | set(ROW_TEMPLATES)}
        cache.save("template-reads", shared, reads)

    @functools.cache
    def key_of(template: str) -> str:
        what = reads[template]
        return digest(shared, *(f"{name}={value}" for name, value in varying.items() if what is None or name in what))

    for page in site_pages:
        page.key = digest(key_of(page.template), page.key)
    keys.update((page.path, page.key) for page in site_pages)
    sent = sent_messages(state)
    keys.update((path, file_key(source)) for path, source in sent.items())
    kept_files = attachments.site_files(state.project.cases)
    keys.update((path, made) for path, (made, _, _) in kept_files.items())
    progress.phase("indexing the cases for search")
    index = search_index(state, bodies, cache)
    keys.update((path, digest(data)) for path, data in index.items())
    done |= out.keep({path: recorded[path][1:] for path, key in keys.items()
                      if path not in out.kept and recorded.get(path, ("",))[0] == key})

    todo = [page for page in site_pages if page.path not in done]
    if todo:
        progress.phase("rendering the table rows")
        rows = table_rows(state, Rows(env, shared_context(state, as_of, links)), key_of, links, keys, cache)
        for page in todo:
            page.context.update(case_row=rows.case_row, followup_row=rows.followup_row)
        if any(page.template == "case.html" for page in todo):
            bodies()  # loaded here once, not again in each worker
        if any(page.template in AGGREGATE_TEMPLATES for page in todo):
            aggregates()  # brought up to date here, and kept for the next build
    # Over many cases, the overview, each period's figures and the big tables take up to a second each: worth a core each.
    at_least = 2 if len(state.project.cases) >= workers.PARALLEL_FROM else workers.PARALLEL_FROM
    for path, written in progress.count(render(todo, env, out, at_least), "writing pages", len(todo)):
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
    progress.phase("copying the attachments")
    for path, written in copy_attachments(kept_files, done, out, state.project.root):
        if written is None:  # changed or gone since it was checked: the next build copies it
            del keys[path]
        else:
            out.record(path, *written)
    for path, data in assets(templates_dir / ASSETS):
        out.put(path, data)
    out.put(STATUS, status_css(as_of, len(state.problems)))
    out.remove_rest()
    cache.save("pages", str(out_dir.resolve()), {path: (key, *out.kept[path]) for path, key in keys.items()})
    return out.written


def build_site(root: Path, now: datetime, memory: dict | None = None, settings: Settings | None = None,
               progress: Progress = NO_PROGRESS) -> tuple[str, list[Problem], int]:
    """Read, validate, plan and write the site; return a summary, the problems and the files written.

    The site shows the follow-ups as of noon on the day, so that two builds on
    the same day from the same files are identical, whatever the time. When no
    input changed since the last build and site/ is as that build left it,
    nothing is read or written at all. `memory` keeps the cache's entries
    between builds of one long-running command (see Cache). amends.yaml is
    read unless its `settings` are given.
    """
    settings = settings or read_settings(root)
    tz = ZoneInfo(settings.config.timezone)
    as_of = now.astimezone(tz).date()
    out = root / "site"
    with Cache(root / CACHE_FOLDER, memory) as cache:
        inputs = fingerprint(root, as_of, settings)
        last = cache.load("build", inputs)
        if last is not None and manifest(out) == last["manifest"]:
            return last["summary"], last["problems"], 0
        state = review(root, datetime.combine(as_of, clock(12, 0), tz), cache=cache, settings=settings, progress=progress)
        # What the review worked out stands whatever becomes of the site (a template that does not compile, say).
        cache.commit()
        written = build(state, root / "templates" / "site", out, as_of, cache, progress)
        result = summary(state.project), state.problems
        cache.save("build", inputs, {"manifest": manifest(out), "summary": result[0], "problems": result[1]})
    return *result, written

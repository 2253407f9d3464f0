"""Aggregates kept by difference equal today's functions over the whole collection, after any change.

The generic folds (amends.incremental.folds) are held to a recompute from the contributions they were
given. The report's aggregates (amends.report.aggregates) are held to the functions the pages use today
(views, figures, and the follow-up lists of contexts and pages): a seeded random walk over a demo
project edits, adds, removes and renames case files, appends to the ledger and moves the day, and
after every step each kept aggregate must equal the recompute. A failure names the seed and the step.
"""
from __future__ import annotations

import pickle
import random
import re
import shutil
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from amends import cli, demo
from amends.followups import ledger
from amends.followups.plan import STATES, before_since
from amends.cases.config import Config
from amends.followups.review import Outbox, Review, review
from amends.incremental.folds import Count, Index, Order
from amends.model import FAULTS, STATUSES, Accommodation, Case, Contact, Customer, Promise
from amends.report import figures, views
from amends.report.aggregates import Aggregates
from amends.report.contexts import ATTENTION_STATES
from conftest import REPO

DAY = date(2026, 11, 22)
SEEDS = (1, 2, 3)
STEPS = 24
# Values a change writes, with spellings that one label_key makes one label, and amounts written to different places.
LABELS = ["Billing", "billing", "Café", "Cafe\u0301", "Delivery", "Online orders"]
TAGS = ["bread", "Bread", "café", "cafe\u0301", "wholesale", "open-day-invoice", "care-home-crates"]
AMOUNTS = ["0", "12", "12.5", "7.25", "100.00", "1E+1"]
NAMES = ["Anna Weber", "Jiří Lund", "Some One"]


# --------------------------------------------------------------------------
# The generic folds, against a recompute from what they were given
# --------------------------------------------------------------------------
def month(group: tuple[str, int]) -> tuple[str, int]:
    return "month", group[1] // 100


def test_count_sums_what_each_key_contributes_and_takes_it_back():
    fold = Count()
    fold.add("a", {"g": {"x": 2, "y": Decimal("1.50")}})
    fold.add("b", {"g": {"x": 3}, "h": {"z": 0}})
    assert fold.totals("g") == {"x": 5, "y": Decimal("1.50")}
    assert fold.totals("h") == {"z": 0}  # a sum of zero is still there while a key adds to it
    fold.add("b", {"g": {"x": 1}})  # in place of what b gave before
    assert fold.totals("g") == {"x": 3, "y": Decimal("1.50")} and "h" not in set(fold.groups())
    fold.remove("a")
    assert fold.totals("g") == {"x": 1}
    fold.remove("b")
    fold.remove("never added")
    assert list(fold.groups()) == [] and fold.parts == {}


def test_count_rolls_groups_up():
    fold = Count(rollup=month)
    fold.add("a", {("day", 20261122): {"n": 1}, ("day", 20261130): {"n": 2}})
    fold.add("b", {("day", 20261201): {"n": 4}})
    assert fold.totals(("month", 202611)) == {"n": 3} and fold.totals(("month", 202612)) == {"n": 4}
    fold.remove("a")
    assert fold.totals(("month", 202611)) == {} and fold.totals(("day", 20261122)) == {}


def test_order_keeps_sort_keys_sorted_and_reads_them_by_range():
    fold = Order()
    fold.add("b", [("g", (2, "b")), ("h", (1, "b"))])
    fold.add("a", [("g", (1, "a"))])
    fold.add("c", [("g", (2, "c"))])
    assert fold.between("g") == [(1, "a"), (2, "b"), (2, "c")]
    assert fold.between("g", (2,)) == [(2, "b"), (2, "c")]  # a bound is a prefix
    assert fold.between("g", None, (2,)) == [(1, "a")]
    assert fold.count("g", (2,), (3,)) == 2 and fold.count("g", (3,)) == 0
    assert list(fold.before("g", (2, "c"))) == [(2, "b"), (1, "a")]
    assert fold.first("g") == (1, "a") and fold.first("nothing") is None
    fold.add("b", [("g", (0, "b"))])
    assert fold.between("g") == [(0, "b"), (1, "a"), (2, "c")] and fold.between("h") == []
    for key in "abc":
        fold.remove(key)
    assert fold.entries == {} and fold.parts == {} and fold.names == {}


def test_index_lists_the_keys_in_each_bucket():
    fold = Index()
    fold.add("a", ["x", "y"])
    fold.add("b", ["x"])
    assert fold.keys("x") == {"a", "b"} and fold.keys("y") == {"a"}
    fold.add("a", ["y"])
    assert fold.keys("x") == {"b"}
    fold.remove("b")
    fold.remove("a")
    assert fold.members == {} and fold.parts == {}


@pytest.mark.parametrize("seed", SEEDS)
def test_folds_equal_a_recompute_after_random_changes(seed: int):
    rng = random.Random(seed)
    count, index, order = Count(rollup=month), Index(), Order()
    given: dict[str, tuple] = {}
    for step in range(400):
        key = f"k{rng.randrange(30)}"
        if rng.random() < 0.3:
            for fold in (count, index, order):
                fold.remove(key)
            given.pop(key, None)
        else:
            days = rng.sample([20261101, 20261115, 20261130, 20261201, 20261231], rng.randrange(3))
            sums = {("day", d): {rng.choice("xyz"): rng.choice([0, 1, 5, Decimal("2.50")])} for d in days}
            buckets = rng.sample("pqr", rng.randrange(3))
            entries = [(b, (rng.randrange(5), key)) for b in rng.sample("pqr", rng.randrange(3))]
            count.add(key, sums)
            index.add(key, buckets)
            order.add(key, entries)
            given[key] = (sums, buckets, entries)
        where = f"seed {seed}, step {step}"
        expected: dict = {}
        for sums, _, _ in given.values():
            for group, items in sums.items():
                for into in (group, month(group)):
                    for item, n in items.items():
                        expected.setdefault(into, {})[item] = expected.get(into, {}).get(item, 0) + n
        assert {g: dict(count.totals(g)) for g in count.groups()} == expected, where
        assert {b: index.keys(b) for b in "pqr" if index.keys(b)} == \
            {b: {k for k, (_, bs, _) in given.items() if b in bs} for b in "pqr" if any(b in bs for _, bs, _ in given.values())}, where
        assert {b: order.between(b) for b in order.buckets()} == \
            {b: sorted(s for _, _, es in given.values() for bb, s in es if bb == b)
             for b in {bb for _, _, es in given.values() for bb, _ in es}}, where
    # The same contributions, given in another order, give the same folds and digests.
    again = (Count(rollup=month), Index(), Order())
    for key in sorted(given, reverse=True):
        sums, buckets, entries = given[key]
        again[0].add(key, sums)
        again[1].add(key, buckets)
        again[2].add(key, entries)
    for fold, twin, buckets in zip((count, index, order), again, (count.groups(), "pqr", order.buckets())):
        assert [fold.digest(b) for b in buckets] == [twin.digest(b) for b in buckets]
        restored = pickle.loads(pickle.dumps(fold))
        assert [restored.digest(b) for b in buckets] == [twin.digest(b) for b in buckets]


def test_a_digest_changes_with_what_its_bucket_holds():
    fold = Order()
    fold.add("a", [("g", (1, "a"))])
    before = fold.digest("g")
    fold.add("b", [("h", (1, "b"))])
    assert fold.digest("g") == before  # another bucket changed
    fold.add("a", [("g", (2, "a"))])
    assert fold.digest("g") != before
    fold.add("a", [("g", (1, "a"))])
    assert fold.digest("g") == before
    counted = Count()
    counted.add("a", {"g": {"x": 1}})
    one = counted.digest("g")
    counted.add("b", {"g": {"x": 1}})
    assert counted.digest("g") != one


# --------------------------------------------------------------------------
# The report's aggregates, against today's functions
# --------------------------------------------------------------------------
def expected_and_kept(state: Review, agg: Aggregates, as_of: date) -> list[tuple[str, object, object]]:
    """(what, recomputed by today's functions, as kept) for every aggregate."""
    cases, prepared, config = state.project.cases, state.prepared, state.project.config
    repeats = views.repeat_failures(cases)
    out = [("repeats", repeats, agg.repeat_failures()),
           ("open repeats", sorted(((later, earlier) for later, earlier in repeats if later.is_open),
                                   key=lambda pair: (pair[0].opened, pair[0].id), reverse=True), agg.open_repeats()),
           ("statuses", views.status_counts(cases), agg.status_counts()),
           ("open cases", views.open_cases_by_age(cases, as_of), agg.open_cases_by_age(as_of)),
           ("promises", views.promises_to_watch(cases, as_of), agg.promises_to_watch(as_of)),
           ("newest", sorted(cases, key=lambda c: (c.opened, c.id), reverse=True), agg.newest()),
           ("recent", sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)[:10], agg.newest(10))]
    grouped = {"categories": views.by_category, "teams": views.by_team, "tags": views.by_tag, "customers": views.by_customer}
    for section, grouping in grouped.items():
        out.append((f"groups {section}", grouping(cases), agg.groups(section)))
    for section in ("categories", "teams"):
        out.append((f"lessons {section}", views.lessons(grouped[section](cases), repeats), agg.lessons(section)))
    counts = figures.customer_counts(cases)
    for key in figures.PERIODS:
        now = figures.period(key, as_of)
        for p in filter(None, (now, figures.previous(now))):
            # repr as well as ==: an amount must be written to the same places.
            out.append((f"figures {p}", repr(figures.figures(cases, p, counts)), repr(agg.figures(p))))
        firsts = figures.months(cases, now, as_of)
        out += [(f"months {key}", firsts, agg.months(now, as_of)),
                (f"per month {key}", figures.per_month(cases, firsts, "EUR"), agg.per_month(firsts, "EUR")),
                (f"days to resolve {key}", sorted(c.days_to_resolve for c in cases
                                                  if c.days_to_resolve is not None and now.holds(c.resolved)),
                 agg.days_to_resolve(now))]
        inside = [c for c in cases if now.holds(c.opened)]
        out += [(f"groups {section} {key}", grouped[section](inside), agg.groups(section, now))
                for section in ("categories", "teams")]
    # The follow-ups as the overview (contexts.overview) and the follow-ups page (pages.followup_pages) pick them.
    for state_name in STATES:
        out.append((f"followups {state_name}", [i for i in prepared if i.followup.state == state_name],
                    agg.followups_in([state_name])))
    out += [("followup counts", {s: sum(i.followup.state == s for i in prepared) for s in STATES}, agg.followup_counts()),
            ("skipped since", [i for i in prepared if i.followup.state == "skipped" and not before_since(i.followup.case, config)],
             agg.followups_in(["skipped"], before_since=False)),
            ("attention", [i for i in prepared if not i.followup.is_task and i.followup.state in ATTENTION_STATES
                           and (i.followup.state != "due" or i.followup.due_at.date() <= as_of)],
             agg.attention(ATTENTION_STATES, as_of)),
            ("tasks", [i for i in prepared if i.followup.is_task and i.followup.state == "due"],
             agg.followups_in(["due"], task=True))]
    return out


def folds_of(agg: Aggregates) -> dict:
    """Everything the folds keep but the digests made on request and the names seen, to compare with folds made afresh."""
    plain = {}
    for name, value in vars(agg.kept).items():
        folds = value.items() if isinstance(value, dict) and name == "groups" else [(name, value)]
        for label, fold in folds:
            if isinstance(fold, Order):  # a key's entries in any order
                plain[label] = (fold.entries, {key: frozenset(part) for key, part in fold.parts.items()})
            else:
                plain[label] = {k: v for k, v in vars(fold).items() if k not in ("digests", "names")} \
                    if hasattr(fold, "digests") else fold
    return plain


def case(case_id: str, opened: str, email: str, name: str = "Anna Weber", **more) -> Case:
    return Case(case_id, f"cases/{case_id}.md", "A title", Customer(name, email), "email", date.fromisoformat(opened),
                more.pop("status", "open"), **more)


def differences(cases: list[Case], agg: Aggregates, as_of: date = DAY) -> list[str]:
    """What the kept aggregates of these cases (in the project's order: by id, ignoring case) get wrong."""
    state = SimpleNamespace(project=SimpleNamespace(cases=sorted(cases, key=lambda c: c.id.casefold()), config=Config()),
                            prepared=[])
    return [name for name, expected, kept in expected_and_kept(state, agg, as_of) if kept != expected]


def test_a_total_is_written_to_the_places_of_the_amounts_still_in_it():
    paid = [case("a", "2026-11-02", "a@example.com", accommodation=(Accommodation("refund", Decimal("10"), "EUR"),)),
            case("b", "2026-11-03", "b@example.com", accommodation=(Accommodation("refund", Decimal("2.50"), "EUR"),))]
    agg = Aggregates(Config())
    agg.update(paid)
    fewer = replace(paid[1], accommodation=(Accommodation("refund", Decimal("2"), "EUR"),))
    agg.update([fewer])
    assert repr(agg.figures(figures.period("month", DAY)).compensation) == "(('EUR', Decimal('12')),)"
    assert differences([paid[0], fewer], agg) == []


def test_customers_of_one_name_come_in_the_order_of_their_first_cases():
    # Two customers named alike: the one whose first case the project lists first comes first, and keeps the plain slug.
    cases = [case("a1", "2026-01-05", "one@example.com"), case("y2", "2026-01-09", "one@example.com"),
             case("b2", "2026-01-02", "two@example.com"), case("c3", "2026-01-01", "two@example.com")]
    agg = Aggregates(Config())
    agg.update(cases)
    assert [(g.slug, g.cases[0].customer.email) for g in agg.groups("customers")] == \
        [("anna-weber", "one@example.com"), ("anna-weber-2", "two@example.com")]
    assert differences(cases, agg) == []


def test_a_case_that_names_itself_as_repeated_is_linked_by_its_facts():
    earlier = case("a", "2026-01-05", "one@example.com", team="Kitchen", category="Bread", prevention="Bake later.")
    later = case("b", "2026-02-05", "one@example.com", team="Kitchen", category="Bread", repeat_of="B")
    agg = Aggregates(Config())
    agg.update([earlier, later])
    assert agg.repeat_failures() == [(later, earlier)]
    assert differences([earlier, later], agg) == []


def made_up(rng: random.Random, case_id: str, day: date) -> Case:
    """A case drawn from few values, so that cases share groups, customers and prevention links, on dates
    around `day`, some after it (which only a project's check keeps out)."""
    def some(values: list, most: int) -> tuple:
        return tuple(rng.sample(values, rng.randint(0, most)))

    def amount() -> Decimal:
        return Decimal(rng.choice(AMOUNTS))

    opened = day + timedelta(days=rng.randint(-75, 10))
    status = rng.choice(STATUSES)
    resolved = opened + timedelta(days=rng.randint(0, 20)) if status != "open" or rng.random() < 0.3 else None
    contacts = sorted(opened + timedelta(days=rng.randint(0, 9)) for _ in range(rng.randint(0, 2)))
    return Case(
        case_id, f"cases/{case_id}.md", "A title",
        Customer(rng.choice(NAMES), f"customer{rng.randrange(6)}@example.com"), "email", opened,
        status if resolved or status == "open" else "open", resolved=resolved,
        fault=rng.choice([*FAULTS, None]), team=rng.choice(LABELS[:3] + [None]), category=rng.choice(LABELS[2:5]),
        tags=some(TAGS[:5], 2), customer_value=rng.choice([None, amount()]),
        accommodation=tuple(Accommodation(rng.choice(["refund", "credit"]), rng.choice([None, amount()]),
                                          rng.choice(["EUR", "USD"])) for _ in range(rng.randint(0, 2))),
        promises=tuple(Promise("Call back", rng.choice([None, opened + timedelta(days=rng.randint(0, 40))]),
                               rng.choice([None, True, False])) for _ in range(rng.randint(0, 2))),
        contacts=tuple(Contact(at) for at in contacts),
        prevention=rng.choice([None, "Check twice."]),
        repeat_of=rng.choice([None, None, f"C{rng.randrange(30):02d}"]),
        not_a_repeat_of=some([f"c{n:02d}" for n in range(30)], 2))


@pytest.mark.parametrize("seed", SEEDS)
def test_kept_aggregates_of_made_up_cases_equal_a_recompute(seed: int):
    # Without files, many more steps: every kind of change, on cases close enough to reach each other.
    rng = random.Random(seed)
    day, cases = DAY, {}
    agg = Aggregates(Config())
    for number in range(300):
        what = rng.choice(["new", "new", "edit", "edit", "remove", "rename", "day", "keep"])
        changed, removed = [], []
        if what in ("new", "edit") or not cases:
            new = made_up(rng, f"c{rng.randrange(30):02d}", day)
            # An edit changes a few facts; a new case (or one written anew) all of them.
            old = cases.get(new.id)
            if what == "edit" and old:
                fields = rng.sample(["opened", "status", "resolved", "team", "category", "tags", "customer",
                                     "customer_value", "accommodation", "promises", "prevention", "repeat_of"], 2)
                new = replace(old, **{name: getattr(new, name) for name in fields})
                if new.status != "open" and new.resolved is None:
                    new = replace(new, resolved=new.opened)
            changed.append(new)
        elif what == "remove":
            removed.append(rng.choice(sorted(cases)))
        elif what == "rename":
            old = cases[rng.choice(sorted(cases))]
            new_id = f"c{rng.randrange(30):02d}"
            if new_id not in cases:
                removed.append(old.id)
                changed.append(replace(old, id=new_id, path=f"cases/{new_id}.md"))
        elif what == "day":
            day += timedelta(days=rng.choice([1, 9, 30, -20]))
        elif what == "keep":  # as a build stores and restores it
            agg = Aggregates.restore(Config(), pickle.loads(pickle.dumps(agg.kept)), list(agg.cases.values()), {})
        for case_id in removed:
            del cases[case_id]
        cases.update((case.id, case) for case in changed)
        agg.update(changed, removed)
        assert differences(list(cases.values()), agg, day) == [], f"seed {seed}, step {number} ({what})"
        fresh = Aggregates(Config())
        fresh.update(cases.values())
        assert folds_of(agg) == folds_of(fresh), f"seed {seed}, step {number} ({what})"


# --------------------------------------------------------------------------
# ... on a demo project whose files change
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("folds") / "demo"
    assert cli.main(["--root", str(REPO), "--today", DAY.isoformat(), "demo", "--cases", "80", "--out", str(out)]) == 0
    return out


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), ZoneInfo("Europe/Berlin"))


def by_case(state: Review) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in state.prepared:
        out.setdefault(item.followup.case.id, []).append(item)
    return out


def edit(text: str, rng: random.Random, ids: list[str], day: date) -> tuple[str, str]:
    """One random change to a case file's front matter, and what it changed; it may leave the case invalid,
    which is a removal."""
    head, _, body = text.partition("\n---\n")
    lines = head.split("\n")

    def top(key: str, value: str | None) -> None:
        """Set (or, with None, drop) a top-level key, with any indented lines below it."""
        at = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
        if at is not None:
            end = at + 1
            while end < len(lines) and lines[end].startswith((" ", "-")):
                end += 1
            del lines[at:end]
        if value is not None:
            lines.insert(at if at is not None else len(lines), f"{key}: {value}")

    def shift(key: str) -> None:
        found = [i for i, line in enumerate(lines) if re.match(rf"\s*(- )?{key}: \d{{4}}-\d\d-\d\d", line)]
        if found:
            i = rng.choice(found)
            old = re.search(r"\d{4}-\d\d-\d\d", lines[i])
            new = date.fromisoformat(old.group()) + timedelta(days=rng.randint(-40, 40))
            lines[i] = lines[i][:old.start()] + new.isoformat() + lines[i][old.end():]

    kind = rng.choice(["status", "opened", "resolved", "label", "tags", "customer", "value", "amount",
                       "prevention", "repeat_of", "promise", "contact", "fault"])
    if kind == "status":
        status = rng.choice(STATUSES)
        top("status", status)
        if status != "open" and not any(line.startswith("resolved:") for line in lines):
            top("resolved", (day - timedelta(days=rng.randint(0, 60))).isoformat())
        elif status == "open" and rng.random() < 0.5:
            top("resolved", None)
    elif kind in ("opened", "resolved"):
        shift(kind)
    elif kind == "label":
        top(rng.choice(["team", "category"]), rng.choice([None, *map(repr, LABELS)]))
    elif kind == "tags":
        top("tags", "[" + ", ".join(map(repr, rng.sample(TAGS, rng.randrange(4)))) + "]")
    elif kind == "customer":
        other = rng.randrange(20)
        for i, line in enumerate(lines):
            if line.startswith("  email:"):
                lines[i] = f"  email: customer{other}@example.com"
            elif line.startswith("  name:"):
                lines[i] = f"  name: {rng.choice(NAMES)}"
    elif kind == "value":
        top("customer_value", rng.choice([None, *AMOUNTS]))
    elif kind == "amount":
        found = [i for i, line in enumerate(lines) if line.startswith("    amount:")]
        if found:
            lines[rng.choice(found)] = f"    amount: {rng.choice(AMOUNTS)}"
        else:
            top("accommodation", f"\n  - kind: refund\n    amount: {rng.choice(AMOUNTS)}\n    currency: {rng.choice(['EUR', 'USD'])}")
    elif kind == "prevention":
        top("prevention", rng.choice([None, '"Read every order back."']))
    elif kind == "repeat_of":
        key = rng.choice(["repeat_of", "not_a_repeat_of"])
        other = rng.choice(ids)
        top(key, rng.choice([None, other if key == "repeat_of" else f"[{other}]"]))
    elif kind == "promise":
        found = [i for i, line in enumerate(lines) if line.startswith("    kept:")]
        if found and rng.random() < 0.5:
            lines[rng.choice(found)] = f"    kept: {rng.choice(['true', 'false'])}"
        elif found:
            del lines[rng.choice(found)]
        else:
            shift("due")
    elif kind == "contact":
        shift("at")
    else:
        top("fault", rng.choice(["ours", "customer", "shared", "unclear", None]))
    return "\n".join(lines) + "\n---\n" + body, kind


def step(root: Path, rng: random.Random, state: Review, day: date, added: list) -> tuple[str, date]:
    """One random change to the project; returns what it was and the day after it."""
    files = sorted((root / "cases").glob("*.md"))
    ids = [case.id for case in state.project.cases]
    what = rng.choice(["edit"] * 6 + ["add", "remove", "rename", "ledger", "ledger", "day"])
    if what == "edit":
        path = rng.choice(files)
        text, kind = edit(path.read_text(encoding="utf-8"), rng, ids, day)
        path.write_text(text, encoding="utf-8")
        return f"edit {kind} {path.stem}", day
    if what == "add":
        name, text = added.pop()
        (root / "cases" / name).write_text(text, encoding="utf-8")
        return f"add {name}", day
    if what == "remove":
        path = rng.choice(files)
        path.unlink()
        return f"remove {path.stem}", day
    if what == "rename":
        path = rng.choice(files)
        # Sometimes to an id that differs from another only in case: neither is kept then.
        new = rng.choice([f"{path.stem}-renamed", rng.choice(files).stem.upper()])
        path.rename(path.with_name(f"{new}.md"))
        return f"rename {path.stem} to {new}", day
    if what == "ledger":
        items = [item for item in state.prepared if item.followup.state not in ("sent", "done")]
        if not items:
            return "ledger (nothing to record)", day
        f = rng.choice(items).followup
        ev = rng.choice(["done", "sent", "released"])
        ledger.append(Outbox(root / "outbox").ledger,
                      ledger.event(f.key, ev, noon(day), **({"transport": "outbox"} if ev == "sent" else {})))
        return f"ledger {ev} {f.key}", day
    later = day + timedelta(days=rng.choice([1, 1, 3, 9, 30, -2, -45]))
    return f"day {later}", later


@pytest.mark.parametrize("seed", SEEDS)
def test_kept_aggregates_equal_a_recompute_after_random_changes(demo_project: Path, tmp_path: Path, seed: int):
    root = tmp_path / "project"
    shutil.copytree(demo_project, root)
    rng = random.Random(seed)
    added = list(demo.generate(30, seed + 100, DAY))[-STEPS:]
    day = DAY
    state = review(root, noon(day))
    agg = Aggregates(state.project.config)
    agg.update(state.project.cases, (), by_case(state))
    done = Counter()
    for number in range(STEPS):
        what, day = step(root, rng, state, day, added)
        before, before_followups = {c.id: c for c in state.project.cases}, by_case(state)
        state = review(root, noon(day))
        where = f"seed {seed}, step {number} ({what})"
        assert not state.cannot_send, where
        now = {c.id: c for c in state.project.cases}
        now_followups = by_case(state)
        changed = [case for case_id, case in now.items() if before.get(case_id) != case]
        removed = [case_id for case_id in before if case_id not in now]
        moved = {case_id: items for case_id, items in now_followups.items() if before_followups.get(case_id) != items}
        agg.update(changed, removed, {**moved, **{c.id: now_followups.get(c.id, []) for c in changed}})
        done.update(what.split()[:1])
        if rng.random() < 0.2:  # as a build stores and restores it
            agg = Aggregates.restore(state.project.config, pickle.loads(pickle.dumps(agg.kept)),
                                     list(agg.cases.values()), agg.followups)
            done["restore"] += 1
        for name, expected, kept in expected_and_kept(state, agg, day):
            assert kept == expected, f"{where}: {name}"
        fresh = Aggregates(state.project.config)
        fresh.update(state.project.cases, (), now_followups)
        assert folds_of(agg) == folds_of(fresh), f"{where}: the folds hold what folds made afresh hold"
    # The walk went everywhere it should (else the seed or the step count is wrong, not the code).
    assert len(done) >= 5, done


def test_a_build_takes_in_only_the_cases_that_changed(demo_project: Path, tmp_path: Path, monkeypatch):
    """The overview, figures and lessons of the site read the aggregates the last build kept: an edited
    case is taken out and put in again, and no other case is; a new day takes in no case at all."""
    root = tmp_path / "project"
    shutil.copytree(demo_project, root)
    learned: list[str] = []
    learn = Aggregates._learn
    monkeypatch.setattr(Aggregates, "_learn", lambda self, case: (learned.append(case.id), learn(self, case))[1])

    def build(day: date) -> list[str]:
        learned.clear()
        assert cli.main(["--root", str(root), "--today", day.isoformat(), "--quiet", "build"]) == 0
        assert (root / "site" / "index.html").is_file()
        return sorted(learned)

    files = sorted((root / "cases").glob("*.md"))
    assert len(build(DAY)) == len(files)
    edited = files[len(files) // 2]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nCalled back again on Friday.\n", encoding="utf-8")
    assert build(DAY) == [edited.stem]
    assert build(DAY + timedelta(days=1)) == []

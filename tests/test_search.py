"""The offline search index (amends/report/search.py) and how the site builds it, checked against the browser's search.js.

Python writes the index and JavaScript reads it: both must split, fold and
shard words the same way, so the JavaScript functions are read out of
templates/site/assets/search.js and run with node on the same inputs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from amends.cases.project import load_project
from amends.incremental.cache import NO_CACHE
from amends.report import search
from amends.report.build import notes_html

from conftest import MINIMAL_CASE, REPO, TODAY, write_case

SEARCH_JS = REPO / "templates" / "site" / "assets" / "search.js"
NODE = shutil.which("node")
LISTING = f"{search.LISTING}.js"


# --- helpers -------------------------------------------------------------------------------------------------------

def js_function(name: str) -> str:
    """The source of `function name(...) { ... }` as written in search.js (two-space indent, closing brace alone)."""
    source = SEARCH_JS.read_text(encoding="utf-8")
    found = re.search(rf"^(  function {name}\(.*?^  \}}$)", source, re.S | re.M)
    assert found, f"search.js has no function {name}()"
    return found.group(1)


def run_js(functions: list[str], expression: str, inputs: list[str]):
    """Evaluate `expression` (using `x`) with node for each input, with the named search.js functions defined."""
    assert NODE, "node is needed to check search.js (the Makefile installs it with npm)"
    program = "\n".join(js_function(f) for f in functions) + (
        "\nconst inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"\nprocess.stdout.write(JSON.stringify(inputs.map(x => ({expression}))));")
    done = subprocess.run([NODE, "-e", program], input=json.dumps(inputs), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def build(root: Path, *extra: str, expect: int = 0) -> Path:
    """Build the site as a person would, with the day fixed; return site/search/."""
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat(), *extra]) == expect
    return root / "site" / search.FOLDER


def shard_file(word: str) -> str:
    """The name in search/ of the file that lists `word`."""
    return f"{search.shard_name(word)}.js"


def read_folder(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def postings(folder: Path, word: str) -> list[int]:
    """Positions in cases.js of the cases the built index lists under exactly `word`."""
    shard = folder / shard_file(word)
    return search.value_of(shard.read_bytes()).get(word, []) if shard.is_file() else []


def ids_of(folder: Path, word: str) -> set[str]:
    cases = search.value_of((folder / LISTING).read_bytes())["cases"]
    return {cases[n][0] for n in postings(folder, word)}


def notes_text(body_html: str) -> str:
    """The visible text of a case's rendered notes, as a reader sees it (every element kept apart)."""
    return BeautifulSoup(body_html, "html.parser").get_text(" ")


def sample(root: Path):
    """The shipped sample cases, loaded and with their notes rendered, from a copy of the repository's cases."""
    project = load_project(root, TODAY)
    assert len(project.cases) >= 10 and not project.problems
    return project.cases, notes_html(project, NO_CACHE)


def key_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def found_of(cases, bodies) -> dict[str, tuple[str, str]]:
    found = {}
    for case in cases:
        text = search.case_words(case, bodies[case.id])
        found[case.id] = (key_of(text), text)
    return found


def with_words(found, case_id: str, add=(), remove=()) -> dict[str, tuple[str, str]]:
    """A copy of `found` where one case gained and lost words (and so has a new key)."""
    now = (set(found[case_id][1].split()) | set(add)) - set(remove)
    text = " ".join(sorted(now))
    return {**found, case_id: (key_of(text), text)}


def shard_words(files: dict[str, bytes]) -> dict[str, dict[str, list[int]]]:
    return {name.removesuffix(".js"): search.value_of(data) for name, data in files.items() if name != LISTING}


# --- 1. folding and splitting ------------------------------------------------------------------------------------

def test_fold_drops_case_and_accents():
    assert search.fold("Zoé Lefèvre") == "zoe lefevre"
    assert search.fold("JOSÉ NÚÑEZ") == "jose nunez"
    assert search.fold("Ça Übel Åse") == "ca ubel ase"


def test_words_of_accented_names():
    assert search.words("Zoé Lefèvre") == {"zoe", "lefevre"}
    assert search.words("José Núñez") == {"jose", "nunez"}
    # Typed with or without accents and in any case, the words are the same.
    assert search.words("jose NUNEZ") == search.words("José Núñez")
    assert search.words("Tomás Ó Briain") == {"tomas", "o", "briain"}


def test_words_split_on_punctuation_and_underscores_and_keep_digits():
    assert search.words("snake_case-word, O'Brien (re: order #42a); 2026-11-09 12.50€ a/b") == {
        "snake", "case", "word", "o", "brien", "re", "order", "42a", "2026", "11", "09", "12", "50", "a", "b"}
    assert search.words("mette.kjaergaard@example.com") == {"mette", "kjaergaard", "example", "com"}
    assert search.words("__ -- !! ...") == set()
    assert search.words("") == set()
    # Repeats collapse: the words are a set.
    assert search.words("Cake cake CAKE cäke") == {"cake"}


def test_case_words_cover_title_customer_and_notes(demo_root: Path):
    cases, bodies = sample(demo_root)
    for case in cases:
        indexed = set(search.case_words(case, bodies[case.id]).split())
        assert search.words(case.title) <= indexed, case.id
        assert search.words(case.customer.name) <= indexed, case.id
        assert search.words(notes_text(bodies[case.id])) <= indexed, case.id
        # Markup of the notes is not text: no tag or attribute names become words (unless the text has them).
        text_words = search.words(case.body) | search.words(case.title) | search.words(case.what_went_wrong or "")
        for markup in ("href", "rel", "noopener", "nofollow", "strong", "blockquote"):
            if markup not in text_words:
                assert markup not in indexed, (case.id, markup)


# --- 2. Python and JavaScript agree ------------------------------------------------------------------------------

TRICKY = [
    "Zoé Lefèvre", "José Núñez", "Søren Ødegaard", "Łukasz Wójcik", "Zoë Müller", "Tomás Ó Briain",
    "Mette Kjærgaard", "Gunnar Sæther", "Straße ẞ", "ﬁnance ①② x² ½", "İstanbul ıi", "ΟΔΟΣ Σ ς",
    "snake_case-word 42a", "O'Brien", "café-au-lait", "日本語のテキスト", "Ａｂｃ１２", "a\u0301\u0327e\u0308",
    "Ⅻ ⅻ", "ǅemal Ǆ ǈ", "x\u200dy z\u00a0w", "㎏ ℌ ﬀ", "٣٤ ३४", "Ñandú", "e-mail: ann@example.com",
    "Hair in a butter croissant posted on Instagram 🥐 @harbourlanebakery", "  ", "",
    "प्रिया शर्मा", "สมศักดิ์ ใจดี", "مُحَمَّد علي", "𠮷田 花子",
]


def test_words_in_scripts_with_vowel_signs_stay_whole():
    """A vowel sign or virama inside a Hindi, Thai or Arabic word must not cut it into pieces."""
    assert len(search.words("प्रिया शर्मा")) == 2
    assert len(search.words("สมศักดิ์")) == 1
    assert search.words("مُحَمَّد") == search.words("محمد")


def test_python_and_javascript_split_and_fold_alike():
    """search.js's words() gives the same words as search.words() for names, ligatures, digits and scripts."""
    from_js = run_js(["words"], "words(x)", TRICKY)
    for text, js_words in zip(TRICKY, from_js):
        assert set(js_words) == search.words(text), text


def test_javascript_words_is_the_documented_expression():
    """The expression the index's docs promise is what search.js runs, so both stay in step."""
    expression = ('x.normalize("NFKD").replace(/\\p{M}/gu, "").toLowerCase()'
                  '.match(/[\\p{L}\\p{N}]+/gu) || []')
    assert run_js([], expression, TRICKY) == run_js(["words"], "words(x)", TRICKY)


SHARDED = ["zoe", "lefevre", "øde", "łu", "日本", "ab", "ñandu", "straße", "ßa", "42a", "x2", "οδος", "ıi", "é"]


def test_shard_names_are_the_utf8_hex_of_the_first_two_letters():
    assert search.shard_name("croissant") == "6372"
    assert search.shard_name("øde") == "c3b864"   # ø is c3 b8
    assert search.shard_name("łu") == "c58275"    # ł is c5 82
    assert search.shard_name("日本語") == "e697a5e69cac"
    assert search.shard_name("a") == "61"


def test_python_and_javascript_name_the_same_shard():
    from_js = run_js(["shard"], "shard(x)", SHARDED)
    assert from_js == [search.shard_name(w) for w in SHARDED]


def test_python_and_javascript_name_the_same_shard_beyond_the_bmp():
    """Letters outside the Basic Multilingual Plane are real in names (𠮷 in 𠮷田, 𠀋; Gothic, Deseret).

    A typed word must be looked for in the shard Python put it in.
    """
    typed = ["𠮷田", "𠮷野家", "a𠮷", "𐐨𐐨x"]
    for text in typed:
        assert search.words(text) == {text}  # each is one word on both sides
    assert run_js(["words"], "words(x)", typed) == [[t] for t in typed]
    assert run_js(["shard"], "shard(x)", typed) == [search.shard_name(w) for w in typed]


# --- 3. the index: incremental equals full ---------------------------------------------------------------------

def test_full_index_lists_every_word_of_every_case_newest_first(demo_root: Path):
    cases, bodies = sample(demo_root)
    found = found_of(cases, bodies)
    made = search.index(cases, found)
    order = [c.id for c in sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)]
    assert made.order == order and made.words == found
    listing = search.value_of(made.files[LISTING])
    assert [doc[0] for doc in listing["cases"]] == order
    shards = shard_words(made.files)
    assert listing["shards"] == sorted(shards)
    expected: dict[str, dict[str, list[int]]] = {}
    for number, case_id in enumerate(order):
        for word in found[case_id][1].split():
            expected.setdefault(search.shard_name(word), {}).setdefault(word, []).append(number)
    assert shards == expected
    for name, data in made.files.items():
        if name != LISTING:
            words = list(search.value_of(data))
            assert words == sorted(words), name


def test_incremental_index_equals_full_after_words_come_and_go(demo_root: Path):
    cases, bodies = sample(demo_root)
    found = found_of(cases, bodies)
    old = search.index(cases, found)
    shards = shard_words(old.files)

    # A shard whose words all belong to one case: drop those words and the shard must go.
    lonely = sorted(name for name, words in shards.items() if len({n for ns in words.values() for n in ns}) == 1)
    assert lonely, "the sample has no shard used by a single case"
    gone = lonely[0]
    owner = old.order[next(iter(shards[gone].values()))[0]]
    new = with_words(found, owner, remove=shards[gone])

    # A word with a two-letter start no case has: its shard must appear.
    fresh = "qzorbleflux"
    assert shard_file(fresh) not in old.files
    other = next(c.id for c in cases if c.id != owner)
    new = with_words(new, other, add={fresh, "croissant", "ñandú"})
    assert shard_file("ñandú") not in old.files  # "ña" is new too

    # A third case loses words that other cases share, and gains one more of its own.
    third = next(c.id for c in cases if c.id not in (owner, other))
    own = sorted(set(found[third][1].split()))
    new = with_words(new, third, add={"zymurgy"}, remove=own[::2])

    made = search.index(cases, new, before=old)
    full = search.index(cases, new)
    assert made.files == full.files
    assert made.order == full.order and made.words == new
    assert f"{gone}.js" in old.files and f"{gone}.js" not in made.files
    assert shard_file(fresh) in made.files
    listing = search.value_of(made.files[LISTING])
    assert gone not in listing["shards"] and search.shard_name(fresh) in listing["shards"]
    # The case that lost words is no longer listed under them.
    third_number = made.order.index(third)
    for word in own[::2]:
        assert third_number not in shard_words(made.files).get(search.shard_name(word), {}).get(word, [])


def test_incremental_index_equals_full_over_many_random_edits(demo_root: Path):
    """A chain of edits, each indexed from the one before, never drifts from an index built from nothing."""
    cases, bodies = sample(demo_root)
    found = found_of(cases, bodies)
    vocabulary = sorted({w for _, text in found.values() for w in text.split()})
    extra = ["qzaa", "qzab", "ǆx", "日本", "øde", "łukasz", "2027", "x", "ßa", "zzz", "ña"]
    rng = random.Random(20261122)
    made = search.index(cases, found)
    for step in range(60):
        for case_id in rng.sample(sorted(found), rng.randint(1, 4)):
            words = set(found[case_id][1].split())
            choice = rng.random()
            if choice < 0.1:
                text = ""  # every word gone
            elif choice < 0.2:
                text = found[case_id][1]  # the file changed, not its words
            else:
                words -= set(rng.sample(sorted(words), min(len(words), rng.randint(0, 15))))
                words |= set(rng.sample(vocabulary + extra, rng.randint(0, 8)))
                text = " ".join(sorted(words))
            found = {**found, case_id: (key_of(f"{step} {text}"), text)}
        before = made
        made = search.index(cases, found, before=before)
        assert made.files == search.index(cases, found).files, step
    assert made.files != search.index(cases, found_of(cases, bodies)).files


def test_index_equals_full_when_the_order_of_cases_changes(demo_root: Path):
    cases, bodies = sample(demo_root)
    found = found_of(cases, bodies)
    old = search.index(cases, found)
    newest = max(cases, key=lambda c: (c.opened, c.id))

    # A case added, newest of all: every position moves by one.
    added = dataclasses.replace(newest, id="2026-11-21-burnt-sourdough", title="Burnt sourdough loaf",
                                opened=date(2026, 11, 21))
    grown = [*cases, added]
    found_grown = {**found, added.id: (key_of("burnt charcoalish"), "burnt charcoalish loaf")}
    made = search.index(grown, found_grown, before=old)
    assert made.files == search.index(grown, found_grown).files
    assert made.order[0] == added.id
    assert postings_in(made, "charcoalish") == [0]
    assert postings_in(made, "burnt")[0] == 0

    # The newest case's opened date corrected to the oldest: same words, same key, another place.
    moved = [dataclasses.replace(c, opened=date(2025, 1, 1)) if c.id == newest.id else c for c in cases]
    made = search.index(moved, found, before=old)
    full = search.index(moved, found)
    assert made.files == full.files
    assert made.order[-1] == newest.id
    assert made.files != old.files

    # A case removed.
    fewer = [c for c in cases if c.id != newest.id]
    found_fewer = {k: v for k, v in found.items() if k != newest.id}
    made = search.index(fewer, found_fewer, before=old)
    assert made.files == search.index(fewer, found_fewer).files
    assert newest.id not in [doc[0] for doc in search.value_of(made.files[LISTING])["cases"]]

    # Same order, a title changed (its words too): the list of cases shows the new title.
    retitled = [dataclasses.replace(c, title="Mouldy seeded rye") if c.id == newest.id else c for c in cases]
    found_retitled = with_words(found, newest.id, add={"mouldy", "seeded", "rye"})
    made = search.index(retitled, found_retitled, before=old)
    assert made.files == search.index(retitled, found_retitled).files
    assert search.value_of(made.files[LISTING])["cases"][0][1] == "Mouldy seeded rye"


def postings_in(made: search.Index, word: str) -> list[int]:
    return search.value_of(made.files[shard_file(word)]).get(word, [])


# --- 4. the built site -----------------------------------------------------------------------------------------

INVALID_CASE = """\
---
customer:
  name: Nobody Untitled
channel: email
opened: 2026-03-01
status: open
---
Quibbleflux appears only in a case that is not valid.
"""


def test_built_index_lists_every_valid_case_once(demo_root: Path):
    write_case(demo_root, "2026-03-02-no-title.md", INVALID_CASE)
    folder = build(demo_root, expect=1)
    project = load_project(demo_root, TODAY)
    assert len(project.cases) == 17 and project.files == 18
    listing = search.value_of((folder / LISTING).read_bytes())
    newest_first = sorted(project.cases, key=lambda c: (c.opened, c.id), reverse=True)
    assert listing["cases"] == [
        [c.id, c.title, c.customer.name, "reopened" if c.reopened else c.status, c.opened.isoformat()]
        for c in newest_first]
    ids = [doc[0] for doc in listing["cases"]]
    assert len(ids) == len(set(ids))
    assert "2026-03-02-no-title" not in ids and postings(folder, "quibbleflux") == []
    on_disk = sorted(p.stem for p in folder.iterdir() if p.name != LISTING)
    assert listing["shards"] == on_disk
    assert all(p.suffix == ".js" for p in folder.iterdir())


def test_every_word_of_a_case_points_at_it_and_nothing_else_does(demo_root: Path):
    folder = build(demo_root)
    project = load_project(demo_root, TODAY)
    bodies = notes_html(project, NO_CACHE)
    listing = search.value_of((folder / LISTING).read_bytes())
    position = {doc[0]: n for n, doc in enumerate(listing["cases"])}
    shards = {p.stem: search.value_of(p.read_bytes()) for p in folder.iterdir() if p.name != LISTING}
    for case in project.cases:
        expected = (search.words(case.title) | search.words(case.customer.name) | search.words(case.id)
                    | search.words(notes_text(bodies[case.id])) | search.words(case.what_went_wrong or ""))
        for word in expected:
            shard = shards.get(search.shard_name(word), {})
            assert position[case.id] in shard.get(word, []), (case.id, word)
    # The other way round: a case is listed only under words found in its own file.
    source = {c.id: search.words((demo_root / c.path).read_text(encoding="utf-8")) | search.words(c.id) | {"reopened"}
              for c in project.cases}
    for name, words in shards.items():
        for word, numbers in words.items():
            assert search.shard_name(word) == name, word
            assert numbers == sorted(set(numbers)) and all(0 <= n < len(listing["cases"]) for n in numbers)
            for n in numbers:
                assert word in source[listing["cases"][n][0]], (word, listing["cases"][n][0])


CROISSANT = "2026-11-09-hair-in-croissant"


def test_a_case_edited_in_place_moves_its_words(demo_root: Path):
    folder = build(demo_root)
    path = demo_root / "cases" / f"{CROISSANT}.md"
    text = path.read_text(encoding="utf-8")
    assert CROISSANT in ids_of(folder, "monday")
    assert "quokkaberry" not in text.lower() and ids_of(folder, "quokkaberry") == set()
    others_on_monday = ids_of(folder, "monday") - {CROISSANT}
    assert text.count("Monday") == 1
    path.write_text(text.replace("on Monday morning", "on a quokkaberry morning"), encoding="utf-8")
    folder = build(demo_root)  # with the cache of the first build: only this case's words are read again
    assert ids_of(folder, "monday") == others_on_monday
    assert ids_of(folder, "quokkaberry") == {CROISSANT}
    incremental = read_folder(folder)
    assert incremental == read_folder(build(demo_root, "build", "--clean"))


def test_a_deleted_case_disappears_from_the_index(demo_root: Path):
    folder = build(demo_root)
    assert ids_of(folder, "hairnet") == {CROISSANT}
    before = len(search.value_of((folder / LISTING).read_bytes())["cases"])
    (demo_root / "cases" / f"{CROISSANT}.md").unlink()
    folder = build(demo_root)
    listing = search.value_of((folder / LISTING).read_bytes())
    assert CROISSANT not in [doc[0] for doc in listing["cases"]] and len(listing["cases"]) == before - 1
    assert ids_of(folder, "hairnet") == set()
    assert all(n < before - 1 for p in folder.iterdir() if p.name != LISTING
               for ns in search.value_of(p.read_bytes()).values() for n in ns)
    assert read_folder(folder) == read_folder(build(demo_root, "build", "--clean"))


QZ_CASE = MINIMAL_CASE.replace("The cake was late.", "The cake was late and Qzwonkish.")


def test_shards_appear_and_disappear_with_their_words(root: Path):
    write_case(root, "2026-03-01-late-cake.md", MINIMAL_CASE)
    folder = build(root)
    qz = shard_file("qzwonkish")
    before = read_folder(folder)
    assert qz not in before

    write_case(root, "2026-03-01-late-cake.md", QZ_CASE)  # same case, same place: a new word only
    folder = build(root)
    assert (folder / qz).is_file()
    assert search.shard_name("qzwonkish") in search.value_of((folder / LISTING).read_bytes())["shards"]
    assert ids_of(folder, "qzwonkish") == {"2026-03-01-late-cake"}
    assert read_folder(folder) == read_folder(build(root, "build", "--clean"))

    write_case(root, "2026-03-01-late-cake.md", MINIMAL_CASE)
    folder = build(root)
    assert not (folder / qz).exists()
    assert search.shard_name("qzwonkish") not in search.value_of((folder / LISTING).read_bytes())["shards"]
    assert read_folder(folder) == before


def test_the_last_case_gone_leaves_an_empty_index(root: Path):
    write_case(root, "2026-03-01-late-cake.md", MINIMAL_CASE)
    build(root)
    (root / "cases" / "2026-03-01-late-cake.md").unlink()
    folder = build(root)
    assert read_folder(folder) == {"cases.js": b'amendsSearch.add("cases",{"shards":[],"cases":[]});\n'}


def test_a_rebuild_writes_only_the_shards_whose_bytes_changed(demo_root: Path):
    folder = build(demo_root)
    times = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    path = demo_root / "cases" / f"{CROISSANT}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("on Monday morning", "on a quokkaberry morning"),
                    encoding="utf-8")
    build(demo_root)
    changed = {p.name for p in folder.iterdir() if times.get(p.name) != p.stat().st_mtime_ns}
    assert changed == {shard_file("monday"), shard_file("quokkaberry")}


# --- 5. the files are scripts ----------------------------------------------------------------------------------

def run_index_files(files: dict[str, bytes]) -> dict[str, list]:
    """Run each file of the index with node as a page would, recording what it hands to amendsSearch.add()."""
    assert NODE, "node is needed to run the index's files (the Makefile installs it with npm)"
    program = (
        "const vm = require('vm');"
        "const files = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const out = {};"
        "for (const [file, text] of Object.entries(files)) {"
        "  const calls = [];"
        "  vm.runInNewContext(text, {amendsSearch: {add: (name, data) => calls.push([name, data])}});"
        "  out[file] = calls;"
        "}"
        "process.stdout.write(JSON.stringify(out));")
    texts = {name: data.decode("utf-8") for name, data in files.items()}
    done = subprocess.run([NODE, "-e", program], input=json.dumps(texts), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


AWKWARD_TITLES = ["</script><script>alert(1)</script>", "<!-- <script>", "line\u2028sep\u2029para",
                  "quote \" back \\ slash", "\\u003c written out", "]); amendsSearch.add(\"x\", 1); ([", "tab\tnew\nline"]


def test_a_file_is_one_call_that_hands_over_exactly_its_value():
    value = {"shards": ["6162"], "cases": [[f"case-{n}", title, "Søren", "open", "2026-11-20"]
                                           for n, title in enumerate(AWKWARD_TITLES)]}
    data = search.script("cases", value)
    assert search.value_of(data) == value
    assert run_index_files({"cases.js": data}) == {"cases.js": [["cases", value]]}


def test_a_file_holds_no_markup_and_no_javascript_line_break():
    """Whatever a title holds, the file's text could sit inside a <script> element and end nowhere but its end."""
    data = search.script("cases", {"shards": [], "cases": [["x", title] for title in AWKWARD_TITLES]})
    text = data.decode("utf-8")
    assert "<" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert text.count("\n") == 1 and text.endswith(");\n")


def test_every_built_file_is_a_script_that_hands_over_its_own_name_and_contents(demo_root: Path):
    write_case(demo_root, "2026-11-20-markup-title.md",
               MINIMAL_CASE.replace("title: Cake delivered late", "title: '</script><script>alert(1)</script>'"))
    files = read_folder(build(demo_root))
    assert any("</script>" in doc[1] for doc in search.value_of(files[LISTING])["cases"])
    ran = run_index_files(files)
    assert ran.keys() == files.keys()
    for name, data in files.items():
        assert ran[name] == [[name.removesuffix(".js"), search.value_of(data)]], name

"""Attachments: the files kept with a case (photos of the damage, scans of letters), read and checked.

In two steps. What the front matter lists and the images the notes show are read with the case file
(`listed`, `note_images`) and kept with its check. What is on disk is looked at each time the project
is read (`resolve`): a photo can be added, changed or deleted while the case file stays as it was. A
file that cannot be copied safely is left out with a warning at its line, and the case stays in the
report: a photo gone missing must never hide a case or hold up an apology.
"""
from __future__ import annotations

import errno
import html.parser
import io
import os
import posixpath
import stat
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import cmarkgfm
from cmarkgfm.cmark import Options
from PIL import Image

from amends.cases.casefile import BUNDLE_FILE
from amends.cases.fields import CONTROL, Reader
from amends.cases.yamlfile import shown
from amends.incremental import workers
from amends.incremental.cache import digest
from amends.incremental.files import RACY_NS, read_regular
from amends.model import Attachment, Case, Listed, Problem

# A phone photo is 2 to 8 MB and a scanned letter less: a bigger file is a video or an archive, which the
# report cannot show, and each one is read whole into memory to be checked and copied.
MAX_BYTES = 10 * 1024 * 1024
# The case page shows every attachment; more than this is a folder dropped in by mistake, not evidence.
MAX_FILES = 40
# A 48-megapixel phone photo fits. Decoding takes 3 to 4 bytes a pixel, so a larger image (or a small file
# claiming millions of pixels: a decompression bomb) is refused before it is decoded.
MAX_PIXELS = 60_000_000
LISTED_KEYS = ("file", "note")
ORIENTATION = 0x0112  # the EXIF tag saying how the camera was held; values 5 to 8 turn the picture on its side

# The images amends re-encodes, known by their first bytes, never by their names.
_IMAGES = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))


class Found(NamedTuple):
    """What a file holds, kept by its size and times until it changes."""

    kind: str
    size: int
    digest: str
    format: str = ""
    pixels: tuple[int, int] = (0, 0)


def sniff(head: bytes) -> tuple[str, str]:
    """The kind of a file and an image's format, by its first bytes: ("image", "PNG"), ("pdf", ""), ("file", "")."""
    for magic, name in _IMAGES:
        if head.startswith(magic):
            return "image", name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "WEBP"
    return ("pdf", "") if head.startswith(b"%PDF-") else ("file", "")


# -- read with the case file --------------------------------------------------------

def listed(r: Reader) -> tuple[Listed, ...]:
    """The files `attachments:` lists: each a path (`- photos/stand.jpg`) or `- file: scan.pdf` with a `note:`."""
    out = []
    for item in r.items(("attachments",)):
        if isinstance(r.raw(item), dict):
            if not r.keys(item, LISTED_KEYS):
                continue
            name, note = r.text(item + ("file",), required=True), r.text(item + ("note",), multiline=True)
        else:
            name, note = r.text(item, required=True), None
        if name:
            out.append(Listed(name, note, r.line(item) or 1))
    return tuple(out)


class _Images(html.parser.HTMLParser):
    """The images of rendered notes, with the line where the block holding each starts (cmark's sourcepos)."""

    def __init__(self) -> None:
        super().__init__()
        self.line, self.found = 1, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("data-sourcepos"):
            self.line = int(values["data-sourcepos"].split(":")[0])
        if tag == "img":
            self.found.append((values.get("src") or "", values.get("alt") or "", self.line))


def note_images(body: str, first_line: int) -> tuple[tuple[str, str, int], ...]:
    """Every image the Markdown notes show, `![alt](src)` or raw `<img>`: (src, alt, file line).

    Read by cmark, which renders the notes, so that what counts as an image here is what the page shows.
    """
    if "![" not in body and "<img" not in body.lower():  # most notes have none: no second rendering
        return ()
    parser = _Images()
    parser.feed(cmarkgfm.markdown_to_html_with_extensions(
        body, options=Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_SOURCEPOS,
        extensions=["table", "autolink", "strikethrough"]))
    lines = body.split("\n")
    out = []
    for src, alt, line in parser.found:
        # A raw HTML block has no sourcepos of its own: the first line from its block's on that names the file.
        at = next((n for n in range(line, len(lines) + 1) if src and src in lines[n - 1]), line)
        out.append((src, alt, first_line + at - 1))
    return tuple(out)


def bad_name(name: str) -> str | None:
    """Why a listed path may not be copied, or None: it must stay in the case file's folder or below it."""
    if CONTROL.search(name) or "\0" in name:
        return "has a control character in its name"
    if "\\" in name:
        return "uses '\\': separate folders with '/'"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path: give it from the case file's folder, e.g. photos/stand.jpg"
    parts = normal(name).split("/")
    if ".." in parts:
        return "uses '..': an attachment is in the case file's folder or a folder below it, inside cases/"
    if any(part.startswith(".") for part in parts):
        return "is a hidden file (its name or a folder's starts with '.')"
    return None


def normal(name: str) -> str:
    """A listed path as one spelling: './photo.jpg' and 'photo.jpg' are one file."""
    return posixpath.normpath(name.strip()).removeprefix("./")


def note_target(src: str) -> str | None:
    """The attachment an image or link of the notes names, by its path from the case file's folder;
    None for an address of another site, an absolute path, or a name that could be no attachment."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path or src.startswith(("/", "//")):
        return None
    path = unquote(parts.path)
    return None if bad_name(path) else normal(path)


# -- what is on disk ----------------------------------------------------------------

def _quiet(name: str) -> bool:
    """Dotfiles and editor backups: passed over in silence, as in cases/."""
    return name.startswith((".", "#")) or name.endswith("~")


def folder_files(folder: str, prefix: str = "") -> Iterator[str]:
    """Every entry below `folder` that is not a folder itself, by its path from there, sorted; links are not followed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if _quiet(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from folder_files(entry.path, f"{prefix}{entry.name}/")
        else:
            yield prefix + entry.name


def examine(path: str) -> Found | str:
    """What a regular file of at most MAX_BYTES holds, or why it cannot be copied safely. An image must decode
    whole as the format its first bytes claim: its copy is made from the decoded pixels alone."""
    try:
        data = read_regular(path, MAX_BYTES)
    except OSError as error:
        return f"is larger than {MAX_BYTES // (1024 * 1024)} MB" if error.errno == errno.EFBIG else f"cannot be read: {error.strerror}"
    kind, name = sniff(data[:16])
    if kind != "image":
        return Found(kind, len(data), digest(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[name]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return f"is {width}×{height} pixels, more than the {MAX_PIXELS // 1_000_000} million an image may have"
                image.load()
                turned = image.getexif().get(ORIENTATION) in (5, 6, 7, 8)
    # A damaged or hostile image raises whatever its decoder meets (OSError, SyntaxError, struct.error…):
    # each is the same answer, a file that is not copied.
    except Exception as error:
        return f"cannot be read as a {name} image ({shown(error) or type(error).__name__})"
    return Found("image", len(data), digest(data), name, (height, width) if turned else (width, height))


def inspect(root: str, inside: str, source: str) -> str | tuple[tuple, str]:
    """Why the file `source` (its path in the project) cannot be an attachment, or its stamp (size, times, inode,
    which any change moves) and its full path. `inside` is the real path of cases/ and a separator."""
    path = os.path.join(root, source)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return f"does not exist (no file {source})"
    except OSError as error:
        return f"cannot be looked at: {error.strerror}"
    # Through a link of its own, or of a folder on the way to it.
    real = os.path.realpath(path)
    if not real.startswith(inside):
        return f"leads to {real} through a symbolic link, outside cases/"
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            return f"is a symbolic link to {real}, which does not exist"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO, socket or device); it is never opened"
    if info.st_size > MAX_BYTES:
        return f"is {info.st_size / 1_000_000:.1f} MB, more than the {MAX_BYTES // (1024 * 1024)} MB an attachment may have"
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino), path


class Resolved(NamedTuple):
    """What `resolve` found: the cases with their attachments, and the warnings about files left out."""

    cases: list[Case]
    warnings: list[Problem]
    # What each file examined holds, by its path in the project, kept for the next reading (see resolve).
    seen: dict[str, tuple[tuple, Found | str]]
    # The path in the project of every file a case names or holds, copied or not.
    named: set[str]


def entries(root: str, case: Case) -> tuple[list[tuple[str, str | None, int | None]], list[Problem]]:
    """The files a case names (name, note, line), in order: those listed, then the other files of its case
    folder by name; and a warning for each listed path that may not be used."""
    folder, problems, out, taken = case.path.rpartition("/")[0], [], [], set()
    for item in case.listed:
        why = bad_name(item.name)
        name = normal(item.name)
        if why or name in taken:
            problems.append(Problem(case.path, item.line, f"the attachment '{shown(item.name)}' "
                                    f"{why or 'is listed twice; once is enough'}; it is left out of the site",
                                    "attachments", warning=True))
            continue
        taken.add(name)
        out.append((name, item.note, item.line))
    if case.path.endswith(f"/{BUNDLE_FILE}"):
        out += [(name, None, None) for name in folder_files(os.path.join(root, folder))
                if name != BUNDLE_FILE and name not in taken]
    if len(out) > MAX_FILES:
        problems.append(Problem(case.path, dict(case.lines).get("attachments"), (
            f"{len(out)} attachments: only the first {MAX_FILES} are copied into the site ({out[MAX_FILES][0]} "
            "and after are left out); keep the files that show what happened"), "attachments", warning=True))
    return out, problems


def resolve(root: Path, cases: list[Case], known: dict[str, tuple[tuple, Found | str]], started: int) -> Resolved:
    """Each case with the files kept with it that can be copied safely, and a warning for each that cannot,
    or that the notes show as an image without being one of them.

    `known` is what the last reading found in each file, by its path and stamp: a file whose size, times and
    inode are the same is not read again. `started` is when this reading began (ns): a file changed around
    then could change again unseen, so what it holds is not kept.
    """
    top = str(root)
    inside = os.path.realpath(os.path.join(top, "cases")) + os.sep
    named, seen, problems, todo = set(), {}, [], {}
    plans = []
    for case in cases:
        found, warned = entries(top, case)
        problems += warned
        plan = []
        for name, note, line in found[:MAX_FILES]:
            source = f"{case.path.rpartition('/')[0]}/{name}"
            named.add(source)
            looked = inspect(top, inside, source)
            if not isinstance(looked, str):
                stamp, path = looked
                old = known.get(source)
                if old is not None and old[0] == stamp:
                    seen[source] = old
                else:
                    todo[source] = (stamp, path)
            plan.append((name, note, line, source, looked))
        plans.append((case, plan))
    # Files new or changed since the last reading are read and decoded on every core when there are many.
    for (source, (stamp, path)), made in zip(todo.items(), workers.each(lambda t: examine(t[1][1]), list(todo.items()), 16)):
        seen[source] = (stamp, made)
    out = []
    for case, plan in plans:
        kept = []
        for name, note, line, source, looked in plan:
            what = looked if isinstance(looked, str) else seen[source][1]
            if isinstance(what, str):
                where = "" if line else f" (in {case.path.rpartition('/')[0]}/)"
                problems.append(Problem(case.path, line, f"the attachment '{shown(name)}'{where} {what}; it is left "
                                                         "out of the site", "attachments", warning=True))
            else:
                kept.append(Attachment(name, source, what.kind, what.size, what.digest, note, what.format, what.pixels))
        problems += image_warnings(case, kept, {name for name, *_ in plan})
        out.append(replace(case, attachments=tuple(kept)) if kept else case)
    # A file changed just now could change again without its times moving: looked at afresh next time.
    fresh = {source: entry for source, entry in seen.items() if max(entry[0][1], entry[0][2]) < started - RACY_NS}
    return Resolved(out, problems, fresh, named)


def image_warnings(case: Case, kept: list[Attachment], tried: set[str]) -> list[Problem]:
    """A warning for each image of the notes that shows as its words: not an image kept with the case
    (one that was left out is warned about already), or from another site."""
    mine, out = {a.name: a for a in kept}, []
    for src, alt, line in case.images:
        target = note_target(src)
        words = f"it shows as its words ('{shown(alt)}')" if alt else "it shows as nothing (it has no words: ![words](file))"
        if target is None:
            why = "is not a file of this case: images are never loaded from elsewhere (the report stays private)"
        elif target in mine and mine[target].kind != "image":
            why = f"is {'a PDF' if mine[target].kind == 'pdf' else 'a file'}, not an image; link it with [words]({shown(target)})"
        elif target not in mine and target not in tried:
            why = "is not an attachment of this case: list it under 'attachments:', or keep it in the case's folder"
        else:
            continue
        out.append(Problem(case.path, line, f"the image '{shown(src)}' in the notes {why}; {words}", "body", warning=True))
    return out


def unlisted(root: Path, folder: str, named: set[str]) -> list[Problem]:
    """A warning for each file of a folder of cases/ (not a case folder) that no case names as an attachment."""
    return [Problem(f"{folder}/{name}", None, "no case lists it under 'attachments:'; not copied into the site",
                    warning=True) for name in folder_files(os.path.join(root, folder)) if f"{folder}/{name}" not in named]

"""The files kept with cases, as the private site carries them: images re-encoded from their pixels alone
(no EXIF, GPS, XMP, ICC profile or comment survives) with a thumbnail for the case page, PDFs copied as
they are, and anything else packed in a .zip to download, never opened by the browser.

Why a .zip: an SVG or HTML file runs its scripts when opened, and a site opened from its folder
(file://) or served by any web server gives it the type its name says. A link's `download` attribute is
ignored for file:// pages, and a renamed `x.svg.txt` would lose what the file is. Inside a .zip, the file
keeps its name and bytes, and no browser opens it.

A copy's name is `attachments/<digest>-<slug>.<ext>`: the digest of the case id and the file's name keeps
the case id out of every address, and the slug (ASCII letters, digits and '-') keeps spaces, Unicode look-alikes
and path separators out of it.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import PurePosixPath
from typing import NamedTuple

import PIL
from PIL import Image, ImageOps

from amends.cases.attachments import MAX_BYTES
from amends.incremental.cache import digest
from amends.incremental.files import read_regular
from amends.model import Attachment, Case
from amends.text import slugify

FOLDER = "attachments"
# The case page shows thumbnails in two columns on a wide screen: 480 px wide is sharp on a phone too.
THUMB_WIDTH, THUMB_HEIGHT = 480, 640
JPEG_QUALITY = 88
# What a copy is made from besides the file's bytes: a change of this recipe, or of Pillow, makes every copy again.
RECIPE = digest("attachments 1", PIL.__version__, str(THUMB_WIDTH), str(THUMB_HEIGHT), str(JPEG_QUALITY))
# Photos stay JPEG; images that may be drawings, screenshots or have transparency (PNG, GIF) stay lossless.
_JPEG_FROM = ("JPEG", "WEBP")
# Characters no file name inside a .zip may have: they could make a folder, or a path on Windows.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class Shown(NamedTuple):
    """One attachment as the case page shows it; addresses are from the site's top."""

    name: str   # as the case names it, from its file's folder
    label: str  # the file's own name, without its folders
    note: str | None
    kind: str
    href: str
    size: str
    thumb: str = ""
    width: int = 0
    height: int = 0
    download: str = ""  # the name a file (not an image or PDF) is saved under: its own, with .zip


def _base(case_id: str, attachment: Attachment) -> str:
    key = hashlib.sha256(f"{case_id}\0{attachment.name}".encode()).hexdigest()[:20]
    path = PurePosixPath(attachment.name)
    words = path.stem if attachment.kind != "file" else path.name
    return f"{FOLDER}/{key}-{slugify(words)[:40].strip('-')}"


def _extension(attachment: Attachment) -> str:
    if attachment.kind == "image":
        return ".jpg" if attachment.format in _JPEG_FROM else ".png"
    return ".pdf" if attachment.kind == "pdf" else ".zip"


def copy_name(case_id: str, attachment: Attachment) -> str:
    """Where the site keeps an attachment's copy."""
    return _base(case_id, attachment) + _extension(attachment)


def thumb_size(attachment: Attachment) -> tuple[int, int]:
    """An image's size on the case page: within THUMB_WIDTH × THUMB_HEIGHT, never enlarged."""
    width, height = attachment.pixels
    scale = min(THUMB_WIDTH / width, THUMB_HEIGHT / height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumb_name(case_id: str, attachment: Attachment) -> str:
    """Where an image's thumbnail is: its copy itself when that is small enough."""
    if thumb_size(attachment) == attachment.pixels:
        return copy_name(case_id, attachment)
    return _base(case_id, attachment) + ".thumb" + _extension(attachment)


def saved_name(attachment: Attachment) -> str:
    """The name a file is saved under from its .zip: its own, less what could make a folder or a path."""
    return _UNSAFE.sub("_", PurePosixPath(attachment.name).name).lstrip(".") or "file"


def size_text(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.0f} kB" if size < 999_500 else f"{size / 1_000_000:.1f} MB"


def shown(case: Case) -> list[Shown]:
    """What the case page shows of each attachment."""
    out = []
    for a in case.attachments:
        href, label = copy_name(case.id, a), PurePosixPath(a.name).name
        if a.kind == "image":
            width, height = thumb_size(a)
            out.append(Shown(a.name, label, a.note, a.kind, href, size_text(a.size), thumb_name(case.id, a), width, height))
        else:
            out.append(Shown(a.name, label, a.note, a.kind, href, size_text(a.size),
                             download=saved_name(a) + ".zip" if a.kind == "file" else ""))
    return out


def key(case: Case) -> str:
    """What the site shows of a case's attachments, beyond its case file: which files, and their bytes."""
    return digest(*(part for a in case.attachments for part in (a.name, a.kind, a.digest, a.format, repr(a.pixels))))


def note_links(case: Case, root: str) -> tuple[dict[str, str], dict[str, str]]:
    """For the notes: each image attachment's thumbnail, and each attachment's copy, by its name; as
    addresses from a page `root` (such as "../") below the site's top."""
    images = {a.name: root + thumb_name(case.id, a) for a in case.attachments if a.kind == "image"}
    return images, {a.name: root + copy_name(case.id, a) for a in case.attachments}


def site_files(cases: list[Case]) -> dict[str, tuple[str, str, Attachment]]:
    """Every file the site holds for attachments: its key (what it is made from), its case id and its attachment."""
    out = {}
    for case in cases:
        for a in case.attachments:
            made = digest(RECIPE, a.kind, a.format, a.digest)
            out[copy_name(case.id, a)] = (made, case.id, a)
            if a.kind == "image":
                out[thumb_name(case.id, a)] = (made, case.id, a)
    return out


def made(case_id: str, attachment: Attachment, root: str) -> dict[str, bytes]:
    """The site's files for one attachment, read from the project at `root`; none when the file is no longer
    the one checked (changed or gone since: the next build makes them)."""
    try:
        data = read_regular(f"{root}/{attachment.source}", MAX_BYTES)
    except OSError:
        return {}
    if digest(data) != attachment.digest:
        return {}
    if attachment.kind == "pdf":
        return {copy_name(case_id, attachment): data}
    if attachment.kind == "file":
        return {copy_name(case_id, attachment): packed(saved_name(attachment), data)}
    try:
        copy, thumb = reencoded(data, attachment)
    except Exception:  # decoded once already when checked: only a file swapped since gets here
        return {}
    return {copy_name(case_id, attachment): copy, thumb_name(case_id, attachment): thumb or copy}


def packed(name: str, data: bytes) -> bytes:
    """A .zip holding one file, the same bytes for the same file (a fixed date, no extra fields)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def reencoded(data: bytes, attachment: Attachment) -> tuple[bytes, bytes]:
    """An image made again from its pixels alone, turned upright, and its thumbnail (b"" when the copy is small enough).

    Pillow keeps a file's EXIF (with GPS), comment, XMP and ICC profile in the image's `info` and writes some
    of them back on saving; an image made from the bare pixels has none to write.
    """
    with Image.open(io.BytesIO(data), formats=[attachment.format]) as image:
        upright = ImageOps.exif_transpose(image)
    as_jpeg = attachment.format in _JPEG_FROM
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    if as_jpeg and has_alpha:  # JPEG has no transparency: put it on white, as a page would show it
        plain = Image.new("RGB", upright.size, "white")
        plain.paste(upright.convert("RGBA"), mask=upright.convert("RGBA"))
        upright = plain
    mode = "RGB" if as_jpeg else "RGBA" if has_alpha else "L" if upright.mode in ("1", "L", "I;16") else "RGB"
    converted = upright.convert(mode)
    bare = Image.frombytes(mode, converted.size, converted.tobytes())
    size = thumb_size(attachment)
    small = b"" if size == bare.size else _encoded(bare.resize(size, Image.Resampling.LANCZOS), as_jpeg)
    return _encoded(bare, as_jpeg), small


def _encoded(image: Image.Image, as_jpeg: bool) -> bytes:
    out = io.BytesIO()
    if as_jpeg:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()

"""Attachments: photos and scans kept with a case, carried by the private site safely.

Real files throughout: photos written by Pillow with EXIF (camera, orientation and a GPS position),
XMP, an ICC profile and a comment, read back from site/ with Pillow; a one-page PDF that poppler reads;
an SVG and an HTML page carrying scripts. Every site is built and checked through the command line.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from amends import cli, serve
from amends.demo.files import pdf
from amends.report import attachments as report_attachments

from conftest import link_target

DAY = "2026-11-22"
GPS = {1: "N", 2: (53.0, 32.0, 41.0), 3: "E", 4: (9.0, 58.0, 12.0)}
CAMERA = "SecretPhone 9"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert("svg")</script></svg>'
HTML = b"<!DOCTYPE html><title>x</title><script>alert('html')</script>"


def case_text(title: str, front: str = "", body: str = "The cake stand arrived cracked.") -> str:
    return (f"---\ntitle: {title}\ncustomer:\n  name: Ann Example\n  email: ann@example.com\nchannel: email\n"
            f"opened: 2026-03-01\nresolved: 2026-03-04\nstatus: resolved\n{front}---\n{body}\n")


def photo(format: str = "JPEG", size: tuple[int, int] = (1200, 900), orientation: int = 6, seed: int = 0) -> bytes:
    """A photo as a phone saves one: EXIF with its make, model, the way it was held and where it was, plus
    XMP, an ICC profile and (for JPEG) a comment."""
    image = Image.new("RGB", size, (200, 120 + seed, 60))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 3, size[1] // 4), fill=(20, 20, 200))  # marks the top left
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "SecretMaker", CAMERA, orientation
    exif[0x8825] = GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SecretXMP</rdf:RDF></x:xmpmeta>'
    out = io.BytesIO()
    extra = {"comment": b"SecretComment", "quality": 90} if format == "JPEG" else {}
    if format == "PNG":  # PNG keeps XMP and comments in text chunks
        extra["pnginfo"] = PngImagePlugin.PngInfo()
        extra["pnginfo"].add_itxt("XML:com.adobe.xmp", xmp.decode())
        extra["pnginfo"].add_text("Comment", "SecretComment")
    image.save(out, format, exif=exif, icc_profile=icc, xmp=xmp, **extra)
    return out.getvalue()


def project(tmp_path: Path) -> Path:
    """An empty project with the shipped templates and settings."""
    root = tmp_path / "p"
    (root / "cases").mkdir(parents=True)
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "templates", root / "templates")
    shutil.copy(repo / "amends.yaml", root / "amends.yaml")
    return root


def put(root: Path, name: str, data: bytes | str) -> Path:
    path = root / "cases" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def line_of(text: str, words: str) -> int:
    """The line of a file's text that holds `words` (the last, for a line of a list written twice)."""
    return max(n for n, line in enumerate(text.split("\n"), 1) if words in line)


def run(root: Path, *command: str) -> int:
    return cli.main(["--root", str(root), "--today", DAY, *command])


def page(root: Path, case_id: str) -> BeautifulSoup:
    return BeautifulSoup((root / "site" / "cases" / f"{case_id}.html").read_text(encoding="utf-8"), "html5lib")


def target(root: Path, case_id: str, href: str) -> Path:
    found = link_target(root / "site" / "cases" / f"{case_id}.html", href)
    assert found is not None and found.is_relative_to((root / "site" / "attachments").resolve()), href
    return found


def site_files(root: Path) -> dict[str, bytes]:
    site = root / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def assert_bare(data: bytes) -> Image.Image:
    """The image in `data` as Pillow reads it back: no EXIF (so no GPS), XMP, ICC profile or comment."""
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(0x8825)
    assert not {"exif", "xmp", "icc_profile", "comment", "Comment", "XML:com.adobe.xmp"} & set(image.info), image.info.keys()
    for secret in (CAMERA.encode(), b"SecretMaker", b"SecretXMP", b"SecretComment", b"Exif\0"):
        assert secret not in data
    return image


# -- images ------------------------------------------------------------------------

@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_copied_upright_without_exif_gps_xmp_icc_or_comment(tmp_path, format):
    root = project(tmp_path)
    original = photo(format)
    with Image.open(io.BytesIO(original)) as image:  # the photo really carries all of it
        assert image.getexif().get_ifd(0x8825)[2] == GPS[2] and image.getexif()[0x0110] == CAMERA
        assert image.info.get("icc_profile")
    put(root, "2026-03-01-cracked-stand/index.md", case_text("Cracked stand", body="![the stand](stand.img)"))
    put(root, "2026-03-01-cracked-stand/stand.img", original)  # known by its bytes, not its name

    assert run(root, "build") == 0
    soup = page(root, "2026-03-01-cracked-stand")
    figure = soup.select_one("#attachments figure")
    copy = assert_bare(target(root, "2026-03-01-cracked-stand", figure.a["href"]).read_bytes())
    # Held upright (orientation 6): the copy is turned as the photo was taken, its top-left mark now top right.
    assert copy.size == (900, 1200)
    assert copy.convert("RGB").getpixel((880, 10))[2] > 150 and copy.convert("RGB").getpixel((10, 10))[2] < 100
    img = figure.find("img")
    thumb = assert_bare(target(root, "2026-03-01-cracked-stand", img["src"]).read_bytes())
    assert thumb.size == (int(img["width"]), int(img["height"])) == (480, 640)
    # The notes show the same thumbnail.
    [in_notes] = soup.select(".body img")
    assert in_notes["src"] == img["src"] and in_notes["alt"] == "the stand"
    # Nothing in the site holds the photo's secrets.
    for name, data in site_files(root).items():
        assert CAMERA.encode() not in data and b"SecretComment" not in data, name


def test_a_gif_becomes_a_png_of_its_first_frame_without_its_comment(tmp_path):
    root = project(tmp_path)
    frames = [Image.new("P", (600, 300), n) for n in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], comment=b"SecretComment", loop=0)
    put(root, "2026-03-01-sign/index.md", case_text("Sign"))
    put(root, "2026-03-01-sign/sign.gif", out.getvalue())

    assert run(root, "build") == 0
    figure = page(root, "2026-03-01-sign").select_one("#attachments figure")
    copy = target(root, "2026-03-01-sign", figure.a["href"])
    assert copy.suffix == ".png" and assert_bare(copy.read_bytes()).size == (600, 300)
    assert (int(figure.img["width"]), int(figure.img["height"])) == (480, 240)


# -- PDFs, and files that must never run ----------------------------------------------------

def test_a_pdf_is_copied_as_it_is_and_linked_with_its_note_and_size(tmp_path):
    root = project(tmp_path)
    letter = pdf(["Dear Harbour Lane Bakery,", "the cake stand arrived cracked."])
    put(root, "letters/ann-example.pdf", letter)
    info = subprocess.run(["pdfinfo", str(root / "cases" / "letters" / "ann-example.pdf")], capture_output=True, text=True)
    assert info.returncode == 0 and "Pages:           1" in info.stdout, info.stderr  # a real one-page PDF
    put(root, "2026-03-01-letter.md", case_text("Letter", "attachments:\n  - file: letters/ann-example.pdf\n"
                                                          "    note: the customer's letter\n",
                                                "She wrote to us: [her letter](letters/ann-example.pdf)."))

    assert run(root, "build") == 0
    soup = page(root, "2026-03-01-letter")
    [item] = soup.select("#attachments .files li")
    assert " ".join(item.get_text(" ").split()) == f"ann-example.pdf : the customer's letter (PDF, {len(letter)} bytes)"
    copy = target(root, "2026-03-01-letter", item.a["href"])
    assert copy.suffix == ".pdf" and copy.read_bytes() == letter
    # A link of the notes to the attachment leads to the copy.
    assert [a["href"] for a in soup.select(".body a")] == [item.a["href"]]


def test_svg_and_html_are_only_downloads_packed_in_a_zip_that_serve_never_shows(tmp_path):
    root = project(tmp_path)
    put(root, "2026-03-01-drawings/index.md", case_text("Drawings"))
    put(root, "2026-03-01-drawings/plan.svg", SVG)
    put(root, "2026-03-01-drawings/Ihre Bestellung.html", HTML)

    assert run(root, "build") == 0
    names = sorted(p.name for p in (root / "site" / "attachments").iterdir())
    assert len(names) == 2 and all(name.endswith(".zip") for name in names), names
    assert all(" " not in name and name.isascii() and "2026-03-01-drawings" not in name for name in names)
    links = page(root, "2026-03-01-drawings").select("#attachments .files a")
    assert [a["download"] for a in links] == ["Ihre Bestellung.html.zip", "plan.svg.zip"]
    for a, data in zip(links, (HTML, SVG)):
        with zipfile.ZipFile(target(root, "2026-03-01-drawings", a["href"])) as archive:
            [entry] = archive.infolist()
            assert entry.filename == a["download"].removesuffix(".zip") and archive.read(entry) == data
    # No script of theirs is anywhere in the site, as a file a browser could open.
    assert not [name for name, data in site_files(root).items() if b"alert(" in data]

    httpd = serve.make_server(root / "site", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        port = httpd.server_address[1]
        answers = {}
        for path in (f"/attachments/{names[0]}", "/cases/2026-03-01-drawings.html"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            answers[path] = (response.status, response.getheader("Content-Disposition"))
            conn.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert answers == {f"/attachments/{names[0]}": (200, "attachment"), "/cases/2026-03-01-drawings.html": (200, None)}


# -- a case folder, and what is not read ------------------------------------------------

def test_a_case_folder_is_a_case_whose_other_files_are_its_attachments(tmp_path, capsys):
    root = project(tmp_path)
    folder = "2026-03-01-cracked-stand"
    put(root, f"{folder}/index.md", case_text("Cracked stand", "attachments:\n  - file: b-photo.jpg\n    note: as it came\n",
                                              "![as it came](b-photo.jpg) and ![elsewhere](https://example.com/x.png)"))
    put(root, f"{folder}/b-photo.jpg", photo(size=(300, 200), orientation=1))
    put(root, f"{folder}/a-letter.pdf", pdf(["A letter"]))
    put(root, f"{folder}/scans/c-receipt.pdf", pdf(["A receipt"]))
    for quiet in (".DS_Store", "index.md~"):
        put(root, f"{folder}/{quiet}", "x")
    put(root, "2025/old.md", case_text("Old case"))  # a folder with no index.md: not read, as before
    put(root, "shared/logo.png", photo("PNG", (40, 40), 1))  # listed by a case below: read
    put(root, "shared/stray.txt", "nobody lists me")
    put(root, "2026-03-02-logo.md", case_text("Logo", "attachments: [shared/logo.png]\n"))

    assert run(root, "check") == 0
    out = capsys.readouterr().err
    assert "cases/2025: warning: a folder: case files in subfolders are not read" in out
    assert "cases/shared/stray.txt: warning: no case lists it under 'attachments:'; not copied into the site" in out
    assert "cases/shared:" not in out and folder + ":" not in out and "DS_Store" not in out
    line = line_of((root / "cases" / folder / "index.md").read_text(encoding="utf-8"), "![as it came]")
    assert (f"cases/{folder}/index.md:{line}: warning: the image 'https://example.com/x.png' in the notes is not a file "
            "of this case") in out

    assert run(root, "build") == 0
    soup = page(root, folder)  # the case's id is its folder's name
    thumbs = soup.select("#attachments .thumbs figure")
    files = soup.select("#attachments .files a")
    # Those listed first, then the others by name.
    assert [f.figcaption.code.get_text() for f in thumbs] + [a.get_text() for a in files] == [
        "b-photo.jpg", "a-letter.pdf", "c-receipt.pdf"]
    assert [f.figcaption.code["title"] for f in thumbs] == ["b-photo.jpg"] and files[1].code["title"] == "scans/c-receipt.pdf"
    # A small photo is its own thumbnail; the remote image shows as its words.
    assert thumbs[0].a["href"] == thumbs[0].img["src"]
    notes = soup.select_one(".body")
    assert [img["src"] for img in notes.find_all("img")] == [thumbs[0].img["src"]]
    assert "elsewhere" in notes.get_text()
    assert len(page(root, "2026-03-02-logo").select("#attachments figure")) == 1
    assert not (root / "site" / "cases" / "old.html").exists()
    # The export names them, and never holds them.
    exported = {case["id"]: case["attachments"] for case in json.loads((root / "site" / "cases-2026.json").read_bytes())["cases"]}
    assert [(a["name"], a["kind"], a["note"]) for a in exported[folder]] == [
        ("b-photo.jpg", "image", "as it came"), ("a-letter.pdf", "pdf", None), ("scans/c-receipt.pdf", "pdf", None)]


def test_demo_and_init_never_write_where_case_folders_are(tmp_path, capsys):
    root = project(tmp_path)
    put(root, "2026-03-01-cracked-stand/index.md", case_text("Cracked stand"))
    assert run(root, "demo", "--cases", "3", "--out", str(root)) == 2
    assert "already holds case files" in capsys.readouterr().err
    book = tmp_path / "book"  # no amends.yaml: only the case folder stops init
    shutil.copytree(root / "cases", book / "cases")
    assert cli.main(["init", str(book), "--name", "Bakery"]) == 2
    assert "already holds case files" in capsys.readouterr().err
    assert sorted(p.name for p in (root / "cases").iterdir()) == sorted(p.name for p in (book / "cases").iterdir()) == [
        "2026-03-01-cracked-stand"]
    assert not (book / "amends.yaml").exists()


# -- every mistake at its line ---------------------------------------------------------------

MISTAKES = """\
attachments:
  - ../outside.jpg
  - /etc/hostname
  - missing.pdf
  - big.pdf
  - link.pdf
  - elsewhere/secret.pdf
  - broken.jpg
  - file: photo.jpg
  - photo.jpg
  - .hidden.pdf
  - folder
"""


def test_check_names_every_mistake_at_its_line_and_leaves_the_file_out(tmp_path, capsys):
    root = project(tmp_path)
    (root / "outside.jpg").write_bytes(photo())
    put(root, "x.md", case_text("Mistakes", MISTAKES, "One\n\n![not kept](missing.pdf) ![gone](nowhere.png) "
                                                       "![letter](letter.pdf)"))
    with open(root / "cases" / "big.pdf", "wb") as f:  # sparse: 11 MB on paper, nothing on disk
        f.write(b"%PDF-1.4\n")
        f.truncate(11 * 1024 * 1024)
    outside = Path(tempfile.mkdtemp()) / "secret.pdf"
    outside.write_bytes(pdf(["TopSecretLetter"]))
    os.symlink(outside, root / "cases" / "link.pdf")
    os.symlink(outside.parent, root / "cases" / "elsewhere")  # a folder on the way out
    whole = io.BytesIO()
    Image.effect_noise((400, 300), 60).save(whole, "JPEG")
    put(root, "broken.jpg", whole.getvalue()[:8000])  # its header whole, its picture cut off
    put(root, "photo.jpg", photo(orientation=1))
    put(root, ".hidden.pdf", pdf(["HiddenFileText"]))
    (root / "cases" / "folder").mkdir()
    put(root, "y.md", case_text("Letter", "attachments:\n  - letter.pdf\n"))
    put(root, "letter.pdf", pdf(["letter"]))
    put(root, "z.md", case_text("Wrong shape", "attachments:\n  - fiel: photo.jpg\n  - [a, b]\n"))
    put(root, "w.md", case_text("Not a list", "attachments: photo.jpg\n"))

    assert run(root, "check") == 1  # z.md and w.md are wrong; x.md's attachments only warn
    out = capsys.readouterr().err
    said = {line.split(": warning: ")[0]: line for line in out.splitlines() if line.startswith("cases/x.md:")}
    expected = {
        "- ../outside.jpg": "the attachment '../outside.jpg' uses '..'",
        "- /etc/hostname": "the attachment '/etc/hostname' is an absolute path",
        "- missing.pdf": "the attachment 'missing.pdf' does not exist (no file cases/missing.pdf)",
        "- big.pdf": "the attachment 'big.pdf' is 11.5 MB, more than the 10 MB an attachment may have",
        "- link.pdf": f"the attachment 'link.pdf' leads to {outside.resolve()} through a symbolic link, outside cases/",
        "- elsewhere/secret.pdf": f"the attachment 'elsewhere/secret.pdf' leads to {outside.resolve()} through a symbolic link",
        "- broken.jpg": "the attachment 'broken.jpg' cannot be read as a JPEG image",
        "- photo.jpg": "the attachment 'photo.jpg' is listed twice",
        "- .hidden.pdf": "the attachment '.hidden.pdf' is a hidden file",
        "- folder": "the attachment 'folder' is a folder, not a file",
    }
    x = (root / "cases" / "x.md").read_text(encoding="utf-8")
    for written, words in expected.items():
        where = f"cases/x.md:{line_of(x, written)}"
        assert f"{where}: warning: {words}" in said.get(where, ""), (written, out)
    # The images of the notes: one not kept (its file is warned about already), one no attachment, one of another case.
    where = f"cases/x.md:{line_of(x, '![not kept]')}"
    assert f"{where}: warning: the image 'nowhere.png' in the notes is not an attachment of this case" in out
    assert f"{where}: warning: the image 'letter.pdf' in the notes is not an attachment of this case" in out
    assert "the image 'missing.pdf'" not in out
    z = (root / "cases" / "z.md").read_text(encoding="utf-8")
    assert f"cases/z.md:{line_of(z, 'fiel:')}: unknown key 'attachments[1].fiel'; did you mean 'file'?" in out
    assert f"cases/z.md:{line_of(z, '[a, b]')}: 'attachments[2]' should be a single value, not a list" in out
    assert f"cases/w.md:{line_of(case_text('', 'attachments: x'), 'attachments:')}: 'attachments' should be a list" in out

    assert run(root, "build") == 1
    soup = page(root, "x")
    assert [f.figcaption.code.get_text() for f in soup.select("#attachments figure")] == ["photo.jpg"]
    assert not soup.select("#attachments .files")
    warned = " ".join(li.get_text(" ") for li in soup.select(".warnings li"))
    assert "Line 13:" in warned and "outside cases/" in warned
    copies = site_files(root)
    assert not [name for name, data in copies.items() if b"TopSecretLetter" in data or b"HiddenFileText" in data]
    assert len([name for name in copies if name.startswith("attachments/")]) == 3  # x's photo and thumbnail, y's letter


def test_at_most_40_files_of_a_case_are_copied(tmp_path, capsys):
    root = project(tmp_path)
    put(root, "2026-03-01-many/index.md", case_text("Many"))
    for n in range(43):
        put(root, f"2026-03-01-many/scan-{n:02d}.pdf", pdf([f"page {n}"]))

    assert run(root, "check") == 0
    assert ("cases/2026-03-01-many/index.md: warning: 43 attachments: only the first 40 are copied into the site "
            "(scan-40.pdf and after are left out)") in capsys.readouterr().err
    assert run(root, "build") == 0
    assert [a.get_text() for a in page(root, "2026-03-01-many").select("#attachments .files a")] == [
        f"scan-{n:02d}.pdf" for n in range(40)]


# -- incremental builds ----------------------------------------------------------------------

def clean_build(root: Path) -> dict[str, bytes]:
    """What a fresh copy of the project's inputs builds with no cache."""
    fresh = Path(tempfile.mkdtemp(dir=root.parent)) / "p"
    for name in ("cases", "templates"):
        shutil.copytree(root / name, fresh / name, symlinks=True)
    shutil.copy(root / "amends.yaml", fresh / "amends.yaml")
    assert run(fresh, "build") == 0
    return site_files(fresh)


def test_an_attachment_changed_touched_removed_or_renamed_rebuilds_as_a_clean_build_would(tmp_path, capsys, monkeypatch):
    root = project(tmp_path)
    folder = "2026-03-01-cracked-stand"
    put(root, f"{folder}/index.md", case_text("Cracked stand", body="![the stand](stand.jpg)"))
    put(root, f"{folder}/stand.jpg", photo(seed=0))
    put(root, f"{folder}/letter.pdf", pdf(["letter"]))
    put(root, "2026-03-02-logo.md", case_text("Logo", "attachments: [shared/logo.png]\n"))
    put(root, "shared/logo.png", photo("PNG", (40, 40), 1))
    assert run(root, "build") == 0
    assert site_files(root) == clean_build(root)

    def thumb() -> Path:
        return target(root, folder, page(root, folder).select_one("#attachments img")["src"])

    # Touched, the same bytes: nothing is made again, nor written.
    made = []
    monkeypatch.setattr(report_attachments, "reencoded", lambda *a, real=report_attachments.reencoded: made.append(a) or real(*a))
    before = thumb().stat().st_ino
    os.utime(root / "cases" / folder / "stand.jpg", (1_700_000_000, 1_700_000_000))
    capsys.readouterr()
    assert run(root, "build") == 0
    assert "(0 files changed)" in capsys.readouterr().out and thumb().stat().st_ino == before
    assert made == []

    # Another photo under the same name: a new copy and thumbnail, as a clean build makes them.
    old = thumb().read_bytes()
    put(root, f"{folder}/stand.jpg", photo(seed=90))
    assert run(root, "build") == 0
    assert len(made) == 1  # that photo, and no other file
    assert site_files(root) == clean_build(root) and thumb().read_bytes() != old

    # The letter deleted: its copy leaves the site.
    copies = {name for name in site_files(root) if name.startswith("attachments/")}
    (root / "cases" / folder / "letter.pdf").unlink()
    assert run(root, "build") == 0
    now = {name for name in site_files(root) if name.startswith("attachments/")}
    assert len(now) == len(copies) - 1 and not [n for n in now if n.endswith(".pdf")]
    assert site_files(root) == clean_build(root)

    # The shared file changed, and the case folder renamed (a new id names its copies anew).
    put(root, "shared/logo.png", photo("PNG", (40, 40), 1, seed=50))
    (root / "cases" / folder).rename(root / "cases" / "2026-03-01-stand")
    assert run(root, "build") == 0
    assert site_files(root) == clean_build(root)
    assert not (root / "site" / "cases" / f"{folder}.html").exists()
    assert not (set(copies) & {name for name in site_files(root) if name.startswith("attachments/") and "stand" in name})

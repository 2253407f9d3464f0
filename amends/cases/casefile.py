"""Read one case file: bytes → UTF-8 text → front matter and Markdown body.

Values are not interpreted here (that is `validate`); this stage only finds
the YAML, parses it safely and remembers where everything is.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from amends.cases.yamlfile import Document, parse_mapping
from amends.model import Problem

MAX_FILE_BYTES = 2 * 1024 * 1024
_FENCES = ("---", "...")
# The case file of a case folder (cases/<id>/index.md, as Hugo's page bundles): the files beside it are its attachments.
BUNDLE_FILE = "index.md"


def stem_of(name: str) -> str:
    """The id a case file's name gives: cases/x.md is x, and a case folder's cases/x/index.md is x too."""
    folder, _, file = name.rpartition("/")
    if file == BUNDLE_FILE and folder.count("/") == 1:
        return folder.rpartition("/")[2]
    return Path(file).stem


@dataclass
class RawCase:
    """A case file split into its parsed front matter and its body."""

    stem: str
    doc: Document
    body: str
    body_line: int  # the file line of the body's first line


def read_case(path: Path, name: str) -> tuple[RawCase | None, list[Problem]]:
    """Read the case file at `path`, reported as `name` (e.g. cases/x.md)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(name, None, f"cannot read the file: {error.strerror}")]
    return parse_case(data, path.stem, name)


def parse_case(data: bytes, stem: str, name: str) -> tuple[RawCase | None, list[Problem]]:
    """Decode and split the bytes of a case file."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(name, None, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")]
    # The BOM is dropped before decoding, so that an error's offset is one into `data`.
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line = data[:offset].count(b"\n") + 1
        return None, [Problem(name, line, f"the file is not UTF-8 (byte 0x{data[offset]:02x}); "
                                          "save it as UTF-8 in your editor")]
    return split_case(text, stem, name)


def split_case(text: str, stem: str, name: str) -> tuple[RawCase | None, list[Problem]]:
    """Split text into front matter (parsed) and body."""
    # Lines end at LF (or CRLF) only, as editors count them: a lone CR or U+2028 ends none.
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, [Problem(name, 1, "a case file must start with a line '---', then the front matter, then '---'")]
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() in _FENCES), None)
    if end is None:
        return None, [Problem(name, 1, "the front matter has no closing '---' line")]
    doc, problems = parse_mapping("\n".join(lines[1:end]), name, first_line=2)
    if doc is None:
        return None, problems
    after = "\n".join(lines[end + 1:])
    body = after.strip("\n")
    # The line of the body's first line: the blank lines before it are not part of it.
    first = end + 2 + len(after) - len(after.lstrip("\n"))
    return RawCase(stem, doc, body, first), problems

"""Parse YAML written by people, safely, keeping the line of every key.

PyYAML's loaders are unsafe for hand-edited files in ways that matter here:
aliases can expand exponentially when walked ("billion laughs"), the C loader
can crash the whole process on very deep nesting, duplicate keys silently win
last, and YAML 1.1 typing turns `no` into False and `01234` into 668. So this
module composes the document with the pure-Python base loader, refuses
anchors, aliases, tags, duplicate keys and deep nesting, and hands back plain
strings, lists and dicts; the schema that reads them decides the types.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .model import Problem

MAX_BYTES = 64 * 1024
MAX_DEPTH = 12

KeyPath = tuple  # e.g. ("accommodation", 0, "kind")


@dataclass
class Document:
    """A parsed YAML mapping, with the file line of every key and item."""

    path: str
    data: dict
    lines: dict[KeyPath, int] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, message: str, mark) -> None:
        super().__init__(message)
        self.mark = mark


class _GuardedLoader(yaml.BaseLoader):
    """The pure-Python loader with every value a string, and limits."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("aliases (*name) are not allowed; write the value out", event.start_mark)
        if getattr(event, "anchor", None):
            raise _Refused("anchors (&name) are not allowed; write the value out", event.start_mark)
        if getattr(event, "tag", None) not in (None, "!"):
            raise _Refused(f"YAML tags like '{event.tag}' are not allowed", event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"values are nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_mapping(text: str, path: str, first_line: int = 1) -> tuple[Document | None, list[Problem]]:
    """Parse YAML text that must be one mapping; return it or the problems found.

    `first_line` is the file line the text starts on, so that messages point
    into the file the person edits, not into the extracted YAML.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [Problem(path, first_line, f"the YAML is larger than {MAX_BYTES // 1024} KiB; is a closing '---' missing?")]
    try:
        loader = _GuardedLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as refused:
        return None, [Problem(path, refused.mark.line + first_line, str(refused))]
    except yaml.YAMLError as error:
        return None, [_syntax_problem(error, text, path, first_line)]
    except RecursionError:
        return None, [Problem(path, first_line, "values are nested too deeply")]

    if node is None:
        return None, [Problem(path, first_line, "there is no YAML here; expected 'key: value' lines")]
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(path, node.start_mark.line + first_line, "expected 'key: value' lines at the top level")]
    doc = Document(path, {})
    problems: list[Problem] = []
    doc.data = _plain(node, (), doc, problems, first_line)
    return doc, problems


def _syntax_problem(error: yaml.YAMLError, text: str, path: str, first_line: int) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if "end of stream" in str(getattr(error, "problem", "")) and getattr(error, "context_mark", None):
        # Running off the end means something opened earlier was never closed: point there.
        mark = error.context_mark
    if mark is not None:
        line = mark.line + first_line
    else:  # a ReaderError, for a character YAML refuses, knows only its offset
        line = text[: getattr(error, "position", 0)].count("\n") + first_line
    detail = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    message = f"YAML syntax error: {detail}" + (f" ({context})" if context else "")
    if "mapping values are not allowed" in message:
        message += "; put quotes around a value that contains ': '"
    return Problem(path, line, message)


def _plain(node, keypath: KeyPath, doc: Document, problems: list[Problem], first_line: int):
    """Turn a node into str/list/dict, recording lines and refusing duplicate keys."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[keypath + (index,)] = item.start_mark.line + first_line
            items.append(_plain(item, keypath + (index,), doc, problems, first_line))
        return items
    mapping: dict = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + first_line
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem(doc.path, line, "a key must be a plain word, not a list or mapping"))
            continue
        key = key_node.value
        if key in mapping:
            first = doc.lines[keypath + (key,)]
            problems.append(Problem(doc.path, line, f"duplicate key '{dotted(keypath + (key,))}' (first given on line {first})", dotted(keypath + (key,))))
            continue
        doc.lines[keypath + (key,)] = line
        mapping[key] = _plain(value_node, keypath + (key,), doc, problems, first_line)
    return mapping


def dotted(keypath: KeyPath) -> str:
    """Name a key path as a person reads it: accommodation[1].amount."""
    out = ""
    for part in keypath:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


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

import re
from bisect import bisect_right
from dataclasses import dataclass, field

import yaml

from amends.model import Problem

MAX_BYTES = 64 * 1024
MAX_DEPTH = 12

KeyPath = tuple  # e.g. ("accommodation", 0, "kind")

# Unquoted, these words mean "no value" (None); quoted ("Null", '~') they are text.
_NULLS = ("", "~", "null", "Null", "NULL")
# What must never reach a terminal raw from a value: C0 and C1 controls (escape codes),
# DEL, the Unicode line and paragraph separators, and the bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SHOWN_CHARS = 60


def escaped(text: str) -> str:
    """Text with each control character written as its escape (\\n, \\x1b, \\u2028), so it prints as one safe line."""
    return _UNPRINTABLE.sub(lambda match: repr(match[0])[1:-1], text)


def shown(value: object) -> str:
    """A value as a message may quote it: escaped, and shortened when long."""
    text = str(value)
    return escaped(text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…")


class _Lines:
    """File line numbers as editors count them: only '\\n' ends a line.

    YAML also breaks lines at '\\r', U+0085, U+2028 and U+2029, so its own line
    numbers drift from the editor's after one of those; a mark's character index does not.
    """

    def __init__(self, text: str, first_line: int) -> None:
        self.ends = [i for i, char in enumerate(text) if char == "\n"]
        self.first_line = first_line

    def __call__(self, mark) -> int:
        return bisect_right(self.ends, mark.index - 1) + self.first_line


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


# libyaml's event parser when PyYAML has it (fast, and it keeps its own stack, so
# deep nesting cannot crash it); PyYAML's pure-Python parser otherwise, and to read
# again a document libyaml refused (see parse_mapping).
_PARSER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_FRAMING = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent)


@dataclass
class _Open:
    """A mapping or list being filled while the events stream past."""

    value: dict | list
    keypath: KeyPath
    key: str | None = None       # a mapping's key waiting for its value
    skip: bool = False           # that key was a duplicate: drop its value


def _build(text: str, doc: Document, problems: list[Problem], line_of: _Lines, parser=_PARSER):
    """Build plain dicts, lists and strings from parser events, refusing what is not allowed.

    Iterative, not recursive: how deep a document nests can never exhaust a stack,
    and the depth limit stops reading at once.
    """
    loader = parser(text)
    stack: list[_Open] = []
    root = None
    documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, _FRAMING):
                documents += isinstance(event, yaml.DocumentStartEvent)
                if documents > 1:
                    raise _Refused("only one YAML document is allowed here", event.start_mark)
                continue
            if isinstance(event, yaml.AliasEvent):
                raise _Refused("aliases (*name) are not allowed; write the value out", event.start_mark)
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                if stack:
                    _attach(stack[-1], done.value)
                else:
                    root = done.value
                continue
            if event.anchor:
                raise _Refused("anchors (&name) are not allowed; write the value out", event.start_mark)
            if event.tag not in (None, "!"):
                raise _Refused(f"YAML tags like '{shown(event.tag)}' are not allowed", event.start_mark)
            line = line_of(event.start_mark)
            parent = stack[-1] if stack else None
            if parent is not None and isinstance(parent.value, dict) and parent.key is None:
                if not isinstance(event, yaml.ScalarEvent):
                    raise _Refused("a key must be a plain word, not a list or mapping", event.start_mark)
                keypath = parent.keypath + (event.value,)
                parent.key, parent.skip = event.value, event.value in parent.value
                if parent.skip:
                    problems.append(Problem(doc.path, line, f"duplicate key '{dotted(keypath)}' (first given on "
                                                            f"line {doc.lines[keypath]})", dotted(keypath)))
                else:
                    doc.lines[keypath] = line
                continue
            if parent is None:
                keypath = ()
            elif isinstance(parent.value, list):
                keypath = parent.keypath + (len(parent.value),)
                doc.lines[keypath] = line
            else:
                keypath = parent.keypath + (parent.key if not parent.skip else "\0duplicate",)
            if isinstance(event, yaml.ScalarEvent):
                # Only an unquoted null word is "no value": the event knows whether it was quoted.
                value = None if not event.style and event.value in _NULLS else event.value
                if parent is None:
                    root = value
                else:
                    _attach(parent, value)
                continue
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"nested too deep (more than {MAX_DEPTH} levels)", event.start_mark)
            stack.append(_Open({} if isinstance(event, yaml.MappingStartEvent) else [], keypath))
    finally:
        loader.dispose()
    return root


def _attach(parent: _Open, value) -> None:
    if isinstance(parent.value, list):
        parent.value.append(value)
        return
    if not parent.skip:
        parent.value[parent.key] = value
    parent.key, parent.skip = None, False


def parse_mapping(text: str, path: str, first_line: int = 1) -> tuple[Document | None, list[Problem]]:
    """Parse YAML text that must be one mapping; return it or the problems found.

    `first_line` is the file line the text starts on, so that messages point
    into the file the person edits, not into the extracted YAML.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [Problem(path, first_line, f"the YAML is larger than {MAX_BYTES // 1024} KiB; is a closing '---' missing?")]
    doc = Document(path, {})
    problems: list[Problem] = []
    line_of = _Lines(text, first_line)
    try:
        data = _build(text, doc, problems, line_of)
    except _Refused as refused:
        return None, [Problem(path, line_of(refused.mark), str(refused))]
    except yaml.YAMLError as error:
        # A library may refuse deep nesting itself before amends' limit is reached in
        # the events (libyaml 0.2.5 as bundled by PyYAML 6.0.4 does, at 1,000 levels,
        # with its own words). PyYAML's pure-Python parser hands the events over as it
        # reads, so reading again with it lets amends' own limit speak, whatever the
        # version; any other syntax error is reported as libyaml found it.
        if _PARSER is yaml.BaseLoader:
            return None, [_syntax_problem(error, text, path, line_of)]
        try:
            _build(text, Document(path, {}), [], line_of, parser=yaml.BaseLoader)
        except _Refused as refused:
            return None, [Problem(path, line_of(refused.mark), str(refused))]
        except yaml.YAMLError:
            pass
        return None, [_syntax_problem(error, text, path, line_of)]

    if data is None:
        return None, [Problem(path, first_line, "there is no YAML here; expected 'key: value' lines")]
    if not isinstance(data, dict):
        return None, [Problem(path, first_line, "expected 'key: value' lines at the top level")]
    doc.data = data
    return doc, problems


def _syntax_problem(error: yaml.YAMLError, text: str, path: str, line_of: _Lines) -> Problem:
    problem = str(getattr(error, "problem", None) or str(error).splitlines()[0])
    context = getattr(error, "context", None)
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:  # a ReaderError, for a character YAML refuses, knows only its offset
        line = text.count("\n", 0, getattr(error, "position", 0)) + line_of.first_line
        return Problem(path, line, f"YAML syntax error: {escaped(problem)}")
    line = line_of(mark)
    if "tab" in problem or text[mark.index: mark.index + 1] == "\t":
        return Problem(path, line, "YAML syntax error: tabs cannot indent YAML; use spaces")
    if "end of stream" in problem and getattr(error, "context_mark", None):
        # Running off the end means something opened earlier was never closed: point there.
        line = line_of(error.context_mark)
    if "expected ':'" in problem and context == "while scanning a simple key":
        # YAML notices the missing colon only on the next line; the key is on the line before.
        return Problem(path, line_of(error.context_mark), "YAML syntax error: this line has no ':' after its key; "
                                                          "write 'key: value' (or quote the whole text)")
    if "mapping values are not allowed" in problem:
        if _indented_more(text, line - line_of.first_line):
            return Problem(path, line, "YAML syntax error: this line is indented more than the line before it; "
                                       "indent keys of the same block alike")
        return Problem(path, line, f"YAML syntax error: {problem}; put quotes around a value that contains ': '")
    return Problem(path, line, f"YAML syntax error: {escaped(problem)}" + (f" ({escaped(context)})" if context else ""))


def _indented_more(text: str, index: int) -> bool:
    """Whether line `index` (from 0) starts further right than the line of content before it, which opens no block."""
    lines = text.split("\n")
    before = [line for line in lines[:index] if line.strip() and not line.lstrip().startswith("#")]
    if not before or index >= len(lines) or re.search(r":\s*(#.*)?$", before[-1]):
        return False
    return _indent(lines[index]) > _indent(before[-1])


def _indent(line: str) -> int:
    # A list item's '- ' counts as indentation: its keys line up after it.
    return len(line) - len(line.lstrip(" -"))


def dotted(keypath: KeyPath) -> str:
    """Name a key path as a person reads it: accommodation[1].amount."""
    out = ""
    for part in keypath:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{shown(part)}" if out else shown(part))
    return out


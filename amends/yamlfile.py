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


def _build(text: str, doc: Document, problems: list[Problem], first_line: int, parser=_PARSER):
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
                raise _Refused(f"YAML tags like '{event.tag}' are not allowed", event.start_mark)
            line = event.start_mark.line + first_line
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
                if parent is None:
                    root = event.value
                else:
                    _attach(parent, event.value)
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
    try:
        data = _build(text, doc, problems, first_line)
    except _Refused as refused:
        return None, [Problem(path, refused.mark.line + first_line, str(refused))]
    except yaml.YAMLError as error:
        # A library may refuse deep nesting itself before amends' limit is reached in
        # the events (libyaml 0.2.5 as bundled by PyYAML 6.0.4 does, at 1,000 levels,
        # with its own words). PyYAML's pure-Python parser hands the events over as it
        # reads, so reading again with it lets amends' own limit speak, whatever the
        # version; any other syntax error is reported as libyaml found it.
        if _PARSER is yaml.BaseLoader:
            return None, [_syntax_problem(error, text, path, first_line)]
        try:
            _build(text, Document(path, {}), [], first_line, parser=yaml.BaseLoader)
        except _Refused as refused:
            return None, [Problem(path, refused.mark.line + first_line, str(refused))]
        except yaml.YAMLError:
            pass
        return None, [_syntax_problem(error, text, path, first_line)]

    if data is None or data == "":
        return None, [Problem(path, first_line, "there is no YAML here; expected 'key: value' lines")]
    if not isinstance(data, dict):
        return None, [Problem(path, first_line, "expected 'key: value' lines at the top level")]
    doc.data = data
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


def dotted(keypath: KeyPath) -> str:
    """Name a key path as a person reads it: accommodation[1].amount."""
    out = ""
    for part in keypath:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


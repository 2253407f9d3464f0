"""Who was briefed on a case's lesson (`acknowledged_by:`): each a name, or a name and the day, read by line."""
from __future__ import annotations

from datetime import date

from amends.cases.fields import Reader
from amends.cases.yamlfile import dotted, shown
from amends.model import Briefed

BRIEFED_KEYS = ("name", "on")


def briefed(r: Reader, opened: date | None) -> tuple[Briefed, ...]:
    """acknowledged_by: who was briefed on the lesson, each a name or {name, on}; a day still to come, or one
    before the complaint came in, is a mistake, and a name given twice is worth a look."""
    out: list[Briefed] = []
    first: dict[str, int] = {}
    for item in r.items(("acknowledged_by",)):
        value, on = r.raw(item), None
        if isinstance(value, dict):
            if not r.keys(item, BRIEFED_KEYS):
                continue
            name, on = r.text(item + ("name",), required=True), r.date(item + ("on",))
        elif isinstance(value, list):
            r.problem(item, f"'{dotted(item)}' should be a name, or a name and the day they were briefed like "
                            "{name: Tom Becker, on: 2026-11-20}, not a list")
            continue
        elif value is None or not value.strip():
            r.problem(item, f"'{dotted(item)}' is empty; give a name or remove it")
            continue
        else:
            name = r.text(item)
        if on is not None and r.in_future(on):
            r.problem(item + ("on",), f"'{dotted(item + ('on',))}' is in the future ({on}; today is {r.today}); "
                                      "write the day they were briefed once it has come")
        elif on is not None and opened is not None and on < opened:
            r.problem(item + ("on",), f"'{dotted(item + ('on',))}' ({on}) is before 'opened' ({opened}): nobody "
                                      "is briefed on a complaint before it came in")
        if name is None:
            continue
        if name.casefold() in first:
            r.problem(item, f"'{shown(name)}' was briefed already (acknowledged_by[{first[name.casefold()]}]); "
                            "keep one line per person", warning=True)
        first.setdefault(name.casefold(), item[-1] + 1)
        out.append(Briefed(name, on))
    return tuple(out)

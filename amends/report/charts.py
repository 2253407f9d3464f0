"""Self-contained SVG charts to inline in the site: presentation attributes only, no styles, scripts or links."""
from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup

# Sizes are in viewBox units; the svg scales to the width of its container.
WIDTH = 640
PAD = 8
GAP = 6
TITLE_SIZE = 15
FONT = 13
SMALL = 11
TOP = PAD + TITLE_SIZE + 12  # below the visible title
LEGEND = 24
PLOT = 180  # height of the columns' plot area
ROW, BAR = 26, 18  # horizontal bars: pitch and thickness
MAX_LABEL = 24  # characters of a category before the ellipsis
MAX_TICK = 16  # characters of a column label before the ellipsis
# Mid tones with at least 3:1 contrast on both the light (#fbfaf8) and dark (#16181b) page backgrounds.
COLOURS = ("#4a86b8", "#c07a1e", "#8a6bbf")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Characters XML 1.0 cannot carry; a stray one in a case file must not break the page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text safe for XML, on one line."""
    return " ".join(_NOT_XML.sub("", str(text)).split())


def _finite(value: float) -> float:
    """The value as a float; NaN or infinity cannot be drawn."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"cannot chart {value!r}")
    return number


def _fmt(x: float) -> str:
    """A coordinate with fixed rounding, so the same chart is byte-identical."""
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _value(value: float, unit: str = "") -> str:
    """A value as people read it: whole numbers bare, others to two decimals, then the unit."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{text} {unit}" if unit else text


def _width(text: str, size: float) -> float:
    """A generous estimate of the text's width; wide East Asian characters take a full em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _short(text: str, limit: int) -> str:
    """The text cut to limit characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _scale(value: float, peak: float, full: float) -> float:
    """Length proportional to value; negatives draw as nothing but keep their label."""
    return full * max(value, 0.0) / peak if peak > 0 else 0.0


def _svg(chart_id: str, title: str, desc: str, height: float) -> ET.Element:
    """The root element, labelled by its own title and desc, with the title also shown on top."""
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id must be a letter then letters, digits, - or _: {chart_id!r}")
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {WIDTH} {_fmt(height)}", "width": "100%",
        "preserveAspectRatio": "xMinYMin meet", "role": "img", "class": "chart",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
    })
    ET.SubElement(root, "title", id=f"{chart_id}-title").text = title
    ET.SubElement(root, "desc", id=f"{chart_id}-desc").text = desc
    limit = int((WIDTH - 2 * PAD) / (TITLE_SIZE * 0.6))
    _text(root, PAD, PAD + TITLE_SIZE, _short(title, limit), TITLE_SIZE, **{"font-weight": "600"})
    return root


def _text(parent: ET.Element, x: float, y: float, text: str, size: float = FONT, **attrs: str) -> ET.Element:
    """A text element in the page's text colour."""
    element = ET.SubElement(parent, "text", {"x": _fmt(x), "y": _fmt(y), "fill": "currentColor",
                                             "font-size": _fmt(size), **attrs})
    element.text = text
    return element


def _rect(parent: ET.Element, x: float, y: float, width: float, height: float, fill: str, kind: str) -> None:
    ET.SubElement(parent, "rect", {"class": kind, "x": _fmt(x), "y": _fmt(y), "width": _fmt(width),
                                   "height": _fmt(height), "fill": fill})


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float) -> None:
    ET.SubElement(parent, "line", {"x1": _fmt(x1), "y1": _fmt(y1), "x2": _fmt(x2), "y2": _fmt(y2),
                                   "stroke": "currentColor", "stroke-width": "1"})


def _markup(root: ET.Element) -> Markup:
    """The finished svg; ElementTree has escaped every label and title."""
    return Markup(ET.tostring(root, encoding="unicode"))


def _empty(chart_id: str, title: str) -> Markup:
    """A small chart that says there is nothing to draw yet."""
    root = _svg(chart_id, title, "No data yet.", TOP + 30)
    _text(root, WIDTH / 2, TOP + 16, "No data yet", FONT, **{"text-anchor": "middle"})
    return _markup(root)


def _highest(pairs: list[tuple[str, float]], unit: str) -> str:
    """Where the largest positive value is, in words, or nothing if there is none."""
    label, value = max(pairs, key=lambda pair: pair[1])
    return f"{label} ({_value(value, unit)})" if value > 0 else ""


def bars(chart_id: str, title: str, items: list[tuple[str, float]], unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value), in the given order — e.g. cases by category, by team."""
    title = _clean(title)
    items = [(_clean(label), _finite(value)) for label, value in items]
    if not items:
        return _empty(chart_id, title)
    highest = _highest(items, unit)
    desc = "; ".join(f"{label}: {_value(value, unit)}" for label, value in items) + "."
    root = _svg(chart_id, title, desc + (f" Highest: {highest}." if highest else ""), TOP + ROW * len(items) + PAD)
    _draw_bars(root, items, unit)
    return _markup(root)


def _draw_bars(root: ET.Element, items: list[tuple[str, float]], unit: str) -> None:
    """Labels on the left, bars from a common axis, each value just past its bar's end."""
    shorts = [_short(label, MAX_LABEL) for label, _ in items]
    texts = [_value(value, unit) for _, value in items]
    x0 = PAD + max(_width(s, FONT) for s in shorts) + GAP
    full = WIDTH - PAD - max(_width(t, FONT) for t in texts) - GAP - x0
    peak = max(value for _, value in items)
    for i, ((label, value), short, text) in enumerate(zip(items, shorts, texts)):
        y = TOP + i * ROW
        baseline = y + BAR / 2 + FONT * 0.35
        length = _scale(value, peak, full)
        bar = ET.SubElement(root, "g")
        # Hover and screen readers get the full label even when the visible one is cut.
        ET.SubElement(bar, "title").text = f"{label}: {text}"
        _text(bar, x0 - GAP, baseline, short, **{"text-anchor": "end"})
        _rect(bar, x0, y, length, BAR, COLOURS[0], "bar")
        _text(bar, x0 + length + GAP, baseline, text)
    _line(root, x0, TOP - 4, x0, TOP + ROW * len(items) - ROW + BAR + 4)


def columns(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[float]]],
            unit: str = "") -> Markup:
    """Vertical columns per label; with two or more series they stand side by side with a legend — e.g. opened vs resolved per month, or compensation per month (one series)."""
    title, labels = _clean(title), [_clean(label) for label in labels]
    series = [(_clean(name), [_finite(v) for v in values]) for name, values in series]
    if len(series) > len(COLOURS):
        raise ValueError(f"at most {len(COLOURS)} series can be told apart, got {len(series)}")
    if any(len(values) != len(labels) for _, values in series):
        raise ValueError("every series needs one value per label")
    if not labels or not series:
        return _empty(chart_id, title)
    return _columns(chart_id, title, labels, series, unit, _columns_desc(labels, series, unit))


def _columns_desc(labels: list[str], series: list[tuple[str, list[float]]], unit: str) -> str:
    """What the columns show, each label's values, and where each series peaks."""
    names = [name for name, _ in series]
    span = f"{labels[0]} to {labels[-1]}" if len(labels) > 1 else labels[0]
    if len(series) == 1:
        rows = [f"{label}: {_value(v, unit)}" for label, v in zip(labels, series[0][1])]
    else:
        rows = [f"{label}: " + ", ".join(f"{name} {_value(values[i], unit)}" for name, values in series)
                for i, label in enumerate(labels)]
    peaks = [(name, _highest(list(zip(labels, values)), unit)) for name, values in series]
    most = " ".join(f"Most {name}: {where}." for name, where in peaks if where)
    return f"{' vs '.join(names)}, {span}. " + "; ".join(rows) + "." + (f" {most}" if most else "")


def _columns(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[float]]],
             unit: str, desc: str) -> Markup:
    """Lay out and draw columns: legend, room for value labels, plot, then the labels underneath."""
    ticks = [_short(label, MAX_TICK) for label in labels]
    texts = [[_value(v, unit) for v in values] for _, values in series]
    tick_w = max(_width(t, FONT) for t in ticks)
    slant = tick_w > (WIDTH - 2 * PAD) / len(labels) - GAP  # labels too wide to stand side by side
    # Turned 45°, a label reaches left by its length and by the height of its letters above the baseline.
    left = _left_margin((tick_w + FONT * 0.75) * 0.71 if slant else 0, len(labels))
    group = (WIDTH - left - PAD) / len(labels)
    col = min(group * 0.8 / len(series), 48)
    value_w = max(_width(t, SMALL) for row in texts for t in row)
    # Neighbouring labels need a gap between them; too narrow even for turned text, the tooltip carries the value.
    mode = "across" if value_w + 3 <= col else "up" if col >= SMALL + 2 else "none"
    headroom = {"across": SMALL + 6, "up": value_w + 6, "none": 4}[mode]
    base = TOP + (LEGEND if len(series) > 1 else 0) + headroom + PLOT
    height = base + (tick_w * 0.71 + FONT * 1.5 if slant else FONT + 10) + PAD
    root = _svg(chart_id, title, desc, height)
    if len(series) > 1:
        _legend(root, [name for name, _ in series], left)
    peak = max(max(values) for _, values in series)
    for i, label in enumerate(labels):
        start = left + i * group + (group - col * len(series)) / 2
        for j, (name, values) in enumerate(series):
            who = label if len(series) == 1 else f"{label}, {name}"
            _column(root, start + j * col, col, base, _scale(values[i], peak, PLOT), j, f"{who}: {texts[j][i]}",
                    texts[j][i], mode)
    _line(root, left, base, WIDTH - PAD, base)
    _ticks(root, labels, ticks, left, group, base, slant)
    return _markup(root)


def _left_margin(reach: float, count: int) -> float:
    """Room on the left so the first slanted label, which hangs leftwards from its column, stays inside."""
    # Solve left + (WIDTH - left - PAD) / (2 * count) >= reach + 2 for left.
    half = 1 / (2 * count)
    return max(PAD, (reach + 2 - (WIDTH - PAD) * half) / (1 - half))


def _column(root: ET.Element, x: float, width: float, base: float, height: float, series: int, tip: str,
            text: str, mode: str) -> None:
    """One column with its tooltip and, where it fits, its value above it."""
    column = ET.SubElement(root, "g")
    ET.SubElement(column, "title").text = tip
    # A hairline gap keeps neighbouring series apart where their colours are close in lightness;
    # on very thin columns it shrinks so the width never goes negative.
    inset = min(0.5, width / 4)
    _rect(column, x + inset, base - height, width - 2 * inset, height, COLOURS[series], "bar")
    centre, top = x + width / 2, base - height - 4
    if mode == "across":
        _text(column, centre, top, text, SMALL, **{"text-anchor": "middle"})
    elif mode == "up":
        x_text = centre + SMALL * 0.35
        _text(column, x_text, top, text, SMALL, transform=f"rotate(-90 {_fmt(x_text)} {_fmt(top)})")


def _legend(root: ET.Element, names: list[str], left: float) -> None:
    """A swatch and a name per series, in series order, which is also their order within each group."""
    x = left
    for j, name in enumerate(names):
        name = _short(name, 20)
        _rect(root, x, TOP, 12, 12, COLOURS[j], "swatch")
        _text(root, x + 16, TOP + 11, name)
        x += 16 + _width(name, FONT) + 20


def _ticks(root: ET.Element, labels: list[str], ticks: list[str], left: float, group: float, base: float,
           slant: bool) -> None:
    """The labels under the columns: level when they fit, slanted otherwise, thinned when crowded."""
    # Slanted labels need about 1.5 em between them; in between, tooltips and the desc still name each column.
    step = math.ceil(FONT * 1.5 / group) if slant else 1
    for i in range(0, len(labels), step):
        x = left + (i + 0.5) * group
        y = base + FONT + 4
        attrs = {"text-anchor": "end", "transform": f"rotate(-45 {_fmt(x)} {_fmt(y)})"} if slant \
            else {"text-anchor": "middle"}
        text = _text(root, x, y, ticks[i], **attrs)
        if ticks[i] != labels[i]:
            ET.SubElement(text, "title").text = labels[i]


def _bin_label(low: int, high: int | None, unit: str) -> str:
    """0–1, 5, or 31+, followed by the unit."""
    span = f"{low}+" if high is None else f"{low}" if low == high else f"{low}–{high}"
    return f"{span} {unit}" if unit else span


def _bin_counts(values: list[int], bins: list[tuple[int, int | None]]) -> list[int]:
    """How many values fall in each bin; bounds inclusive, None open-ended, first matching bin wins."""
    counts = [0] * len(bins)
    for value in values:
        for i, (low, high) in enumerate(bins):
            if low <= value and (high is None or value <= high):
                counts[i] += 1
                break
    return counts


def histogram(chart_id: str, title: str, values: list[int], bins: list[tuple[int, int | None]],
              unit: str = "days") -> Markup:
    """Counts of values per bin, e.g. days to resolve in bins [(0,1),(2,3),(4,7),(8,14),(15,30),(31,None)] meaning 0–1, 2–3, 4–7, 8–14, 15–30, 31+; inclusive bounds, None = open-ended."""
    if any(high is not None and high < low for low, high in bins):
        raise ValueError(f"a bin ends before it starts: {bins}")
    title, unit = _clean(title), _clean(unit)
    if not values or not bins:
        return _empty(chart_id, title)
    labels = [_bin_label(low, high, unit) for low, high in bins]
    counts = _bin_counts(values, bins)
    outside = len(values) - sum(counts)
    desc = f"{len(values)} value{'s' * (len(values) != 1)}. " + "; ".join(
        f"{label}: {count}" for label, count in zip(labels, counts)) + "."
    if outside:
        desc += f" {outside} outside these bins."
    return _columns(chart_id, title, labels, [("Count", [float(c) for c in counts])], "", desc)

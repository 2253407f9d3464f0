"""Charts: labelled for screen readers, allowed by the site's CSP, proportional, escaped, deterministic and valid."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from amends.report import charts
from conftest import nu_check

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026", "Jun 2026"]
DAY_BINS = [(0, 1), (2, 3), (4, 7), (8, 14), (15, 30), (31, None)]
DAYS = [0, 1, 1, 2, 3, 3, 3, 4, 7, 8, 14, 15, 29, 30, 31, 45, 200]
HOSTILE = "<script>\"a\" & 'b'"  # short enough to be shown whole


def sample_charts() -> dict[str, Markup]:
    """One chart of each kind, plus the empty one, each with its own id."""
    return {
        "bars": charts.bars("chart-category", "Cases by category", [("Late delivery", 6), ("Wrong item", 3), ("Rude", 1)]),
        "columns": charts.columns("chart-flow", "Opened and resolved per month", MONTHS,
                                  [("Opened", [1, 2, 4, 0, 1, 3]), ("Resolved", [0, 2, 3, 1, 1, 2])]),
        "money": charts.columns("chart-money", "Compensation per month (EUR)", MONTHS,
                                [("Compensation", [0, 25.5, 1234.5, 0, 40, 12])], unit="EUR"),
        "histogram": charts.histogram("chart-days", "Days to resolve", DAYS, DAY_BINS),
        "empty": charts.bars("chart-team", "Cases by team", []),
        "hostile": charts.bars("chart-hostile", "Hostile <title> & \"quotes\"", [(HOSTILE, 2), ("x" * 40, 1)]),
    }


def parse(chart: Markup) -> ET.Element:
    return ET.fromstring(str(chart))


def local(name: str) -> str:
    """An element or attribute name without its namespace."""
    return name.rsplit("}", 1)[-1]


def texts(root: ET.Element) -> list[str]:
    """The visible text elements' own text, leaving out their tooltips."""
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def tooltips(root: ET.Element) -> list[str]:
    """Every title below the root's own."""
    return [t.text or "" for t in root.iter(f"{SVG}title")][1:]


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def size(rect: ET.Element, attr: str) -> float:
    return float(rect.get(attr))


@pytest.mark.parametrize("kind", ["bars", "columns", "money", "histogram", "empty", "hostile"])
def test_chart_is_an_image_named_by_its_title_and_desc(kind):
    chart = sample_charts()[kind]
    root = parse(chart)
    assert isinstance(chart, Markup)
    assert local(root.tag) == "svg" and root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    found = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [local(found[i].tag) for i in ids] == ["title", "desc"]
    assert found[ids[0]].text == {"bars": "Cases by category", "columns": "Opened and resolved per month",
                                  "money": "Compensation per month (EUR)", "histogram": "Days to resolve",
                                  "empty": "Cases by team", "hostile": "Hostile <title> & \"quotes\""}[kind]
    assert len(found[ids[1]].text) > 10


def test_desc_summarises_the_data_in_words():
    descs = {kind: parse(chart).find(f"{SVG}desc").text for kind, chart in sample_charts().items()}
    assert descs["bars"] == "Late delivery: 6; Wrong item: 3; Rude: 1. Highest: Late delivery (6)."
    assert descs["columns"].startswith(
        "Opened vs Resolved, Jan 2026 to Jun 2026. Jan 2026: Opened 1, Resolved 0;")
    assert "Most Opened: Mar 2026 (4)." in descs["columns"]
    assert "Mar 2026: 1,234.50 EUR" in descs["money"]
    assert descs["histogram"].startswith("17 values. 0–1 days: 3; 2–3 days: 4;")
    assert descs["empty"] == "No data yet."


@pytest.mark.parametrize("kind", ["bars", "columns", "money", "histogram", "empty", "hostile"])
def test_nothing_the_content_security_policy_would_block(kind):
    raw = str(sample_charts()[kind])
    root = parse(sample_charts()[kind])
    tags = {local(el.tag) for el in root.iter()}
    assert not tags & {"style", "script", "image", "use", "a", "foreignObject", "font-face", "feImage"}
    attrs = {name for el in root.iter() for name in el.attrib}
    assert not [a for a in attrs if local(a) in ("style", "href", "src") or local(a).startswith("on")]
    # Only the default namespace: no prefixed names such as xlink:href.
    assert all(el.tag.startswith(SVG) for el in root.iter())
    assert not [a for a in attrs if a.startswith("{")]
    assert "url(" not in raw and "<!" not in raw and "<?" not in raw


@pytest.mark.parametrize("kind", ["bars", "columns", "money", "histogram", "empty"])
def test_sizes_make_it_responsive_and_readable(kind):
    root = parse(sample_charts()[kind])
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    x, y, width, height = map(float, root.get("viewBox").split())
    assert (x, y, width) == (0, 0, 640) and height > 0
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 11
    assert {t.get("fill") for t in root.iter(f"{SVG}text")} == {"currentColor"}


def test_bar_colours_read_on_light_and_dark_pages():
    fills = {r.get("fill") for chart in sample_charts().values() for r in bars_of(parse(chart))}
    assert fills == {"#4a86b8", "#c07a1e"}


def test_one_bar_per_item():
    assert len(bars_of(parse(sample_charts()["bars"]))) == 3


def test_one_column_per_label_and_series():
    assert len(bars_of(parse(sample_charts()["columns"]))) == len(MONTHS) * 2
    assert len(bars_of(parse(sample_charts()["money"]))) == len(MONTHS)


def test_one_column_per_bin():
    assert len(bars_of(parse(sample_charts()["histogram"]))) == len(DAY_BINS)


def test_bar_lengths_are_proportional_to_values():
    root = parse(charts.bars("c", "t", [("a", 10), ("b", 5), ("c", 20), ("d", 0)]))
    a, b, c, d = (size(r, "width") for r in bars_of(root))
    assert c == max(a, b, c, d) and d == 0
    assert abs(a - 2 * b) <= 1 and abs(c - 2 * a) <= 1


def test_bars_start_at_one_axis_in_the_given_order():
    root = parse(sample_charts()["bars"])
    rects = bars_of(root)
    assert len({r.get("x") for r in rects}) == 1
    assert [size(r, "y") for r in rects] == sorted(size(r, "y") for r in rects)
    assert [t for t in texts(root) if t in ("Late delivery", "Wrong item", "Rude")] == ["Late delivery", "Wrong item", "Rude"]


def test_column_heights_are_proportional_and_share_a_baseline():
    root = parse(charts.columns("c", "t", ["a", "b", "c"], [("s", [3.0, 1.5, 0.75])], unit="EUR"))
    rects = bars_of(root)
    heights = [size(r, "height") for r in rects]
    assert heights[0] == max(heights)
    assert abs(heights[0] - 2 * heights[1]) <= 1 and abs(heights[1] - 2 * heights[2]) <= 1
    assert len({size(r, "y") + size(r, "height") for r in rects}) == 1


def test_two_series_stand_side_by_side_with_a_legend():
    root = parse(sample_charts()["columns"])
    rects = bars_of(root)
    swatches = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "swatch"]
    assert [s.get("fill") for s in swatches] == ["#4a86b8", "#c07a1e"]
    assert {"Opened", "Resolved"} <= set(texts(root))
    # Within each month the Opened column is left of the Resolved one, in the series' colours.
    for opened, resolved in zip(rects[::2], rects[1::2]):
        assert size(opened, "x") + size(opened, "width") <= size(resolved, "x")
        assert (opened.get("fill"), resolved.get("fill")) == ("#4a86b8", "#c07a1e")


def test_labels_and_values_appear_as_text():
    bar_texts = texts(parse(sample_charts()["bars"]))
    assert {"Late delivery", "Wrong item", "Rude", "6", "3", "1"} <= set(bar_texts)
    column_texts = texts(parse(sample_charts()["columns"]))
    assert set(MONTHS) <= set(column_texts) and {"4", "3", "0"} <= set(column_texts)


def test_whole_numbers_bare_money_to_two_decimals_with_the_unit():
    root = parse(charts.bars("c", "t", [("a", 12.5), ("b", 40), ("c", 1234.567), ("d", 7.0)], unit="EUR"))
    assert ["12.50 EUR", "40 EUR", "1,234.57 EUR", "7 EUR"] == [t for t in texts(root) if t.endswith("EUR")]


def test_hostile_label_is_escaped_and_shown_as_written():
    chart = sample_charts()["hostile"]
    root = parse(chart)
    assert "<script" not in str(chart) and "<title>" not in str(chart).split("</title>", 1)[0]
    assert HOSTILE in texts(root)
    assert root.find(f"{SVG}title").text == "Hostile <title> & \"quotes\""


def test_long_label_is_cut_with_an_ellipsis_and_kept_whole_in_a_title():
    label = "Delivery arrived without the candles that were ordered"
    root = parse(charts.bars("c", "t", [(label, 1)]))
    shown = [t for t in texts(root) if t.startswith("Delivery")]
    assert len(shown) == 1 and shown[0].endswith("…") and len(shown[0]) < len(label)
    assert label.startswith(shown[0][:-1])
    assert f"{label}: 1" in tooltips(root)


def test_long_column_label_keeps_its_full_text_in_a_title():
    label = "A very long column label indeed"
    root = parse(charts.columns("c", "t", [label, "b"], [("s", [1, 2])]))
    cut = [t for t in root.iter(f"{SVG}text") if (t.text or "").endswith("…")]
    assert len(cut) == 1 and cut[0].find(f"{SVG}title").text == label


def test_histogram_counts_each_value_in_its_inclusive_bin():
    def in_bin(value: int, low: int, high: int | None) -> bool:
        return value >= low and (high is None or value <= high)

    expected = [len([v for v in DAYS if in_bin(v, low, high)]) for low, high in DAY_BINS]
    assert expected == [3, 4, 2, 2, 3, 3]  # by hand: 0 1 1 | 2 3 3 3 | 4 7 | 8 14 | 15 29 30 | 31 45 200
    root = parse(sample_charts()["histogram"])
    labels = ["0–1 days", "2–3 days", "4–7 days", "8–14 days", "15–30 days", "31+ days"]
    assert tooltips(root) == [f"{label}: {count}" for label, count in zip(labels, expected)]
    heights = [size(r, "height") for r in bars_of(root)]
    assert all(abs(h - 180 * n / max(expected)) <= 1 for h, n in zip(heights, expected))


def test_histogram_says_how_many_values_fell_outside_the_bins():
    desc = parse(charts.histogram("c", "t", [1, 5, 9, -2], [(0, 1), (2, 3)])).find(f"{SVG}desc").text
    assert desc == "4 values. 0–1 days: 1; 2–3 days: 0. 3 outside these bins."


@pytest.mark.parametrize("chart", [
    lambda: charts.bars("c", "Empty", []),
    lambda: charts.columns("c", "Empty", [], []),
    lambda: charts.columns("c", "Empty", ["Jan 2026"], []),
    lambda: charts.histogram("c", "Empty", [], DAY_BINS),
], ids=["bars", "columns", "no-series", "histogram"])
def test_empty_data_says_no_data_yet(chart):
    root = parse(chart())
    assert "No data yet" in texts(root)
    assert root.find(f"{SVG}title").text == "Empty" and root.find(f"{SVG}desc").text == "No data yet."
    assert bars_of(root) == []


def test_same_input_gives_the_same_bytes():
    first, second = sample_charts(), sample_charts()
    assert all(str(first[kind]) == str(second[kind]) for kind in first)
    # Coordinates carry one fixed decimal at most, so float noise cannot change the bytes.
    shapes = [el for chart in first.values() for el in parse(chart).iter() if local(el.tag) != "svg"]
    coords = [value for el in shapes for name, value in el.attrib.items()
              if name in ("x", "y", "width", "height", "x1", "y1", "x2", "y2")]
    assert coords and all(re.fullmatch(r"-?\d+(\.\d)?", value) for value in coords)


def test_ids_come_from_the_chart_id_and_never_repeat():
    ids = {kind: [el.get("id") for el in parse(chart).iter() if el.get("id")] for kind, chart in sample_charts().items()}
    assert ids["bars"] == ["chart-category-title", "chart-category-desc"]
    every = [i for found in ids.values() for i in found]
    assert len(every) == len(set(every)) == 2 * len(ids)
    other = parse(charts.bars("chart-other", "Cases by category", [("Late delivery", 6)]))
    assert other.get("aria-labelledby") == "chart-other-title chart-other-desc"


@pytest.mark.parametrize("chart_id", ["", "has space", "1st", "quote\"d"])
def test_chart_id_must_make_a_valid_id(chart_id):
    with pytest.raises(ValueError):
        charts.bars(chart_id, "t", [("a", 1)])


def test_series_must_fit_the_labels():
    with pytest.raises(ValueError):
        charts.columns("c", "t", ["a", "b"], [("s", [1])])


def test_crowded_columns_stay_readable():
    months = [f"M{i:02d} 2026" for i in range(36)]
    root = parse(charts.columns("c", "t", months, [("Opened", [i % 5 for i in range(36)]),
                                                  ("Resolved", [i % 3 for i in range(36)])]))
    assert len(bars_of(root)) == 72
    assert min(float(t.get("font-size")) for t in root.iter(f"{SVG}text")) >= 11
    # Too narrow for a value on each column: every value is still in its tooltip.
    assert "M02 2026, Opened: 2" in tooltips(root) and "M02 2026, Resolved: 2" in tooltips(root)


def test_hundreds_of_columns_still_have_positive_widths():
    labels = [f"Day {i}" for i in range(300)]
    root = parse(charts.columns("c", "t", labels, [(name, [1] * 300) for name in ("a", "b", "c")]))
    widths = [size(r, "width") for r in bars_of(root)]
    assert len(widths) == 900 and min(widths) > 0


def test_page_with_charts_inlined_is_valid_html(tmp_path):
    figures = "\n".join(f"<figure>{chart}</figure>" for chart in sample_charts().values())
    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Charts</title>\n</head>\n"
            f"<body>\n<main>\n<h1>Charts</h1>\n{figures}\n</main>\n</body>\n</html>\n")
    (tmp_path / "charts.html").write_text(page, encoding="utf-8")
    result = nu_check(tmp_path / "charts.html")
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr

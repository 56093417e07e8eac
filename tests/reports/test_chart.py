"""The charts are valid SVG with no script: a bar per unit split by status, and the rate through the period."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from itertools import pairwise

from moodle_bridge.reports.chart import status_bars, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
LEGEND = {"compliant": "Compliant", "on_track": "On track", "at_risk": "At risk", "non_compliant": "Non-compliant",
          "exempt": "Exempt"}


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.find(f"{SVG}title") is not None
    assert not any(e.tag.endswith("script") or any(a.startswith("on") for a in e.attrib) for e in root.iter())
    return root


def test_a_bar_per_unit_split_by_status_in_proportion():
    root = parsed(status_bars([("Town <b>", {"compliant": 3, "on_track": 1, "non_compliant": 4, "suspended": 9},
                                "37.5%"), ("Bureau", {"exempt": 2}, "-")], LEGEND, "By status", label_width=200))
    segments = [r for r in root.iter(f"{SVG}rect") if r.get("class")]
    assert [(r.get("class"), float(r.get("width"))) for r in segments] == [
        ("compliant", 171.0), ("on_track", 57.0), ("non_compliant", 228.0),  # 3, 1, 4 of 8 over 456 px
        ("exempt", 456.0)]  # the suspended are not in the bar
    assert segments[2].get("fill") == "url(#stripes)"  # striped as well as red: it reads in greyscale
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:5] == list(LEGEND.values())  # the legend first, in the segments' order
    assert "Town <b>" in texts and "37.5%" in texts and {"3", "4", "2"} <= set(texts)


def test_the_status_colours_differ_in_lightness():
    from moodle_bridge.reports.chart import STATUS_COLOURS

    def lightness(colour: str) -> float:
        red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    solid = sorted(lightness(fill) for fill, _ink in STATUS_COLOURS.values() if fill.startswith("#"))
    assert all(b - a > 0.08 for a, b in pairwise(solid))


def test_the_rate_through_the_period_has_a_point_per_day():
    points = [(date(2026, 3, 1), 0.25), (date(2026, 6, 1), None), (date(2026, 9, 1), 0.125),
              (date(2026, 12, 1), 0.5)]
    root = parsed(trend_chart(points, "Through the period"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 3  # a day without a rate has no point
    xs, ys = [float(c.get("cx")) for c in circles], [float(c.get("cy")) for c in circles]
    assert xs == sorted(xs) and ys[2] < ys[0] < ys[1]  # higher rates stand higher
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 3
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "50.0%" in texts and "2026-03-01" in texts and "2026-12-01" in texts  # the last rate; first, last days


def test_one_point_stands_in_the_middle():
    root = parsed(trend_chart([(date(2026, 5, 1), 0.038)], "One day"))
    assert root.find(f"{SVG}polyline") is None and len(list(root.iter(f"{SVG}circle"))) == 1
    assert "3.8%" in [t.text for t in root.iter(f"{SVG}text")]


def test_a_long_unit_name_widens_the_label_column_and_is_shortened_only_beyond_two_fifths():
    legend = {"compliant": "Compliant"}
    fits = status_bars([("County Committee and Government", {"compliant": 3}, "100%")], legend, "t", width=720)
    assert ">County Committee and Government<title>" in fits  # 31 letters: about 217 px, within 288
    long_name = "County Party Committee Organization Department of the People's Government"
    cut = status_bars([(long_name, {"compliant": 3}, "100%")], legend, "t", width=720)
    label = next(t for t in parsed(cut).iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.find(f"{SVG}title").text == long_name  # the whole name, as the tooltip
    assert label.text.endswith("…") and long_name.startswith(label.text[:-1]) and len(label.text) < 45

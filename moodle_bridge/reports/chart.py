"""Charts as inline SVG: no script, no network at view time; they print on A4 and read in greyscale.

- `status_bars`: per unit, one bar split by status (compliant, on track, at risk, non-compliant, exempt), with a
  legend, the counts in the segments and the unit's rate at the end.
- `trend_chart`: the completion rate through a period, one point per evaluation day.

The status colours differ in lightness (dark green, light green, amber, red with white stripes, white), so a
black-and-white print still tells them apart; the numbers are written on them too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from html import escape

from .cells import rate_cell

FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif" font-size="12"'
# status -> (fill, text colour on it); non-compliant is striped (the pattern below) as well as red
STATUS_COLOURS = {"compliant": ("#1b5e20", "#ffffff"), "on_track": ("#66bb6a", "#000000"),
                  "at_risk": ("#ffca28", "#000000"), "non_compliant": ("url(#stripes)", "#ffffff"),
                  "exempt": ("#ffffff", "#000000")}
_STRIPES = ('<defs><pattern id="stripes" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#c62828"/>'
            '<rect width="2" height="6" fill="#fff" fill-opacity="0.55"/></pattern></defs>')
_OUTLINE = 'stroke="#616161" stroke-width="0.8"'


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}" {FONT}><title>{escape(title)}</title>']


def _legend(legend: Mapping[str, str], y: int, x: int) -> list[str]:
    parts = []
    for status, label in legend.items():  # a swatch, its label, a gap: 19 + the label + 18 across
        fill, _text = STATUS_COLOURS[status]
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{fill}" {_OUTLINE}/>'
                     f'<text x="{x + 19}" y="{y + 12}">{escape(label)}</text>')
        x += 19 + _text_width(label) + 18
    return parts


def _text_width(text: str) -> int:
    """About how wide a label is at 12 px: a Chinese character takes 12, a Latin letter 7."""
    return sum(12 if unicodedata.east_asian_width(char) in "WF" else 7 for char in text)


def _fit(text: str, room: int) -> str:
    """The text, shortened with an ellipsis to about ``room`` pixels: a long unit name must not run off the chart."""
    if _text_width(text) <= room:
        return text
    while text and _text_width(text) + 12 > room:
        text = text[:-1]
    return text.rstrip() + "…"


def status_bars(rows: Sequence[tuple[str, Mapping[str, int], str]], legend: Mapping[str, str], title: str,
                width: int = 720, bar: int = 20, label_width: int | None = None) -> str:
    """``rows``: (unit, cadres by status, the text at the bar's end, e.g. its rate); ``legend``: status -> its
    label, in the order the segments go. Each bar is the unit's cadres (the suspended apart), split by status.
    The labels' column is as wide as the longest name, up to two fifths of the chart; a longer name is shortened
    (its whole name in the bar's tooltip)."""
    if label_width is None:
        longest = max((_text_width(label) for label, _counts, _end in rows), default=0)
        label_width = max(80, min(longest + 16, width * 2 // 5))
    top = 28
    height = top + max(1, len(rows)) * (bar + 8) + 4
    scale = width - label_width - 64
    across = sum(19 + _text_width(label) + 18 for label in legend.values())
    parts = [*_open(width, height, title), _STRIPES, *_legend(legend, 4, max(0, min(label_width, width - across)))]
    for index, (label, counts, end) in enumerate(rows):
        y = top + index * (bar + 8)
        parts.append(f'<text x="{label_width - 8}" y="{y + bar - 6}" text-anchor="end">'
                     f'{escape(_fit(label, label_width - 12))}<title>{escape(label)}</title></text>')
        total = sum(counts.get(status, 0) for status in legend)
        x = float(label_width)
        for status in legend:
            n = counts.get(status, 0)
            if not n:
                continue
            share = n / total * scale
            fill, ink = STATUS_COLOURS[status]
            parts.append(f'<rect class="{status}" x="{x:.1f}" y="{y}" width="{share:.1f}" height="{bar}" '
                         f'fill="{fill}" {_OUTLINE}><title>{escape(legend[status])}: {n}</title></rect>')
            if share >= 8 * len(str(n)) + 4:  # the count, where it fits
                parts.append(f'<text x="{x + share / 2:.1f}" y="{y + bar - 6}" text-anchor="middle" fill="{ink}" '
                             f'font-weight="bold">{n}</text>')
            x += share
        if not total:
            parts.append(f'<rect x="{label_width}" y="{y}" width="{scale}" height="{bar}" fill="none" {_OUTLINE}/>')
        parts.append(f'<text x="{label_width + scale + 6}" y="{y + bar - 6}">{escape(end)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(points: Sequence[tuple[date, float | None]], title: str, width: int = 640, height: int = 200) -> str:
    """The rate through a period: ``points`` (day, published rate or None), one a day, in order. The axis runs from
    the first day to the last, 0 to 100%; each point is marked, the last one labelled with its rate."""
    left, right, top, bottom = 44, 56, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = _open(width, height, title)
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h * (1 - share)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{share:.0%}</text>')
    days = [day for day, _rate in points]
    first, span = (days[0], (days[-1] - days[0]).days) if days else (date.min, 0)

    def x_of(day: date) -> float:
        return left + (plot_w * (day - first).days / span if span else plot_w / 2)

    marked = [(x_of(day), top + plot_h * (1 - rate), day, rate) for day, rate in points if rate is not None]
    if len(marked) > 1:
        parts.append('<polyline fill="none" stroke="#1b5e20" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _d, _r in marked) + '"/>')
    for x, y, day, rate in marked:
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1b5e20">'
                     f'<title>{day.isoformat()}: {rate_cell(rate)}</title></circle>')
    if marked:
        x, y, _day, rate = marked[-1]
        parts.append(f'<text x="{x + 7:.1f}" y="{y + 4:.1f}" font-weight="bold">{rate_cell(rate)}</text>')
    for day in _ticks(days, x_of):
        parts.append(f'<text x="{x_of(day):.1f}" y="{height - 8}" text-anchor="middle" fill="#555">'
                     f'{day.isoformat()}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(days: Sequence[date], x_of: Callable[[date], float], room: float = 84) -> list[date]:
    """The days to name under the axis: the first, the last, and those between with room for their names."""
    named: list[date] = []
    for day in days:
        if not named or x_of(day) - x_of(named[-1]) >= room:
            named.append(day)
    if days and named[-1] != days[-1]:
        if len(named) > 1 and x_of(days[-1]) - x_of(named[-1]) < room:
            named.pop()  # the last day's name wins the place
        named.append(days[-1])
    return named

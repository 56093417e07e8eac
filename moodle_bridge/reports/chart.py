"""A horizontal bar chart as inline SVG: no script, no network at view time, prints on A4."""

from __future__ import annotations

from html import escape


def bar_chart(rows: list[tuple[str, float | None]], width: int = 640, bar: int = 18, label_width: int = 230) -> str:
    """``rows``: (label, share from 0 to 1, or None). Returns an <svg> element."""
    height = max(1, len(rows)) * (bar + 6) + 24
    scale = width - label_width - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">']
    for pct in (0, 0.5, 1):
        x = label_width + pct * scale
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 18}" stroke="#ccc"/>'
                     f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#555">{pct:.0%}</text>')
    for index, (label, share) in enumerate(rows):
        y = index * (bar + 6) + 4
        parts.append(f'<text x="{label_width - 6}" y="{y + bar - 5}" text-anchor="end">{escape(label)}</text>')
        if share is None:
            parts.append(f'<text x="{label_width + 4}" y="{y + bar - 5}" fill="#777">-</text>')
            continue
        colour = "#2e7d32" if share >= 0.9 else "#f9a825" if share >= 0.6 else "#c62828"
        parts.append(f'<rect x="{label_width}" y="{y}" width="{share * scale:.1f}" height="{bar}" fill="{colour}"/>'
                     f'<text x="{label_width + share * scale + 4:.1f}" y="{y + bar - 5}">{share:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)

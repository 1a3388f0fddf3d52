"""A server-rendered SVG line chart: no JavaScript, no CDN, no inline styles (colours come from CSS classes)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from pantau.reports.trends import TrendTable

WIDTH, HEIGHT = 1200, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 30, 14, 34
SERIES_CLASSES = 8


def nice_ceiling(value: int, steps: int = 4) -> int:
    """The top of a y axis with `steps` round gridline steps (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) above `value`."""
    raw = max(value, steps) / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * power
        if step >= raw and step == int(step):
            return int(step) * steps
    return int(10 * power) * steps


MARKER_COLOUR = "#6d28d9"


def trend_svg(
    table: TrendTable,
    labels: list[str],
    display_name: Callable[[str], str],
    title: str,
    markers: Sequence[tuple[float, str]] = (),
) -> Markup:
    """`markers`: (position in buckets from the first, text) for service events, drawn as dashed lines."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(table.buckets)
    top = nice_ceiling(max((max(table.series[label], default=0) for label in labels), default=0))

    def x(index: float) -> float:
        return LEFT + (plot_width * index / (count - 1) if count > 1 else plot_width / 2)

    def y(value: int) -> float:
        return TOP + plot_height - plot_height * value / top

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = top * step // 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    every = max(1, math.ceil(count / 10))
    for index in range(0, count, every):
        parts.append(
            f'<text class="axis" x="{x(index):.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
            f"{table.buckets[index].strftime('%d %b')}</text>"
        )
    for position, label in enumerate(labels):
        values = table.series[label]
        css = f"s{position % SERIES_CLASSES}"
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline class="line {css}" points="{points}"/>')
        name = escape(display_name(label))
        for index, value in enumerate(values):
            day = table.buckets[index].strftime("%d %b")
            parts.append(
                f'<circle class="dot {css}" cx="{x(index):.1f}" cy="{y(value):.1f}" r="2.5">'
                f"<title>{name} · {day}: {value}</title></circle>"
            )
    for position, text in markers:
        if 0 <= position <= max(count - 1, 0):
            parts.append(
                f'<line class="marker" x1="{x(position):.1f}" x2="{x(position):.1f}" y1="{TOP}" '
                f'y2="{TOP + plot_height}" stroke="{MARKER_COLOUR}" stroke-dasharray="4 3">'
                f"<title>{escape(text)}</title></line>"
                f'<text class="marker-label" x="{x(position) + 4:.1f}" y="{TOP + 12}" fill="{MARKER_COLOUR}" '
                f'font-size="11">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))

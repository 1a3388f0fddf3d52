"""Trend charts for the HTML digest: small PNGs (matplotlib, Agg), byte-identical for the same numbers.

The axes machinery (tick objects) is most of matplotlib's drawing time, so the charts draw no axes:
values are written on the bars that matter and the dates under every other bar.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

BAR = "#9db4d0"
DAY = "#1f4e79"
SPIKE = "#c0392b"
RULE = "#c9d1db"
TEXT = "#4a5563"
MARKER = "#6d28d9"
PALETTE = ("#1f4e79", "#c0392b", "#e69f00", "#009e73", "#8e6bb8", "#56b4e9", "#7f7f7f", "#d55e00", "#cc79a7")
DPI = 100


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _frame(axes: Axes, days: Sequence[date], top: float) -> None:
    axes.set_axis_off()
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.set_ylim(0, top)
    axes.axhline(0, color=RULE, linewidth=1.0)
    last = len(days) - 1
    for index, day in enumerate(days):
        if (last - index) % 2 == 0:
            axes.text(
                index,
                -0.05,
                str(day.day),
                transform=axes.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=7,
                color=TEXT,
            )


def _value(axes: Axes, index: int, value: float, colour: str) -> None:
    axes.text(index, value, f"{value:g}", ha="center", va="bottom", fontsize=7, color=colour, fontweight="bold")


def _markers(axes: Axes, markers: Sequence[tuple[float, str]], top: float, *, titled: bool) -> None:
    """Service events (releases, outages, maintenance) as dotted vertical lines, titled on the overview;
    a marker's position is in days from the first bar's day start (bar i spans i − 0.5 to i + 0.5)."""
    for position, text in markers:
        x = position - 0.5
        axes.axvline(x, color=MARKER, linewidth=1.0, linestyle=(0, (2, 1.5)))
        if titled:
            axes.text(x - 0.08, top * 0.97, text[:18], rotation=90, va="top", ha="right", fontsize=7, color=MARKER)


def label_trend_png(
    days: Sequence[date],
    counts: Sequence[int],
    average: float,
    *,
    spike: bool,
    markers: Sequence[tuple[float, str]] = (),
) -> str:
    """Daily posts for one issue type; the digest's day (last bar) stands out, the 7-day mean is dashed."""
    figure = Figure(figsize=(3.4, 1.2))
    axes = figure.add_axes((0.02, 0.17, 0.96, 0.72))
    today = SPIKE if spike else DAY
    axes.bar(range(len(counts)), counts, color=[BAR] * (len(counts) - 1) + [today], width=0.72)
    axes.axhline(average, color=TEXT, linewidth=0.8, linestyle=(0, (3, 2)))
    top = max(max(counts, default=0), average, 1) * 1.18
    _frame(axes, days, top)
    _markers(axes, markers, top, titled=False)
    peak = max(range(len(counts)), key=lambda i: (counts[i], i))
    if counts[peak] and peak != len(counts) - 1:
        _value(axes, peak, counts[peak], TEXT)
    _value(axes, len(counts) - 1, counts[-1], today)
    return _png(figure)


def overview_png(
    days: Sequence[date], series: Sequence[tuple[str, Sequence[int]]], markers: Sequence[tuple[float, str]] = ()
) -> str:
    """All complaint types stacked per day, the day's total on top, with a legend of display names."""
    figure = Figure(figsize=(7.0, 2.4))
    axes = figure.add_axes((0.01, 0.1, 0.7, 0.83))
    bottom = [0] * len(days)
    for index, (name, counts) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        axes.bar(range(len(days)), counts, bottom=bottom, color=colour, width=0.72, label=name)
        bottom = [low + value for low, value in zip(bottom, counts, strict=True)]
    top = max(max(bottom, default=0), 1) * 1.12
    _frame(axes, days, top)
    _markers(axes, markers, top, titled=True)
    for index, total in enumerate(bottom):
        if total:
            _value(axes, index, total, TEXT)
    handles, names = axes.get_legend_handles_labels()
    figure.legend(
        handles[::-1],
        names[::-1],
        loc="center left",
        bbox_to_anchor=(0.72, 0.52),
        fontsize=8,
        frameon=False,
        labelcolor=TEXT,
    )
    return _png(figure)

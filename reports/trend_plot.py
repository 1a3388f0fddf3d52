"""Line charts of complaint trends, one line per issue type, labelled with Indonesian display names."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from pantau.reports.trends import TrendTable

_FORMATS = {"hour": "%d %b %H:%M", "day": "%d %b", "week": "%d %b", "month": "%b %Y"}


def _band(axes, x, band, colour: str, name: str) -> None:  # type: ignore[no-untyped-def]
    values, low, high = ([float("nan") if v is None else v for v in series] for series in band)
    axes.fill_between(x, low, high, color=colour, alpha=0.15, linewidth=0)
    axes.plot(x, values, color=colour, linestyle="--", linewidth=1.2, label=f"{name} (disesuaikan)")


def plot_trends(
    table: TrendTable,
    display_name: Callable[[str], str],
    path: Path,
    *,
    title: str = "Keluhan per jenis masalah",
    markers: Sequence[tuple[datetime, str]] = (),
    bands: Mapping[str, tuple[Sequence[float | None], Sequence[float | None], Sequence[float | None]]] | None = None,
) -> Path:
    """Write a PNG; `markers` are (moment, label) pairs drawn as vertical lines (releases, outages);
    `bands` maps a label to (adjusted, low, high) series, drawn dashed over a shaded interval."""
    figure, axes = plt.subplots(figsize=(11, 5.5), dpi=120)
    x = [bucket.replace(tzinfo=None) for bucket in table.buckets]
    for label, counts in sorted(table.series.items(), key=lambda item: -sum(item[1])):
        (line,) = axes.plot(
            x, counts, marker="o" if len(x) <= 40 else None, markersize=3, linewidth=1.8, label=display_name(label)
        )
        if bands and label in bands:
            _band(axes, x, bands[label], line.get_color(), display_name(label))
    tz = table.buckets[0].tzinfo if table.buckets else None
    for moment, text in markers:
        local = moment.astimezone(tz).replace(tzinfo=None) if tz else moment
        axes.axvline(local, color="#888888", linestyle="--", linewidth=1)
        axes.annotate(
            text, (local, 1), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right", fontsize=8
        )
    axes.set_title(title)
    axes.set_ylabel("jumlah unggahan")
    axes.xaxis.set_major_formatter(mdates.DateFormatter(_FORMATS[table.by]))
    axes.grid(alpha=0.3)
    axes.set_ylim(bottom=0)
    if table.series:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path

"""The digest as Markdown, for chat and files: every piece of post text is escaped."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from pantau.reports.digest_data import DigestData, LabelSummary
from pantau.reports.digest_format import (
    AGE_NAMES,
    STATUS_NAMES,
    change_sentence,
    escape_markdown,
    local_time,
    long_date,
    markdown_url,
    number,
    percent_change,
    safe_url,
    shorten,
    versus_previous,
    zone_name,
)
from pantau.reports.digest_incident_text import incident_lines, timeline_lines
from pantau.reports.digest_queries import CandidatePost

TITLE = "Ringkasan harian Pantau"


def headline(data: DigestData) -> str:
    text = (
        f"**{number(data.total_complaints)} keluhan** dari {number(data.stats['posts'])} unggahan "
        f"(kemarin {number(data.complaints_previous)}, rata-rata 7 hari {number(data.complaints_average, 1)})"
    )
    return text


def spike_line(data: DigestData, escape: Callable[[str], str] = str) -> str | None:
    if not data.spikes:
        return None
    names = ", ".join(
        f"{escape(label.display)} ({number(label.count)}; biasanya {number(label.average, 1)})" for label in data.spikes
    )
    return f"Lonjakan: {names}"


def _table(data: DigestData) -> list[str]:
    lines = [
        "| Jenis masalah | Hari ini | vs kemarin | vs rata-rata 7 hari | |",
        "|---|---:|---:|---:|---|",
    ]
    for label in data.labels:
        flag = "⚠️ lonjakan" if label.spike else ""
        lines.append(
            f"| {escape_markdown(label.display)} | {number(label.count)} | "
            f"{versus_previous(label.count, label.previous)} | "
            f"{percent_change(label.count, label.average)} ({number(label.average, 1)}) | {flag} |"
        )
    lines.append(
        f"| **Semua keluhan** | **{number(data.total_complaints)}** | "
        f"{versus_previous(data.total_complaints, data.complaints_previous)} | "
        f"{percent_change(data.total_complaints, data.complaints_average)} ({number(data.complaints_average, 1)}) | |"
    )
    return lines


def _post_line(index: int, post: CandidatePost, tz: ZoneInfo) -> str:
    parts = [f"{index}. {escape_markdown(shorten(post.text))}"]
    meta = [escape_markdown(post.author) if post.author else None, post.source, local_time(post.created_at, tz)]
    url = safe_url(post.url)
    if url:
        meta.append(f"[tautan]({markdown_url(url)})")
    if post.similar_ids:
        meta.append(f"**+{number(len(post.similar_ids))} serupa**")
    parts.append(" — " + " · ".join(item for item in meta if item))
    return "".join(parts)


def _top_posts(label: LabelSummary, tz: ZoneInfo) -> list[str]:
    lines = [f"### {escape_markdown(label.display)} ({number(label.count)})", ""]
    lines += [_post_line(index, post, tz) for index, post in enumerate(label.top, start=1)]
    return [*lines, ""]


def _alerts(data: DigestData, tz: ZoneInfo) -> list[str]:
    zone = zone_name(data.timezone)
    lines = []
    for alert in data.alerts:
        name = escape_markdown(data.display_names.get(alert.label, alert.label))
        resolved = alert.resolved_at is not None and alert.resolved_at <= data.end
        status = f"selesai {local_time(alert.resolved_at, tz, with_date=True)}" if resolved else "masih berlangsung"
        usual = alert.details.get("peak", {}).get("expected", alert.expected)
        lines.append(
            f"- **{name}**: mulai {local_time(alert.window_start, tz, with_date=True)} {zone}, puncak "
            f"{number(alert.peak_observed)} unggahan/jam (biasanya {number(usual, 1)}), {status}"
            f" · peringatan #{alert.id}"
        )
    return lines


def _backlog(data: DigestData) -> list[str]:
    lines = ["| Status | " + " | ".join(AGE_NAMES) + " | Total |", "|---|" + "---:|" * (len(AGE_NAMES) + 1)]
    for status, counts in data.backlog.counts.items():
        cells = " | ".join(number(count) for count in counts)
        lines.append(f"| {STATUS_NAMES.get(status, status)} | {cells} | {number(sum(counts))} |")
    return lines


def _sources(data: DigestData, tz: ZoneInfo) -> list[str]:
    lines = [
        "| Sumber | Unggahan | Proses hari ini | Gagal | Terakhir berhasil | Galat terakhir |",
        "|---|---:|---:|---:|---|---|",
    ]
    for source in data.sources:
        last = local_time(source.last_success, tz, with_date=True)
        if source.collected_later is not None:
            last = f"diimpor kemudian ({local_time(source.collected_later, tz, with_date=True)})"
        elif not source.enabled and not source.runs:
            last = "nonaktif" if source.last_success is None else last
        error = escape_markdown(shorten(source.last_error, 80)) if source.last_error else "—"
        lines.append(
            f"| {escape_markdown(source.name)} | {number(source.posts)} | {number(source.runs)} | "
            f"{number(source.failed_runs)} | {last} | {error} |"
        )
    return lines


def models_sentence(data: DigestData, quote: Callable[[str], str]) -> str:
    if not data.models:
        return "Belum ada unggahan hari ini yang diklasifikasi model."
    versions = ", ".join(f"{quote(version)} ({number(count)} unggahan)" for version, count in data.models)
    text = f"Label berasal dari model {versions}"
    if data.stats["corrected"]:
        text += f"; {number(data.stats['corrected'])} dikoreksi triase"
    if data.stats["unclassified"]:
        text += f"; {number(data.stats['unclassified'])} belum diklasifikasi"
    return text + "."


def render_markdown(data: DigestData) -> str:
    tz = ZoneInfo(data.timezone)
    lines = [f"# {TITLE} — {long_date(data.day)}", "", headline(data) + f" · zona waktu {zone_name(data.timezone)}"]
    spikes = spike_line(data, escape_markdown)
    if spikes:
        lines += ["", f"⚠️ {spikes}"]
    lines += ["", "## Keluhan per jenis masalah", "", *_table(data), ""]
    lines += ["## Yang berubah sejak kemarin", ""]
    changes = [f"- {change_sentence(escape_markdown(c.display), c.kind, c.previous, c.count)}" for c in data.changes]
    lines += (changes or ["- Tidak ada perubahan."]) + [""]
    lines += timeline_lines(data)
    if data.alerts:
        lines += ["## Peringatan lonjakan", "", *_alerts(data, tz), ""]
    lines += incident_lines(data)
    shown = [label for label in data.labels if label.top]
    if shown:
        lines += ["## Unggahan teratas per jenis", ""]
        for label in shown:
            lines += _top_posts(label, tz)
    lines += [f"## Antrean triase (keluhan terbuka per akhir hari: {number(data.backlog.total)})", ""]
    lines += [*_backlog(data), ""]
    lines += [
        f"Perlu ditinjau: {number(data.stats['needs_review'])} unggahan hari ini ditandai model untuk ditinjau; "
        f"{number(data.backlog.needs_review)} di antrean terbuka.",
        "",
        *[f"⚠ Drift model: {escape_markdown(message)}" for message in data.drift],
        *([""] if data.drift else []),
        "## Kesehatan pengumpulan data",
        "",
        *_sources(data, tz),
        "",
        "## Model",
        "",
        models_sentence(data, lambda version: f"`{version.replace('`', '')}`"),
        "",
    ]
    return "\n".join(lines)

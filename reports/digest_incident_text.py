"""The digest's incident and service-timeline sections in Markdown; every piece of post text is escaped."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pantau.reports.digest_data import DigestData
from pantau.reports.digest_format import escape_markdown, local_time, markdown_url, number, safe_url, shorten, zone_name
from pantau.reports.sla import clock_text
from pantau.reports.timeline import KIND_NAMES, effect_sentence, quiet_sentence

STATUS_WORDS = {"open": "terbuka", "acknowledged": "diakui", "resolved": "selesai"}


def sla_summary(data: DigestData) -> str:
    found = data.incidents
    return (
        f"Melewati batas SLA per akhir hari: **{number(found.overdue)} insiden**; "
        f"{number(found.breached)} batas terpenuhi terlambat hari ini."
    )


def incident_lines(data: DigestData) -> list[str]:
    found = data.incidents
    if not found.incidents and not found.overdue:
        return []
    tz = ZoneInfo(data.timezone)
    zone = zone_name(data.timezone)
    lines = [f"## Insiden ({number(len(found.incidents) + found.more)})", "", sla_summary(data), ""]
    for item in found.incidents:
        span = f"{local_time(item.first_seen, tz, with_date=True)}–{local_time(item.last_seen, tz, with_date=True)}"
        lines.append(
            f"- **#{item.id} {escape_markdown(item.display)}**: {escape_markdown(item.title)} — "
            f"{number(item.posts_day)} unggahan hari ini ({number(item.posts_total)} total), {span} {zone}, "
            f"{STATUS_WORDS.get(item.status, item.status)}"
        )
        clocks = [c for c in (item.acknowledge, item.resolve) if c.due_at is not None]
        if clocks:
            words = {"acknowledge": "diakui", "resolve": "selesai"}
            sla = "; ".join(f"{words[c.stage]}: {clock_text(c, data.end, tz)}" for c in clocks)
            flag = "⚠️ " if item.sla_state == "overdue" else ""
            lines.append(f"  - {flag}SLA — {sla}")
        for sample in item.samples:
            url = safe_url(sample.url)
            link = f" · [tautan]({markdown_url(url)})" if url else ""
            who = f" — {escape_markdown(sample.author)}" if sample.author else ""
            lines.append(
                f"  - {escape_markdown(shorten(sample.text, 200))}{who} ({local_time(sample.created_at, tz)}){link}"
            )
    if found.more:
        lines.append(f"- … dan {number(found.more)} insiden lain (`pantau incidents list`)")
    return [*lines, ""]


def timeline_lines(data: DigestData) -> list[str]:
    effects = data.incidents.effects
    if not effects:
        return []
    tz = ZoneInfo(data.timezone)
    zone = zone_name(data.timezone)
    lines = ["## Linimasa layanan", ""]
    for effect in effects:
        kind = KIND_NAMES.get(effect.kind, effect.kind).capitalize()
        head = f"- **{kind} {escape_markdown(effect.title)}** ({local_time(effect.at, tz, with_date=True)} {zone}): "
        if not effect.effects:
            lines.append(head + escape_markdown(quiet_sentence(effect)))
            continue
        lines.append(head + " ".join(escape_markdown(effect_sentence(effect, change)) for change in effect.effects))
    return [*lines, ""]

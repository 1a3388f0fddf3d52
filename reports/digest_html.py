"""The digest as HTML for e-mail: Jinja2 with autoescaping (post text is untrusted), PNG charts inline."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pantau.reports import digest_format as fmt
from pantau.reports.digest_chart import label_trend_png, overview_png
from pantau.reports.digest_data import DigestData
from pantau.reports.digest_incident_text import STATUS_WORDS
from pantau.reports.digest_markdown import TITLE, models_sentence, spike_line
from pantau.reports.sla import clock_text
from pantau.reports.timeline import KIND_NAMES, effect_sentence, quiet_sentence

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(
        number=fmt.number,
        versus_previous=fmt.versus_previous,
        percent_change=fmt.percent_change,
        change_sentence=fmt.change_sentence,
        local_time=fmt.local_time,
        long_date=fmt.long_date,
        safe_url=fmt.safe_url,
        shorten=fmt.shorten,
        trend_class=lambda now, before: "up" if now > before else ("down" if now < before else ""),
        status_names=fmt.STATUS_NAMES,
        age_names=fmt.AGE_NAMES,
        clock_text=clock_text,
        effect_sentence=effect_sentence,
        quiet_sentence=quiet_sentence,
        kind_names=KIND_NAMES,
        incident_status=STATUS_WORDS,
    )
    return environment


def render_html(data: DigestData) -> str:
    shown = len(data.trend_days)
    markers = [(marker.position, marker.title) for marker in data.incidents.markers]
    charts = {
        label.key: label_trend_png(
            data.trend_days, label.trend[-shown:], label.average, spike=label.spike, markers=markers
        )
        for label in data.labels
    }
    overview = overview_png(
        data.trend_days, [(label.display, label.trend[-shown:]) for label in data.labels], markers=markers
    )
    return (
        _environment()
        .get_template("digest.html.j2")
        .render(
            title=TITLE,
            data=data,
            tz=ZoneInfo(data.timezone),
            zone=fmt.zone_name(data.timezone),
            spikes=spike_line(data),
            charts=charts,
            overview=overview,
            models=models_sentence(data, lambda version: version),
        )
    )

"""What happened to complaints after a release, outage or maintenance: the 24 hours after the event
against the same hours of the previous seven days, stated only when the difference means something.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.digest_format import number
from pantau.storage.label_counts import first_post_time
from pantau.storage.models import PostLabel, ServiceEvent

KIND_NAMES = {"release": "rilis", "incident": "gangguan", "maintenance": "pemeliharaan"}
EFFECT_HOURS = 24
BASELINE_DAYS = 7
MIN_BASELINE_DAYS = 3
MIN_Z = 2.0
"""|after − mean| / √max(mean, 1): the Poisson z a change needs before the digest mentions it."""
MIN_HOURS = 3


@dataclass(slots=True)
class LabelEffect:
    label: str
    display: str
    after: int
    """Posts of this type in the hours after the event."""
    baseline: float
    """Mean posts in the same clock hours on each of the previous days."""
    z: float

    @property
    def rose(self) -> bool:
        return self.after > self.baseline


@dataclass(slots=True)
class EventEffect:
    event_id: int
    kind: str
    title: str
    at: datetime
    hours: int
    """Length of the window after the event (24, or less when the digest's day ends first)."""
    baseline_days: int
    effects: list[LabelEffect] = field(default_factory=list)


def event_name(kind: str, title: str) -> str:
    return f"{KIND_NAMES.get(kind, kind)} {title}"


def _counts(session: Session, labels: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
    rows = session.execute(
        select(PostLabel.label, func.count())
        .where(PostLabel.created_at >= start, PostLabel.created_at < end, PostLabel.label.in_(list(labels)))
        .group_by(PostLabel.label)
    ).all()
    return {label: int(count) for label, count in rows}


def event_effect(session: Session, settings: Settings, event: ServiceEvent, until: datetime) -> EventEffect:
    """Complaints per type in [event, min(event + 24 h, until)) against the same span on previous days.

    Days before the first stored post are unknown and left out; with fewer than three known days, or a
    window under three hours, nothing is claimed.
    """
    end = min(event.at + timedelta(hours=EFFECT_HOURS), until)
    hours = int((end - event.at).total_seconds() // 3600)
    effect = EventEffect(event.id or 0, event.kind, event.title, event.at, hours, 0)
    first = first_post_time(session)
    if hours < MIN_HOURS or first is None:
        return effect
    labels = settings.complaint_labels
    span = end - event.at
    starts = [event.at - timedelta(days=back) for back in range(1, BASELINE_DAYS + 1)]
    known = [start for start in starts if start >= first]
    effect.baseline_days = len(known)
    if len(known) < MIN_BASELINE_DAYS:
        return effect
    after = _counts(session, labels, event.at, end)
    totals: dict[str, int] = {}
    for start in known:
        for label, count in _counts(session, labels, start, start + span).items():
            totals[label] = totals.get(label, 0) + count
    minimum = settings.alerts.min_count
    for label in labels:
        observed, mean = after.get(label, 0), totals.get(label, 0) / len(known)
        z = (observed - mean) / math.sqrt(max(mean, 1.0))
        if max(observed, mean) >= minimum and abs(z) >= MIN_Z:
            effect.effects.append(LabelEffect(label, settings.display_name(label), observed, mean, round(z, 1)))
    effect.effects.sort(key=lambda item: (-abs(item.z), item.label))
    return effect


def effect_sentence(effect: EventEffect, change: LabelEffect, display: str | None = None) -> str:
    """'Akses & akun naik 240% dalam 24 jam setelah rilis 4.2.1 (34 unggahan; rata-rata 10,0 ...).'"""
    name = display if display is not None else change.display
    after = event_name(effect.kind, effect.title)
    usual = (
        f"({number(change.after)} unggahan; rata-rata {number(change.baseline, 1)} pada jam yang sama "
        f"{effect.baseline_days} hari sebelumnya)."
    )
    if change.baseline == 0:
        return f"{name} muncul dalam {effect.hours} jam setelah {after} {usual}"
    percent = abs(change.after - change.baseline) / change.baseline * 100
    verb = "naik" if change.rose else "turun"
    return f"{name} {verb} {number(percent)}% dalam {effect.hours} jam setelah {after} {usual}"


def quiet_sentence(effect: EventEffect) -> str:
    if effect.baseline_days < MIN_BASELINE_DAYS or effect.hours < MIN_HOURS:
        return f"Belum cukup data untuk menilai dampak {event_name(effect.kind, effect.title)}."
    return (
        f"Tidak ada perubahan keluhan yang berarti dalam {effect.hours} jam setelah "
        f"{event_name(effect.kind, effect.title)}."
    )


def day_fraction(moment: datetime, day_start: datetime) -> float:
    """Where `moment` falls in days after `day_start` (for chart markers)."""
    return (moment - day_start).total_seconds() / 86400

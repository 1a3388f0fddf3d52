"""Drift watch: how a week's label mix and the model's confidence moved against the weeks before it.

The digest shows `DriftSummary.message` when it is set ("18% of posts below review threshold, up from
6%: consider retraining"); thresholds live in the `drift:` section of the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.label_counts import hourly_label_counts
from pantau.storage.models import Post


@dataclass(slots=True)
class WindowStats:
    posts: int
    below_review: int
    mean_confidence: float
    label_counts: dict[str, int]
    model_versions: dict[str, int] = field(default_factory=dict)

    @property
    def review_share(self) -> float:
        return self.below_review / self.posts if self.posts else 0.0

    def label_share(self, labels: list[str]) -> dict[str, float]:
        total = sum(self.label_counts.get(label, 0) for label in labels)
        return {label: (self.label_counts.get(label, 0) / total if total else 0.0) for label in labels}


@dataclass(slots=True)
class DriftSummary:
    week_start: date
    week_end: date
    """Last day of the week (inclusive), in the configured time zone."""
    week: WindowStats
    baseline: WindowStats
    baseline_weeks: int
    label_share: dict[str, float]
    baseline_label_share: dict[str, float]
    js_divergence: float
    """Jensen-Shannon divergence (base 2, 0 = same mix, 1 = disjoint) of effective labels."""
    total_variation: float
    messages: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.messages)

    @property
    def message(self) -> str | None:
        return "; ".join(self.messages) if self.messages else None


def jensen_shannon(p: dict[str, float], q: dict[str, float]) -> float:
    def kl(a: dict[str, float], b: dict[str, float]) -> float:
        return sum(a[k] * math.log2(a[k] / b[k]) for k in a if a[k] > 0 and b[k] > 0)

    middle = {k: (p.get(k, 0.0) + q.get(k, 0.0)) / 2 for k in set(p) | set(q)}
    full_p = {k: p.get(k, 0.0) for k in middle}
    full_q = {k: q.get(k, 0.0) for k in middle}
    return max(0.0, min(1.0, (kl(full_p, middle) + kl(full_q, middle)) / 2))


def window_stats(session: Session, settings: Settings, start: datetime, end: datetime) -> WindowStats:
    """Classified posts created in [start, end): counts, below-review share, mean confidence, label mix.

    One pass over the window's posts gives counts, confidence and model versions; the label mix comes
    from the hourly label counts (whole hours) and post_label (the ragged edges).
    """
    threshold = settings.classifier.review_threshold
    rows = session.execute(
        select(
            Post.model_version,
            func.count(),
            func.sum(case((Post.confidence < threshold, 1), else_=0)),
            func.sum(Post.confidence),
        )
        .where(Post.created_at >= start, Post.created_at < end, Post.model_version.is_not(None))
        .group_by(Post.model_version)
    ).all()
    posts = sum(int(count) for _, count, _, _ in rows)
    confidence = sum(float(total or 0.0) for _, _, _, total in rows)
    label_counts: dict[str, int] = {}
    for (label, _), count in hourly_label_counts(session, start, end, settings.label_keys).items():
        label_counts[label] = label_counts.get(label, 0) + count
    return WindowStats(
        posts=posts, below_review=sum(int(below or 0) for _, _, below, _ in rows),
        mean_confidence=confidence / posts if posts else 0.0, label_counts=label_counts,
        model_versions={str(version): int(count) for version, count, _, _ in rows},
    )  # fmt: skip


def drift_summary(session: Session, settings: Settings, week_ending: date) -> DriftSummary | None:
    """The 7 local days ending on `week_ending` against the `drift.baseline_weeks` weeks before them;
    None when either side has fewer than `drift.min_posts` classified posts."""
    options, tz = settings.drift, settings.tz
    first_day = week_ending - timedelta(days=6)
    end = datetime.combine(week_ending + timedelta(days=1), time(0), tz).astimezone(UTC)
    start = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    baseline_start = datetime.combine(first_day - timedelta(weeks=options.baseline_weeks), time(0), tz).astimezone(UTC)
    week = window_stats(session, settings, start, end)
    baseline = window_stats(session, settings, baseline_start, start)
    if week.posts < options.min_posts or baseline.posts < options.min_posts:
        return None
    labels = settings.label_keys
    share, base_share = week.label_share(labels), baseline.label_share(labels)
    summary = DriftSummary(
        week_start=first_day, week_end=week_ending, week=week, baseline=baseline,
        baseline_weeks=options.baseline_weeks, label_share=share, baseline_label_share=base_share,
        js_divergence=round(jensen_shannon(share, base_share), 4),
        total_variation=round(sum(abs(share[k] - base_share[k]) for k in labels) / 2, 4),
    )  # fmt: skip
    if week.review_share - baseline.review_share >= options.review_share_increase:
        summary.messages.append(
            f"{week.review_share:.0%} of posts below review threshold, up from {baseline.review_share:.0%}: "
            "consider retraining"
        )
    if summary.js_divergence >= options.label_shift:
        movers = sorted(labels, key=lambda k: -abs(share[k] - base_share[k]))[:2]
        moved = ", ".join(f"{settings.display_name(k)} {base_share[k]:.0%} → {share[k]:.0%}" for k in movers)
        summary.messages.append(
            f"label mix shifted (Jensen-Shannon {summary.js_divergence:.2f}: {moved}): consider retraining"
        )
    return summary

"""Counts adjusted for classifier error, so a manager does not read model error as a trend.

For each label the model's confusion counts on the held-out test split (from the model directory's
pantau.json) give precision P = TP / (TP + FP) and recall R = TP / (TP + FN). Of `n` posts the model
labelled, about n·P are truly the label, and those are R of all the true ones, so

    adjusted = n · P / R = n · (TP + FN) / (TP + FP)

The interval draws P ~ Beta(TP + 1, FP + 1) and R ~ Beta(TP + 1, FN + 1) (uniform priors), and takes the
central `adjusted.interval` share of n · P / R. When triagers have reviewed at least
`adjusted.min_corrections` posts involving a label, their confusion counts are added to the test split's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.models import Classification, Post

SEED = 20261112
REVIEWED_STATUSES = ("acknowledged", "in_progress", "resolved")


@dataclass(frozen=True, slots=True)
class LabelQuality:
    label: str
    tp: float
    fp: float
    fn: float
    corrections: int = 0
    """Reviewed posts pooled with the test split (0: test split only)."""
    low: float | None = None
    high: float | None = None
    """Interval of the factor P / R."""

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def factor(self) -> float | None:
        """P / R = (TP + FN) / (TP + FP); None when the model never found the label on the test split."""
        return (self.tp + self.fn) / (self.tp + self.fp) if self.tp > 0 else None

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "precision": rounded(self.precision),
            "recall": rounded(self.recall),
            "factor": rounded(self.factor),
            "factor_low": rounded(self.low),
            "factor_high": rounded(self.high),
            "test_counts": {"tp": self.tp, "fp": self.fp, "fn": self.fn},
            "corrections": self.corrections,
        }


@dataclass(frozen=True, slots=True)
class ModelQuality:
    model_version: str | None
    model_dir: str
    labels: dict[str, LabelQuality]


@dataclass(frozen=True, slots=True)
class AdjustedSeries:
    values: list[float | None]
    low: list[float | None]
    high: list[float | None]


def held_out_counts(metadata: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """(TP, FP, FN) per label from pantau.json's metrics.test.per_label (explicit counts win over rates)."""
    per_label = ((metadata.get("metrics") or {}).get("test") or {}).get("per_label") or {}
    counts: dict[str, tuple[float, float, float]] = {}
    for label, metrics in per_label.items():
        if not isinstance(metrics, dict):
            continue
        if all(key in metrics for key in ("tp", "fp", "fn")):
            counts[label] = (float(metrics["tp"]), float(metrics["fp"]), float(metrics["fn"]))
            continue
        support, precision, recall = metrics.get("support"), metrics.get("precision"), metrics.get("recall")
        if not isinstance(support, int | float) or precision is None or recall is None:
            continue
        tp = round(float(recall) * support)
        fp = round(tp / float(precision)) - tp if precision else 0
        counts[label] = (float(tp), float(max(fp, 0)), float(support - tp))
    return counts


def read_metadata(model_dir: Path) -> dict[str, Any] | None:
    try:
        document = json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return document if isinstance(document, dict) else None


def correction_counts(
    session: Session, labels: list[str], model_version: str | None
) -> dict[str, tuple[int, int, int, int]]:
    """(TP, FP, FN, reviewed posts involving the label) from triage, for posts this model labelled.

    A reviewed post is one whose labels a triager corrected (or confirmed), or that a triager took on
    (acknowledged, in progress, resolved) without changing its labels; dismissed posts say nothing.
    """
    if model_version is None:
        return {}
    query = (
        select(Classification.labels, Post.corrected_labels)
        .join(Post, Post.id == Classification.post_id)
        .where(Classification.is_current.is_(True), Classification.model_version == model_version)
        .where(Post.corrected_labels.is_not(None) | Post.status.in_(REVIEWED_STATUSES))
    )
    tally = {label: [0, 0, 0, 0] for label in labels}
    for predicted, corrected in session.execute(query):
        model, truth = set(predicted or []), set(corrected if corrected is not None else predicted or [])
        for label in labels:
            row = tally[label]
            row[0] += label in model and label in truth
            row[1] += label in model and label not in truth
            row[2] += label not in model and label in truth
            row[3] += label in model or label in truth
    return {label: (row[0], row[1], row[2], row[3]) for label, row in tally.items()}


def factor_interval(tp: float, fp: float, fn: float, level: float, samples: int) -> tuple[float, float]:
    rng = np.random.default_rng(SEED)
    precision = rng.beta(tp + 1, fp + 1, samples)
    recall = rng.beta(tp + 1, fn + 1, samples)
    ratio = precision / recall
    tail = (1 - level) / 2
    low, high = np.quantile(ratio, [tail, 1 - tail])
    return float(low), float(high)


def model_quality(session: Session, settings: Settings, model_dir: Path) -> ModelQuality | None:
    """Per-label quality of the model in `model_dir`; None when it has no test-split metrics."""
    metadata = read_metadata(model_dir)
    counts = held_out_counts(metadata or {})
    if not counts:
        return None
    version = metadata.get("version") if metadata else None
    corrections = correction_counts(session, list(counts), version)
    options = settings.adjusted
    labels = {}
    for label, (tp, fp, fn) in counts.items():
        extra = corrections.get(label)
        pooled = 0
        if extra is not None and extra[3] >= options.min_corrections:
            tp, fp, fn, pooled = tp + extra[0], fp + extra[1], fn + extra[2], extra[3]
        low, high = factor_interval(tp, fp, fn, options.interval, options.samples) if tp > 0 else (None, None)
        labels[label] = LabelQuality(label, tp, fp, fn, pooled, low, high)
    return ModelQuality(version, str(model_dir), labels)


def current_quality(engine: Engine, settings: Settings) -> ModelQuality | None:
    """The quality of the model that classifies now (registry's current model, else the configured one)."""
    from pantau.pipeline.classify import resolve_model_dir

    model_dir = resolve_model_dir(engine, settings)
    with Session(engine) as session:
        return model_quality(session, settings, model_dir)


def adjust(counts: list[int], quality: LabelQuality | None) -> AdjustedSeries:
    """Adjusted counts and their interval, rounded to one decimal; None where the model gives no basis."""
    if quality is None or quality.factor is None:
        empty: list[float | None] = [None] * len(counts)
        return AdjustedSeries(list(empty), list(empty), list(empty))
    factor, low, high = quality.factor, quality.low or quality.factor, quality.high or quality.factor
    return AdjustedSeries(
        [round(count * factor, 1) for count in counts],
        [round(count * low, 1) for count in counts],
        [round(count * high, 1) for count in counts],
    )

"""The demo stream imported and labelled with its annotated `expected_labels`, so tests never need a model."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.collector.runner import collect_source
from pantau.core.config import Settings
from pantau.storage.classifications import PendingPost, pending_posts, record_verdicts
from pantau.storage.models import Post
from support import DEMO_STREAM

MODEL_VERSION = "annotated-demo"


@dataclass(slots=True)
class AnnotatedVerdict:
    labels: list[str]
    primary: str
    scores: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.9
    needs_review: bool = False


def verdict_for(labels: list[str]) -> AnnotatedVerdict:
    """Annotated labels as a verdict; posts with several labels are flagged for review, as a model might."""
    scores = {label: round(0.95 - 0.1 * index, 2) for index, label in enumerate(labels)}
    return AnnotatedVerdict(
        labels=list(labels),
        primary=labels[0],
        scores=scores,
        confidence=scores[labels[0]],
        needs_review=len(labels) > 1,
    )


def label_pending(engine: Engine, version: str = MODEL_VERSION) -> int:
    """Record a verdict for every pending post from raw['expected_labels'] (or the given fallback)."""
    labelled = 0
    with Session(engine) as session:
        batch: list[PendingPost] = pending_posts(session, limit=100_000)
        raws = dict(session.execute(select(Post.id, Post.raw).where(Post.id.in_([p.id for p in batch]))).all())
        verdicts = [verdict_for(raws[post.id].get("expected_labels") or ["not_complaint"]) for post in batch]
        record_verdicts(session, batch, verdicts, version)
        session.commit()
        labelled = len(batch)
    return labelled


def import_labelled_demo(engine: Engine, settings: Settings) -> int:
    outcome = collect_source(engine, settings, settings.source("demo"))
    assert outcome.ok, outcome.error
    return label_pending(engine)


def demo_subset(directory: Path, *, before: datetime | None = None, after: datetime | None = None) -> Path:
    """A copy of the demo stream restricted to posts created in [after, before)."""
    path = directory / "demo-subset.jsonl"
    with DEMO_STREAM.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as target:
        for line in source:
            created = datetime.fromisoformat(json.loads(line)["created_at"])
            if (before is None or created < before) and (after is None or created >= after):
                target.write(line)
    return path

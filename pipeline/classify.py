"""Classify stored posts with the current model, chunk by chunk, each chunk in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.classifications import pending_posts, record_verdicts
from pantau.storage.models import Post
from pantau.storage.registry import current_model

log = logging.getLogger(__name__)
CLAIM_CHUNK = 256
"""Posts claimed per transaction on PostgreSQL: their row locks are held while the model reads them."""


class NoModelError(Exception):
    """No usable classification model; the message says where we looked and what to do."""


@dataclass(slots=True)
class ClassifyOutcome:
    classified: int
    model_version: str
    needs_review: int = 0
    precision: str = "float32"


def resolve_model_dir(engine: Engine | None, settings: Settings, override: str | Path | None = None) -> Path:
    """An explicit directory, else the registry's current model, else config / the shipped model."""
    if override:
        return Path(override).expanduser().resolve()
    if engine is not None:
        with Session(engine) as session:
            return current_model_dir(session, settings)
    return settings.default_model_dir()


def current_model_dir(session: Session, settings: Settings) -> Path:
    """The registry's current model, else config / the shipped model, read in the caller's session.

    Code serving a request must use this, not resolve_model_dir: a second connection per request runs
    the pool dry under concurrent requests (each holding one and waiting for another).
    """
    current = current_model(session)
    return Path(current.path) if current is not None else settings.default_model_dir()


def load_classifier(settings: Settings, model_dir: Path) -> Any:
    """Load the model directory or raise NoModelError with a one-line reason (missing or corrupt model)."""
    if not (model_dir / "model.safetensors").exists() and not (model_dir / "pantau.json").exists():
        raise NoModelError(
            f"no classification model is installed at {model_dir}; posts stay pending "
            "(train one with `pantau train` or set classifier.model_dir)"
        )
    from pantau.classifier.model import IssueClassifier, ModelLoadError

    try:
        return IssueClassifier.from_options(model_dir, settings.classifier)
    except ModelLoadError as exc:
        raise NoModelError(f"{exc}; posts stay pending") from None


def count_pending(engine: Engine, *, since: datetime | None = None, not_version: str | None = None) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Post)
        if not_version is None:
            query = query.where(Post.model_version.is_(None))
        else:
            query = query.where((Post.model_version.is_(None)) | (Post.model_version != not_version))
        if since is not None:
            query = query.where(Post.created_at >= since)
        return session.execute(query).scalar_one()


def classify_stored(
    engine: Engine,
    settings: Settings,
    classifier: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    reclassify: bool = False,
    chunk_size: int = 1000,
    on_chunk: Callable[[int], None] | None = None,
) -> ClassifyOutcome:
    """Classify pending posts (or, with `reclassify`, every post not labelled by this model).

    On PostgreSQL each chunk is claimed with row locks (see pending_posts), so several workers can run
    this at once without classifying a post twice; chunks are smaller there to keep the locks short.
    """
    version = classifier.version
    claimed = engine.dialect.name == "postgresql"
    if claimed:
        chunk_size = min(chunk_size, CLAIM_CHUNK)
    outcome = ClassifyOutcome(classified=0, model_version=version, precision=classifier.precision)
    last_id = 0
    while True:
        with Session(engine) as session:
            batch = pending_posts(
                session,
                after_id=last_id,
                limit=chunk_size,
                since=since,
                until=until,
                not_version=version if reclassify else None,
                claim=claimed,
            )
            if not batch:
                return outcome
            verdicts = classifier.predict([post.text for post in batch], batch_size=settings.classifier.batch_size)
            stored = record_verdicts(session, batch, verdicts, version)
            session.commit()
        last_id = batch[-1].id
        outcome.classified += stored
        outcome.needs_review += sum(1 for verdict in verdicts if verdict.needs_review)
        if on_chunk is not None:
            on_chunk(len(batch))

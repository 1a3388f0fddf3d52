"""Model versions: which one is current, and the record of every candidate."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from pantau.storage.models import ModelVersion


def current_model(session: Session) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.is_current.is_(True))).scalars().first()


def get_model(session: Session, version: str) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.version == version)).scalar_one_or_none()


def list_models(session: Session) -> list[ModelVersion]:
    return list(session.execute(select(ModelVersion).order_by(ModelVersion.created_at.desc())).scalars())

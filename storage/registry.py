"""Model versions: which one is current, the record of every candidate, promotion and rollback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from pantau.storage.models import ModelVersion, utcnow

STATUSES = ("candidate", "current", "retired", "rejected", "rolled_back")
"""candidate: trained, not yet promoted; rejected: refused by the gate; retired: replaced by a later
promotion (rollback can restore it); rolled_back: taken out of service by a rollback."""


def current_model(session: Session) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.is_current.is_(True))).scalars().first()


def get_model(session: Session, version: str) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.version == version)).scalar_one_or_none()


def find_model(session: Session, version: str) -> ModelVersion | None:
    """The exact version, else the one version starting with `version` (None if none or ambiguous)."""
    exact = get_model(session, version)
    if exact is not None or not version:
        return exact
    query = select(ModelVersion).where(ModelVersion.version.startswith(version, autoescape=True)).limit(2)
    matches = list(session.execute(query).scalars())
    return matches[0] if len(matches) == 1 else None


def list_models(session: Session) -> list[ModelVersion]:
    return list(
        session.execute(select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())).scalars()
    )


def register_model(
    session: Session,
    *,
    version: str,
    path: str,
    base_model: str | None,
    metrics: dict[str, Any],
    data_fingerprint: str | None,
    params: dict[str, Any],
    created_at: datetime | None = None,
    notes: str | None = None,
) -> tuple[ModelVersion, bool]:
    """Add a candidate (or return the existing row for this version); returns (row, created)."""
    existing = get_model(session, version)
    if existing is not None:
        return existing, False
    row = ModelVersion(
        version=version,
        path=path,
        base_model=base_model,
        metrics=metrics,
        data_fingerprint=data_fingerprint,
        params=params,
        created_at=created_at or utcnow(),
        notes=notes,
    )
    session.add(row)
    session.flush()
    return row, True


def _append_note(model: ModelVersion, note: str) -> None:
    model.notes = f"{model.notes}\n{note}" if model.notes else note


def make_current(
    session: Session, model: ModelVersion, *, by: str, forced: bool = False, note: str | None = None
) -> ModelVersion | None:
    """Promote `model` in the caller's transaction; the model it replaces is retired and returned."""
    now = utcnow()
    previous = current_model(session)
    if previous is not None and previous.id != model.id:
        previous.is_current, previous.status = False, "retired"
        _append_note(previous, f"{now:%Y-%m-%d %H:%M} UTC retired: replaced by {model.version}")
        session.add(previous)
        session.flush()
    model.is_current, model.status = True, "current"
    model.promoted_at, model.promoted_by, model.forced = now, by, forced
    if note:
        _append_note(model, f"{now:%Y-%m-%d %H:%M} UTC {note}")
    session.add(model)
    session.flush()
    return previous if previous is not None and previous.id != model.id else None


def mark_status(session: Session, model: ModelVersion, status: str, note: str | None = None) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown model status {status!r}")
    model.status = status
    if note:
        _append_note(model, f"{utcnow():%Y-%m-%d %H:%M} UTC {note}")
    session.add(model)


def previous_model(session: Session) -> ModelVersion | None:
    """The model that was current before the current one: the most recently promoted retired version."""
    query = (
        select(ModelVersion)
        .where(ModelVersion.status == "retired", ModelVersion.promoted_at.is_not(None))
        .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
        .limit(1)
    )
    return session.execute(query).scalars().first()


def rollback(session: Session, *, by: str) -> tuple[ModelVersion, ModelVersion] | None:
    """Put the previous model back in service; returns (taken out, restored) or None if there is none."""
    current, previous = current_model(session), previous_model(session)
    if current is None or previous is None:
        return None
    now = utcnow()
    current.is_current, current.status = False, "rolled_back"
    _append_note(current, f"{now:%Y-%m-%d %H:%M} UTC rolled back by {by}; {previous.version} restored")
    session.add(current)
    session.flush()
    previous.is_current, previous.status = True, "current"
    _append_note(previous, f"{now:%Y-%m-%d %H:%M} UTC restored by {by} (rollback from {current.version})")
    session.add(previous)
    session.flush()
    return current, previous

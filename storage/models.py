"""Table declarations. Datetimes are timezone-aware UTC (SQLModel's UTCDateTime); convert at the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

TRIAGE_STATUSES = ("new", "acknowledged", "in_progress", "resolved", "dismissed")
OPEN_TRIAGE_STATUSES = ("new", "acknowledged", "in_progress")
USER_ROLES = ("viewer", "triager", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Post(SQLModel, table=True):
    """One public post, stored once per (source, external_id); triage state lives on the row."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_post_source_external_id"),
        Index("ix_post_created_at", "created_at", "id"),
        Index("ix_post_source_created_at", "source", "created_at"),
        Index("ix_post_pending", "model_version", "id"),
        Index(
            "ix_post_status_created_at",
            "status",
            "created_at",
            "needs_review",
            postgresql_include=["primary_label", "corrected_labels", "id"],
        ),
        Index("ix_post_review_created_at", "needs_review", "created_at"),
        Index("ix_post_confidence", "confidence", "id"),
        Index("ix_post_content_hash", "content_hash"),
        Index("ix_post_label_priority", "label_priority", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=128)
    author: str | None = Field(default=None, max_length=256)
    author_name: str | None = Field(default=None, max_length=256)
    url: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    collected_at: datetime = Field(default_factory=utcnow)
    text: str | None = Field(default=None, sa_type=Text)
    """The original text as published; None when privacy.keep_original_text is off."""
    text_clean: str = Field(sa_type=Text)
    """NFC, control characters stripped, whitespace collapsed: what the classifier reads."""
    text_redacted: str = Field(sa_type=Text)
    """text_clean with NIK, KPJ, phone numbers and e-mails masked: what people see by default."""
    lang: str | None = Field(default=None, max_length=16)
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    content_hash: str = Field(max_length=64)
    """Hash of the text with mentions, links, case and punctuation removed (exact-copy detection)."""
    simhash: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    duplicate_of_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), index=True)
    )
    incident_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("incident.id", ondelete="SET NULL"), index=True)
    )

    model_version: str | None = Field(default=None, max_length=128)
    """Version of the model behind the current classification; None while the post awaits one."""
    primary_label: str | None = Field(default=None, max_length=64)
    confidence: float | None = None
    needs_review: bool = False

    status: str = Field(default="new", max_length=16)
    assignee: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, sa_type=Text)
    corrected_labels: list[str] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    """Labels set by a triager; they win over the model's labels everywhere, and train the next model."""
    triaged_at: datetime | None = None
    triaged_by: str | None = Field(default=None, max_length=128)
    label_priority: float | None = None
    """Active-learning rank (higher = more worth a person's label); None outside the current queue."""


class PostLabel(SQLModel, table=True):
    """The effective labels of each post (triage correction if any, else current model), for counting."""

    __tablename__ = "post_label"
    __table_args__ = (
        Index("ix_post_label_label_created_at", "label", "created_at"),
        Index("ix_post_label_created_at", "created_at", "label", "source"),
    )

    post_id: int = Field(sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True))
    label: str = Field(max_length=64, primary_key=True)
    created_at: datetime
    """Copy of the post's created_at so trend queries never touch the post table."""
    source: str = Field(max_length=64)
    origin: str = Field(default="model", max_length=16)
    """'model' or 'triage'."""
    score: float | None = None


class LabelCountHour(SQLModel, table=True):
    """post_label rows per UTC hour, label and source, kept exact by database triggers (migration 0008).

    Never written by Pantau's code: the triggers on post_label do it, so long-range counts read this.
    """

    __tablename__ = "label_count_hour"

    hour: int = Field(primary_key=True)
    """Hours since 1970-01-01 00:00 UTC."""
    label: str = Field(max_length=64, primary_key=True)
    source: str = Field(max_length=64, primary_key=True)
    posts: int


class ModelCountHour(SQLModel, table=True):
    """Classified posts per UTC hour, source and model version, kept exact by database triggers (migration 0008)."""

    __tablename__ = "model_count_hour"

    hour: int = Field(primary_key=True)
    source: str = Field(max_length=64, primary_key=True)
    model_version: str = Field(max_length=128, primary_key=True)
    posts: int


class Classification(SQLModel, table=True):
    """One model's verdict on one post; reclassification adds a row and keeps the history."""

    __tablename__ = "classification"
    __table_args__ = (
        Index("ix_classification_post_current", "post_id", "is_current"),
        Index("ix_classification_model_version", "model_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False))
    model_version: str = Field(max_length=128)
    labels: list[str] = Field(default_factory=list, sa_type=JSON)
    scores: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    primary_label: str = Field(max_length=64)
    confidence: float
    needs_review: bool = False
    is_current: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class TriageEvent(SQLModel, table=True):
    """Who changed what on a post's triage, and when."""

    __tablename__ = "triage_event"
    __table_args__ = (Index("ix_triage_event_post", "post_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False))
    actor: str = Field(max_length=128)
    at: datetime = Field(default_factory=utcnow)
    field: str = Field(max_length=32)
    old_value: Any = Field(default=None, sa_type=JSON)
    new_value: Any = Field(default=None, sa_type=JSON)


class CollectionRun(SQLModel, table=True):
    __tablename__ = "collection_run"
    __table_args__ = (Index("ix_collection_run_source_started", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    source_type: str = Field(default="", max_length=32)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=16)
    """running, ok, partial, rate_limited, failed."""
    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: int = 0
    pages: int = 0
    watermark_before: str | None = Field(default=None, max_length=128)
    watermark_after: str | None = Field(default=None, max_length=128)
    error: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class SourceState(SQLModel, table=True):
    """Per-source watermark; it moves only in the transaction that commits the posts it covers."""

    __tablename__ = "source_state"

    source: str = Field(primary_key=True, max_length=64)
    watermark: str | None = Field(default=None, max_length=128)
    cursor: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """Source-specific resumption state (e.g. an unfinished X pagination), committed with its posts."""
    updated_at: datetime = Field(default_factory=utcnow)
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=128, unique=True)
    path: str = Field(sa_type=Text)
    base_model: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    data_fingerprint: str | None = Field(default=None, max_length=128)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="candidate", max_length=16)
    """candidate, current, retired, rejected."""
    is_current: bool = False
    promoted_at: datetime | None = None
    promoted_by: str | None = Field(default=None, max_length=128)
    forced: bool = False
    notes: str | None = Field(default=None, sa_type=Text)


class LabelRow(SQLModel, table=True):
    """A labelled text made outside triage (Label Studio, a spreadsheet); `pantau labels export` trains on it."""

    __tablename__ = "label_row"
    __table_args__ = (UniqueConstraint("text_key", name="uq_label_row_text_key"),)

    id: int | None = Field(default=None, primary_key=True)
    text_key: str = Field(max_length=64)
    """sha256 of the text normalised for matching (case, digits, punctuation folded): one row per text."""
    text: str = Field(sa_type=Text)
    labels: list[str] = Field(default_factory=list, sa_type=JSON)
    primary_label: str = Field(max_length=64)
    provenance: str = Field(sa_type=Text)
    labelled_by: str | None = Field(default=None, max_length=128)
    labelled_at: datetime | None = None
    imported_at: datetime = Field(default_factory=utcnow)


class Incident(SQLModel, table=True):
    """Posts about the same problem, grouped; alerts and triage work on incidents first."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_status_last_seen", "status", "last_seen"),)

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=64)
    title: str = Field(sa_type=Text)
    status: str = Field(default="open", max_length=16)
    """open, acknowledged, resolved, merged."""
    first_seen: datetime
    last_seen: datetime
    post_count: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    ack_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    escalated_at: datetime | None = None
    merged_into_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("incident.id", ondelete="SET NULL"))
    )
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_label_status", "label", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="spike", max_length=16)
    label: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16)
    """open, resolved."""
    opened_at: datetime = Field(default_factory=utcnow)
    window_start: datetime
    updated_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    observed: int = 0
    expected: float = 0.0
    score: float = 0.0
    peak_observed: int = 0
    sample_post_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    incident_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("incident.id", ondelete="SET NULL"))
    )
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Delivery(SQLModel, table=True):
    """An outgoing message (digest, alert, escalation) per channel; kept until sent, retried on failure."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("kind", "ref", "channel", name="uq_delivery_kind_ref_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=128)
    channel: str = Field(max_length=32)
    status: str = Field(default="pending", max_length=16)
    """pending, sent, failed."""
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    payload_path: str | None = Field(default=None, sa_type=Text)
    subject: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    """When a pending delivery may be tried (again); None means at once."""


class Digest(SQLModel, table=True):
    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("day", "format", name="uq_digest_day_format"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    format: str = Field(max_length=8)
    content: str = Field(sa_type=Text)
    model_version: str | None = Field(default=None, max_length=128)
    path: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class ServiceEvent(SQLModel, table=True):
    """The service's own timeline: releases, known outages, maintenance windows."""

    __tablename__ = "service_event"
    __table_args__ = (Index("ix_service_event_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    at: datetime
    ends_at: datetime | None = None
    title: str = Field(sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    created_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(sa_type=Text)
    role: str = Field(default="viewer", max_length=16)
    token_hash: str | None = Field(default=None, max_length=128, index=True)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class JobRun(SQLModel, table=True):
    """One execution of a scheduled job, so failures are visible after the fact."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=128)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=16)
    error: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)

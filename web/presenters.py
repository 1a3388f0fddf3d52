"""Rows and posts turned into API shapes; the redacted text unless the reader may see the original."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.models import Post
from pantau.storage.post_detail import current_classification, effective_labels, similar_posts
from pantau.storage.queue import QueueRow
from pantau.storage.triage import history
from pantau.web.dashboard_data import Dashboard
from pantau.web.dashboard_extras import AdjustedWeek
from pantau.web.post_sla import post_sla
from pantau.web.schemas import (
    AdjustedOut,
    AdjustedRowOut,
    AlertOut,
    BacklogOut,
    DashboardOut,
    ModelOut,
    PostDetail,
    PostSummary,
    SimilarPost,
    SourceHealthOut,
    TrendOut,
    TriageEventOut,
    WeekRowOut,
)


def summary(row: QueueRow, *, original: bool, settings: Settings, now: datetime) -> PostSummary:
    return PostSummary(
        id=row.id,
        source=row.source,
        author=row.author,
        author_name=row.author_name,
        url=row.url,
        created_at=row.created_at,
        text=row.text_redacted,
        text_original=(row.text or row.text_redacted) if original else None,
        labels=row.labels,
        primary_label=row.primary_label,
        confidence=row.confidence,
        needs_review=row.needs_review,
        status=row.status,
        assignee=row.assignee,
        model_version=row.model_version,
        corrected=row.corrected,
        sla=post_sla(settings, row, row.labels, now).as_out(now),
    )


def detail(session: Session, post: Post, *, original: bool, settings: Settings, now: datetime) -> PostDetail:
    verdict = current_classification(session, post.id)  # type: ignore[arg-type]
    labels = effective_labels(session, post.id)  # type: ignore[arg-type]
    return PostDetail(
        id=post.id,  # type: ignore[arg-type]
        source=post.source,
        author=post.author,
        author_name=post.author_name,
        url=post.url,
        created_at=post.created_at,
        text=post.text_redacted,
        text_original=(post.text or post.text_redacted) if original else None,
        labels=labels,
        primary_label=post.primary_label,
        confidence=post.confidence,
        needs_review=post.needs_review,
        status=post.status,
        assignee=post.assignee,
        model_version=post.model_version,
        corrected=post.corrected_labels is not None,
        sla=post_sla(settings, post, labels, now).as_out(now),
        note=post.note,
        corrected_labels=post.corrected_labels,
        triaged_at=post.triaged_at,
        triaged_by=post.triaged_by,
        duplicate_of_id=post.duplicate_of_id,
        scores=dict(sorted((verdict.scores if verdict else {}).items(), key=lambda item: -item[1])),
        classification_model_version=verdict.model_version if verdict else None,
        similar=[
            SimilarPost(
                id=copy.id,  # type: ignore[arg-type]
                source=copy.source,
                created_at=copy.created_at,
                text=copy.text_redacted,
                status=copy.status,
            )
            for copy in similar_posts(session, post)
        ],
        history=[TriageEventOut.model_validate(event) for event in history(session, post.id)],  # type: ignore[arg-type]
    )


def adjusted_out(adjusted: AdjustedWeek | None, display_name) -> AdjustedOut | None:  # type: ignore[no-untyped-def]
    if adjusted is None:
        return None
    rows = [
        AdjustedRowOut(
            label=row.label,
            display_name=display_name(row.label),
            observed=row.observed,
            adjusted=row.adjusted,
            low=row.low,
            high=row.high,
            precision=row.precision,
            recall=row.recall,
            corrections=row.corrections,
        )
        for row in adjusted.rows
    ]
    return AdjustedOut(model_version=adjusted.model_version, rows=rows)


def dashboard_out(board: Dashboard, display_name, adjusted: AdjustedWeek | None = None) -> DashboardOut:  # type: ignore[no-untyped-def]
    trend = board.trend
    return DashboardOut(
        generated_at=board.generated_at,
        trend=TrendOut(
            by=trend.by,
            since=trend.since,
            until=trend.until,
            buckets=trend.buckets,
            series={label: trend.series[label] for label in board.labels},
            display_names={label: display_name(label) for label in board.labels},
            model_versions=trend.model_versions,
        ),
        week=[
            WeekRowOut(
                label=row.label,
                display_name=display_name(row.label),
                this_week=row.this_week,
                last_week=row.last_week,
                change_pct=row.change_pct,
            )
            for row in board.week
        ],
        adjusted=adjusted_out(adjusted, display_name),
        alerts=[AlertOut.model_validate(alert) for alert in board.alerts],
        backlog=BacklogOut(statuses=board.backlog.statuses, buckets=board.backlog.buckets, counts=board.backlog.counts),
        health=[
            SourceHealthOut(
                source=item.source,
                last_success_at=item.state.last_success_at if item.state else None,
                last_failure_at=item.state.last_failure_at if item.state else None,
                last_error=item.state.last_error if item.state else None,
                consecutive_failures=item.state.consecutive_failures if item.state else 0,
                last_run_status=item.last_run.status if item.last_run else None,
                last_run_started_at=item.last_run.started_at if item.last_run else None,
                last_run_fetched=item.last_run.fetched if item.last_run else None,
                last_run_inserted=item.last_run.inserted if item.last_run else None,
            )
            for item in board.health
        ],
        model=ModelOut(registered=board.registered_model, newest_post=board.newest_model),
    )

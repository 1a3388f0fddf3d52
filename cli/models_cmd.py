"""`pantau models`: the model registry (list, show, register), gated promotion, rollback, drift."""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.core.config import Settings
from pantau.retraining.dataset import DEFAULT_CORPUS
from pantau.storage.models import ModelVersion

models_app = typer.Typer(help="Model versions: list, show, register, promote (gated), rollback.", no_args_is_help=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def _who(by: str | None) -> str:
    try:
        return by or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _test_f1(model: ModelVersion) -> str:
    test = (model.metrics or {}).get("test") or {}
    return f"{test['macro_f1']:.3f}" if "macro_f1" in test else "-"


def _describe(model: ModelVersion) -> dict[str, Any]:
    metrics = model.metrics or {}
    return {
        "version": model.version, "status": model.status, "is_current": model.is_current, "path": model.path,
        "base_model": model.base_model, "created_at": model.created_at.isoformat() if model.created_at else None,
        "data_fingerprint": model.data_fingerprint,
        "promoted_at": model.promoted_at.isoformat() if model.promoted_at else None,
        "promoted_by": model.promoted_by, "forced": model.forced, "notes": model.notes,
        "metrics": {k: v for k, v in metrics.items() if k != "last_gate"}, "last_gate": metrics.get("last_gate"),
        "params": model.params,
    }  # fmt: skip


def _registry_session(settings: Settings) -> Session:
    return Session(get_engine(settings))


def _find(session: Session, version: str) -> ModelVersion:
    from pantau.storage.registry import find_model

    model = find_model(session, version)
    if model is None:
        fail(f"no model version {version!r} (or more than one starts so); see `pantau models list`")
    return model


@models_app.command("list")
def list_command(output_format: OutputFormat = typer.Option(OutputFormat.table, "--format")) -> None:
    """Every registered model version, newest first; the shipped model is registered on first use.

    Example: `pantau models list`
    """
    from pantau.retraining.candidates import ensure_current
    from pantau.storage.registry import list_models

    settings = get_settings()
    with _registry_session(settings) as session:
        ensure_current(session, settings)
        session.commit()
        models = list_models(session)
        if output_format is OutputFormat.json:
            typer.echo(json.dumps([_describe(m) for m in models], indent=2, default=str))
            return
        rows = [["", "version", "status", "created", "test macro-F1", "promoted", "by"]]
        for m in models:
            promoted = f"{m.promoted_at:%Y-%m-%d %H:%M}" if m.promoted_at else "-"
            status = m.status + (" (forced)" if m.forced else "")
            created = f"{m.created_at:%Y-%m-%d %H:%M}"
            rows.append(
                ["*" if m.is_current else "", m.version, status, created, _test_f1(m), promoted, m.promoted_by or "-"]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not models:
        err.print("no models registered and no shipped model found; train one with `pantau train`", markup=False)


@models_app.command("show")
def show_command(version: str = typer.Argument(..., help="Version (or a unique prefix).")) -> None:
    """Everything recorded about one model version (JSON): metrics, data fingerprint, parameters, history.

    Example: `pantau models show pantau-20261201-1a2b3c4d`
    """
    from pantau.retraining.candidates import ensure_current

    settings = get_settings()
    with _registry_session(settings) as session:
        ensure_current(session, settings)
        session.commit()
        typer.echo(json.dumps(_describe(_find(session, version)), indent=2, default=str, ensure_ascii=False))


@models_app.command("register")
def register_command(
    model_dir: Path = typer.Argument(..., help="A model directory written by `pantau train`."),
    data: Path | None = typer.Option(None, "--data", help="The training file it was trained on (fingerprinted)."),
) -> None:
    """Record a model directory as a candidate (what `pantau train` does after training).

    Example: `pantau models register data/models/model-20261201-0900 --data data/labels.jsonl`
    """
    from pantau.classifier.model import ModelLoadError
    from pantau.retraining.candidates import register_model_dir

    settings = get_settings()
    with _registry_session(settings) as session:
        try:
            model, created = register_model_dir(session, model_dir, data_path=data)
        except ModelLoadError as exc:
            fail(str(exc))
        session.commit()
        out.print(f"{'registered' if created else 'already registered:'} {model.version} ({model.status})")


def _test_rows(session: Session, settings: Settings, data: Path | None, corpus: Path) -> list[dict]:
    if data is not None:
        from pantau.classifier.evaluate import EvaluationDataError, read_labelled

        try:
            return read_labelled(data, settings.label_keys, "test")[0]
        except EvaluationDataError as exc:
            fail(str(exc), 2)
    from pantau.retraining.dataset import build_training_set, held_out_rows

    return held_out_rows(build_training_set(session, settings, corpus_path=corpus, include_corpus=True))


@models_app.command("promote")
def promote_command(
    version: str = typer.Argument(..., help="Candidate version (or a unique prefix)."),
    force: bool = typer.Option(False, "--force", help="Promote even if the gate refuses (recorded, needs --reason)."),
    reason: str | None = typer.Option(None, "--reason", help="Why the gate is overridden (with --force)."),
    by: str | None = typer.Option(None, "--by", help="Who promotes (default: $USER)."),
    data: Path | None = typer.Option(
        None, "--data", help="Score on the test split of this file instead of a fresh `labels export`."
    ),
    corpus: Path = typer.Option(DEFAULT_CORPUS, "--corpus", help="The labelled corpus the export merges."),
) -> None:
    """Make a candidate the current model if it is not worse than the current one on the fixed test split
    (macro-F1 and each label's recall, within classifier.promotion_tolerance). Both models are scored on
    the same rows now; a report (Markdown + PNGs) is written for every attempt.

    Example: `pantau models promote pantau-20261201-1a2b3c4d --by rina`
    """
    from pantau.classifier.model import ModelLoadError
    from pantau.retraining.promote import promote_candidate
    from pantau.retraining.promotion import PromotionError, reclassify_since

    if force and not (reason or "").strip():
        fail("--force needs --reason: say why the gate is overridden (it is recorded)", 2)
    settings = get_settings()
    who = _who(by)
    with _registry_session(settings) as session:
        candidate = _find(session, version)
        rows = _test_rows(session, settings, data, corpus)
        err.print(f"scoring {candidate.version} and the current model on {len(rows)} test rows", markup=False)
        try:
            attempt = promote_candidate(session, settings, candidate, rows, by=who, force=force, reason=reason)
        except (PromotionError, ModelLoadError) as exc:
            fail(str(exc))
        session.commit()
    for check in attempt.checks:
        mark = "ok  " if check.passed else "FAIL"
        err.print(f"{mark} {check.name}: candidate {check.candidate:.3f}, current {check.current:.3f}", markup=False)
    report = attempt.report_dir / "report.md" if attempt.report_dir else None
    if not attempt.promoted:
        err.print(f"report: {report}", markup=False)
        fail(f"refused: {'; '.join(attempt.failures())} (use --force --reason ... to override)")
    forced = " (forced past the gate; recorded)" if attempt.forced else ""
    out.print(f"{attempt.candidate.version} is now the current model{forced}; report: {report}", markup=False)
    out.print(
        "stored posts keep their earlier labels until re-labelled; run:\n"
        f"  pantau classify --since {reclassify_since(settings)} --reclassify",
        markup=False,
    )


@models_app.command("rollback")
def rollback_command(by: str | None = typer.Option(None, "--by", help="Who rolls back (default: $USER).")) -> None:
    """Put the previous current model back in service (the current one is marked rolled_back).

    Example: `pantau models rollback --by rina`
    """
    from pantau.retraining.promotion import reclassify_since
    from pantau.storage.registry import rollback

    settings = get_settings()
    with _registry_session(settings) as session:
        result = rollback(session, by=_who(by))
        if result is None:
            fail("nothing to roll back to: no model was current before the current one")
        session.commit()
        removed, restored = result
        out.print(f"{restored.version} is the current model again ({removed.version} rolled back)", markup=False)
    out.print(f"re-label recent posts with it: pantau classify --since {reclassify_since(settings)} --reclassify")


@models_app.command("drift")
def drift_command(
    week_ending: str | None = typer.Option(None, "--week-ending", help="Last day of the week (default: today)."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """How a week's label mix and confidence moved against the weeks before (the digest's drift line).

    Example: `pantau models drift --week-ending 2026-11-30`
    """
    from dataclasses import asdict

    from pantau.reports.drift import drift_summary

    settings = get_settings()
    try:
        day = date.fromisoformat(week_ending) if week_ending else datetime.now(settings.tz).date()
    except ValueError:
        fail(f"--week-ending: expected YYYY-MM-DD, got {week_ending!r}", 2)
    with _registry_session(settings) as session:
        summary = drift_summary(session, settings, day)
    if summary is None:
        fail(f"not enough classified posts for a drift figure (drift.min_posts = {settings.drift.min_posts})")
    if output_format is OutputFormat.json:
        typer.echo(json.dumps({**asdict(summary), "message": summary.message}, indent=2, default=str))
        return
    out.print(
        f"{summary.week_start} .. {summary.week_end}: {summary.week.posts} posts; below review threshold "
        f"{summary.week.review_share:.0%} (baseline {summary.baseline.review_share:.0%}); label-mix "
        f"Jensen-Shannon {summary.js_divergence:.3f}",
        markup=False,
    )
    out.print(summary.message or "no drift beyond the configured thresholds", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")

"""`pantau classify`: label stored posts, or a JSONL file without touching the database."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.core.config import Settings
from pantau.core.timeutil import parse_date_or_relative
from pantau.pipeline.classify import (
    NoModelError,
    classify_stored,
    count_pending,
    load_classifier,
    resolve_model_dir,
)

CHUNK = 1000


def _load(settings: Settings, model: Path | None, engine: Any = None) -> Any:
    from pantau.classifier.model import ModelLoadError

    try:
        return load_classifier(settings, resolve_model_dir(engine, settings, model))
    except (NoModelError, ModelLoadError) as exc:
        fail(str(exc))


def _read_input(handle: TextIO, name: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            err.print(f"{name}:{number}: invalid JSON, skipped", markup=False)
            yield number, None
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or record.get("id") is None:
            err.print(f'{name}:{number}: expected {{"id": ..., "text": "..."}}, skipped', markup=False)
            yield number, None
            continue
        yield number, record


def _classify_file(settings: Settings, source: Path, target: Path, model: Path | None) -> int:
    classifier = _load(settings, model)
    bad = 0
    written = 0
    opener = sys.stdin if str(source) == "-" else source.open(encoding="utf-8-sig")
    writer = sys.stdout if str(target) == "-" else target.open("w", encoding="utf-8")
    try:
        chunk: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal written
            predictions = classifier.predict([record["text"] for record in chunk], settings.classifier.batch_size)
            for record, prediction in zip(chunk, predictions, strict=True):
                result = {
                    "id": record["id"],
                    "text": record["text"],
                    "labels": prediction.labels,
                    "primary": prediction.primary,
                    "scores": {key: round(value, 4) for key, value in prediction.scores.items()},
                    "confidence": round(prediction.confidence, 4),
                    "needs_review": prediction.needs_review,
                    "model_version": classifier.version,
                }
                writer.write(json.dumps(result, ensure_ascii=False) + "\n")
            written += len(chunk)
            chunk.clear()

        for _, record in _read_input(opener, str(source)):
            if record is None:
                bad += 1
                continue
            chunk.append(record)
            if len(chunk) >= CHUNK:
                flush()
        if chunk:
            flush()
    finally:
        if opener is not sys.stdin:
            opener.close()
        if writer is not sys.stdout:
            writer.close()
    err.print(
        f"classified {written} post(s) with model {classifier.version} ({classifier.precision}); {bad} bad line(s)",
        markup=False,
    )
    return bad


def classify_command(
    pending: bool = typer.Option(False, "--pending", help="Classify stored posts that have no classification."),
    input_path: Path | None = typer.Option(
        None, "--input", "-i", help='JSONL with {"id", "text"} per line; - = stdin.'
    ),
    output_path: Path | None = typer.Option(None, "--output", "-o", help="Where to write JSONL results; - = stdout."),
    model: Path | None = typer.Option(None, "--model", help="Model directory (default: the registry's current)."),
    since: str | None = typer.Option(None, "--since", help="With --reclassify: posts created since (date or 30d)."),
    reclassify: bool = typer.Option(False, "--reclassify", help="Re-label stored posts with the current model."),
) -> None:
    """Classify posts by issue type.

    Three modes:

    * `--pending`: stored posts without a classification (what `pantau run` does after collecting).
    * `--input IN.jsonl --output OUT.jsonl`: stateless; output lines add labels, primary, scores, needs_review.
    * `--since 2026-11-01 --reclassify`: re-label stored posts with the current model; earlier
      classifications stay in the history.

    Example: pantau classify --input posts.jsonl --output labelled.jsonl
    """
    settings = get_settings()
    modes = sum([pending, input_path is not None, reclassify])
    if modes != 1:
        fail("choose one of --pending, --input/--output or --reclassify", 2)
    if input_path is not None:
        if output_path is None:
            fail("--input needs --output (use - for stdout)", 2)
        if str(input_path) != "-" and not input_path.is_file():
            fail(f"{input_path}: file not found", 2)
        if _classify_file(settings, input_path, output_path, model):
            raise typer.Exit(1)
        return
    engine = get_engine(settings)
    since_at = None
    if since is not None:
        try:
            since_at = parse_date_or_relative(since, settings.tz)
        except ValueError as exc:
            fail(f"--since: {exc}", 2)
    elif reclassify:
        fail("--reclassify needs --since (e.g. --since 30d)", 2)
    classifier = _load(settings, model, engine)
    total = count_pending(engine, since=since_at, not_version=classifier.version if reclassify else None)
    with Progress(
        TextColumn("classifying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
    ) as progress:
        task = progress.add_task("classify", total=total)
        outcome = classify_stored(
            engine,
            settings,
            classifier,
            since=since_at,
            reclassify=reclassify,
            on_chunk=lambda count: progress.advance(task, count),
        )
    out.print(
        f"{outcome.classified} post(s) classified by model {outcome.model_version} ({outcome.precision}); "
        f"{outcome.needs_review} need review"
    )


def register(app: typer.Typer) -> None:
    app.command("classify")(classify_command)

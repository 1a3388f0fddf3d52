"""`pantau labels`: export training data from human labels, import labels made elsewhere, and the
active-learning queue of posts worth labelling next."""

from __future__ import annotations

import csv
import getpass
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import Session

from pantau.cli.common import err, fail, get_engine, get_settings, out
from pantau.core.timeutil import parse_date_or_relative
from pantau.retraining.dataset import DEFAULT_CORPUS

labels_app = typer.Typer(
    help="Training labels: export them, import them, and pick the posts worth labelling next.",
    no_args_is_help=True,
)
MAX_PROBLEMS_SHOWN = 20


class QueueFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _show(lines: list[str], what: str) -> None:
    for line in lines[:MAX_PROBLEMS_SHOWN]:
        err.print(f"{what}: {line}", markup=False)
    if len(lines) > MAX_PROBLEMS_SHOWN:
        err.print(f"{what}: ... and {len(lines) - MAX_PROBLEMS_SHOWN} more", markup=False)


@labels_app.command("export")
def export_labels(
    output: Path | None = typer.Option(None, "--output", "-o", help="JSONL file to write (default: stdout)."),
    include_corpus: bool = typer.Option(
        True, "--include-corpus/--no-include-corpus", help="Merge the shipped labelled corpus into the export."
    ),
    corpus: Path = typer.Option(DEFAULT_CORPUS, "--corpus", help="The labelled corpus whose splits are kept."),
) -> None:
    """Write a training set: triage corrections and imported labels (human labels win), merged with the
    corpus, de-duplicated, each row with provenance and a split that never changes between exports.

    Example: `pantau labels export --output data/labels.jsonl && pantau train --data data/labels.jsonl`
    """
    from pantau.retraining.dataset import build_training_set, write_training_set

    settings = get_settings()
    if include_corpus and not corpus.is_file():
        fail(f"{corpus}: corpus file not found (use --no-include-corpus to export human labels only)", 2)
    with Session(get_engine(settings)) as session:
        result = build_training_set(session, settings, corpus_path=corpus, include_corpus=include_corpus)
    _show(result.conflicts, "conflict")
    _show(result.skipped, "skipped")
    if output is None:
        write_training_set(result.rows, sys.stdout)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as handle:
            write_training_set(result.rows, handle)
    counts = ", ".join(
        f"{origin} {sum(splits.values())} ({' / '.join(f'{n} {s}' for s, n in sorted(splits.items()))})"
        for origin, splits in result.counts().items()
    )
    err.print(
        f"exported {len(result.rows)} rows: {counts or 'none'}; {len(result.conflicts)} conflict(s) "
        f"resolved for the human label{f' -> {output}' if output else ''}",
        markup=False,
    )


@labels_app.command("import")
def import_labels(
    path: Path = typer.Argument(..., help="JSONL, JSON (e.g. a Label Studio export) or CSV/TSV with labels."),
    by: str | None = typer.Option(None, "--by", help="Who labelled (when the file does not say; default: $USER)."),
    label_field: str | None = typer.Option(None, "--label-field", help="Field or column holding the labels."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows despite invalid ones."),
) -> None:
    """Import labels made elsewhere, validated against the taxonomy. Rows with `post_id` become triage
    corrections of stored posts; rows with `text` are kept for `pantau labels export`.

    Labels may be keys or display names, as a list or separated by commas, `;` or `|`; a spreadsheet may
    instead have one column per label key marked 1/x/yes. Invalid rows are listed by line and, unless
    --skip-invalid is given, nothing is imported.

    Example: `pantau labels import labelled.csv --by annotator1`
    """
    from pantau.retraining.label_import import LabelFileError, read_label_file
    from pantau.retraining.label_store import missing_posts, store_labels

    settings = get_settings()
    if not path.is_file():
        fail(f"{path}: file not found", 2)
    actor = by or getpass.getuser() or "import"
    try:
        items, problems = read_label_file(path, settings, default_by=by, label_field=label_field)
    except LabelFileError as exc:
        fail(str(exc))
    engine = get_engine(settings)
    with Session(engine) as session:
        invalid = problems + missing_posts(session, items)
        if invalid and not skip_invalid:
            _show(invalid, "invalid")
            fail(f"{len(invalid)} invalid row(s) in {path.name}; nothing imported (fix them or use --skip-invalid)")
        outcome = store_labels(session, settings, items, actor=actor)
        session.commit()
    skipped = problems + outcome.problems
    _show(skipped, "skipped")
    out.print(
        f"imported {outcome.corrections} triage correction(s), {outcome.inserted} new and {outcome.updated} "
        f"updated label row(s); {len(skipped)} row(s) skipped",
        markup=False,
    )


@labels_app.command("queue")
def queue(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="How many posts."),
    since: str | None = typer.Option(None, "--since", help="Only posts created since (date or 30d)."),
    output_format: QueueFormat = typer.Option(QueueFormat.table, "--format", help="table, csv or json."),
) -> None:
    """Unlabelled, untriaged posts worth labelling next: uncertain, disputed between labels, and diverse
    (copies and near-duplicates fold into one row, with their count).

    Example: `pantau labels queue --limit 50 --format csv > to_label.csv`
    """
    from pantau.reports.active_learning import active_learning_queue

    settings = get_settings()
    try:
        since_at = parse_date_or_relative(since, settings.tz) if since else None
    except ValueError as exc:
        fail(f"--since: {exc}", 2)
    with Session(get_engine(settings)) as session:
        items = active_learning_queue(session, settings, limit, since=since_at)
    records = [
        {"post_id": i.post_id, "score": i.score, "uncertainty": i.uncertainty, "disagreement": i.disagreement,
         "confidence": round(i.confidence, 4), "primary": i.primary, "near_labels": i.near_labels,
         "similar_posts": len(i.folded_ids), "created_at": i.created_at.isoformat(), "text": i.text}
        for i in items
    ]  # fmt: skip
    if output_format is QueueFormat.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif output_format is QueueFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]) if records else ["post_id"])
        writer.writeheader()
        writer.writerows({**r, "near_labels": ",".join(r["near_labels"])} for r in records)
    else:
        from rich.table import Table

        table = Table("post", "score", "conf.", "primary", "undecided", "similar", "text", box=None)
        for r in records:
            table.add_row(str(r["post_id"]), f"{r['score']:.2f}", f"{r['confidence']:.2f}", r["primary"] or "-",
                          ",".join(r["near_labels"]) or "-", str(r["similar_posts"]), r["text"][:80])  # fmt: skip
        out.print(table)
    if not records:
        err.print("no unlabelled classified posts to rank (run `pantau classify --pending` first)", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(labels_app, name="labels")

"""`pantau evaluate`: score a model on labelled posts beside a TF-IDF baseline (JSON, Markdown, PNG)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from pantau.cli.common import err, fail, get_settings
from pantau.core.config import PACKAGE_ROOT

DEFAULT_CORPUS = PACKAGE_ROOT / "data" / "corpus" / "corpus.jsonl"


class ReportFormat(StrEnum):
    json = "json"
    md = "md"


def evaluate(
    data: Path = typer.Option(..., "--data", help="JSONL with text and labels (a corpus.jsonl works)."),
    model: Path | None = typer.Option(None, "--model", help="Model directory (default: the configured one)."),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", help="Write evaluation.json, evaluation.md, confusion_matrix.png here."
    ),
    report_format: ReportFormat = typer.Option(ReportFormat.md, "--format", help="What to print to stdout."),
    split: str = typer.Option("test", "--split", help="Rows whose `split` is this ('all': every row)."),
    baseline_corpus: Path = typer.Option(
        DEFAULT_CORPUS, "--baseline-corpus", help="Corpus whose train/dev splits train the TF-IDF baseline."
    ),
    no_baseline: bool = typer.Option(False, "--no-baseline", help="Skip the TF-IDF baseline."),
) -> None:
    """Per-label precision/recall/F1, macro/micro F1, primary accuracy and a confusion matrix.

    Example: `pantau evaluate --data data/corpus/corpus.jsonl --split test --output-dir reports/eval`
    """
    from pantau.classifier.evaluate import EvaluationDataError, run_evaluation
    from pantau.classifier.model import IssueClassifier, ModelLoadError

    settings = get_settings()
    model_dir = model.expanduser().resolve() if model else settings.default_model_dir()
    try:
        classifier = IssueClassifier.from_options(model_dir, settings.classifier)
    except ModelLoadError as exc:
        fail(str(exc))
    use_baseline = not no_baseline and baseline_corpus.is_file()
    if not no_baseline and not use_baseline:
        err.print(f"baseline skipped: {baseline_corpus} not found")
    try:
        report = run_evaluation(
            data, classifier, split=None if split == "all" else split,
            baseline_corpus=baseline_corpus if use_baseline else None, output_dir=output_dir,
        )  # fmt: skip
    except EvaluationDataError as exc:
        fail(str(exc), 2)
    from pantau.classifier.evaluate import report_markdown

    typer.echo(json.dumps(report, indent=2) if report_format is ReportFormat.json else report_markdown(report))
    if output_dir is not None:
        err.print(f"wrote evaluation.json, evaluation.md and confusion_matrix.png to {output_dir}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)

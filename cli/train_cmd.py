"""`pantau train`: fine-tune a Hugging Face checkpoint on the labelled corpus and write a model directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from pantau.cli.common import err, fail, get_settings
from pantau.core.config import DEFAULT_MODEL_DIR, PACKAGE_ROOT, Settings

DEFAULT_CORPUS = PACKAGE_ROOT / "data" / "corpus" / "corpus.jsonl"


def train(
    data: Path = typer.Option(DEFAULT_CORPUS, "--data", help="Corpus JSONL with text, labels, primary, split."),
    base_model: str | None = typer.Option(
        None,
        "--base-model",
        help="HF checkpoint directory to fine-tune (default: classifier.base_model, else the shipped model).",
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Model directory to write (default: classifier.models_dir/<timestamp>)."
    ),
    epochs: int = typer.Option(12, "--epochs", min=1, help="Maximum epochs (early stopping on dev macro-F1)."),
    seed: int = typer.Option(13, "--seed", help="Random seed."),
    learning_rate: float = typer.Option(2e-4, "--lr", help="Peak learning rate."),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    patience: int = typer.Option(3, "--patience", min=1, help="Stop after this many epochs without improvement."),
    max_length: int | None = typer.Option(None, "--max-length", help="Token limit (default: classifier.max_length)."),
    register: bool = typer.Option(
        True, "--register/--no-register", help="Record the result as a candidate in the model registry."
    ),
) -> None:
    """Fine-tune a classifier on the train split, early-stop on dev, calibrate, and report test metrics.

    Example: `pantau train --base-model ~/models/indobert-base-p1 --epochs 5 --output data/models/indobert`

    Running the same command again after an interruption resumes from the last finished epoch.
    Train on `pantau labels export` output to include triage corrections; the result is registered as a
    candidate for `pantau models promote`.
    """
    from pantau.classifier.corpus import load_corpus
    from pantau.classifier.train import fine_tune

    settings = get_settings()
    labels, exclusive = settings.label_keys, settings.exclusive_label
    if not labels:
        fail("the config has no taxonomy; add labels under `taxonomy:` first", 2)
    if not data.is_file():
        fail(f"{data}: corpus file not found (build it with `python -m pantau.classifier.corpus build`)", 2)
    rows = load_corpus(data)
    unknown = sorted({label for row in rows for label in row["labels"]} - set(labels))
    if unknown:
        fail(f"{data}: labels not in the taxonomy: {', '.join(unknown)}", 2)
    splits = {name: [row for row in rows if row.get("split") == name] for name in ("train", "dev", "test")}
    if not splits["train"] or not splits["dev"]:
        fail(f"{data}: needs rows with split 'train' and 'dev'", 2)
    base = base_model or settings.classifier.base_model
    base_dir = settings.path(base) if base else DEFAULT_MODEL_DIR
    if not (base_dir / "config.json").is_file():
        fail(f"base model {base_dir} is not a Hugging Face checkpoint directory (no config.json)", 2)
    target = output or settings.path(settings.classifier.models_dir) / datetime.now().strftime("model-%Y%m%d-%H%M%S")
    err.print(f"fine-tuning {base_dir} on {len(splits['train'])} train / {len(splits['dev'])} dev rows -> {target}")
    result = fine_tune(
        splits["train"], splits["dev"], labels, exclusive, base_dir, target,
        seed=seed, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
        max_length=max_length or settings.classifier.max_length, patience=patience,
        threads=settings.classifier.threads, test_rows=splits["test"] or None,
        review_threshold=settings.classifier.review_threshold,
    )  # fmt: skip
    from pantau.classifier.model import read_metadata

    metrics = read_metadata(result).get("metrics", {})
    for split, values in metrics.items():
        if "macro_f1" not in values:  # not a split: per-precision or baseline figures
            continue
        err.print(
            f"{split}: macro-F1 {values['macro_f1']:.3f}, micro-F1 {values['micro_f1']:.3f}, "
            f"primary accuracy {values['primary_accuracy']:.3f}"
        )
    by_precision = {name: by_split.get("test") for name, by_split in (metrics.get("precisions") or {}).items()}
    if all(by_precision.values()) and by_precision:
        err.print(
            "test macro-F1 by precision: "
            + ", ".join(f"{name} {values['macro_f1']:.3f}" for name, values in by_precision.items())
        )
    if register:
        _register_candidate(settings, result, data)
    typer.echo(str(result))


def _register_candidate(settings: Settings, model_dir: Path, data: Path) -> None:
    """Record the new model as a candidate; without a usable database it only warns (register it later)."""
    from sqlalchemy.engine import make_url
    from sqlmodel import Session

    from pantau.retraining.candidates import register_model_dir
    from pantau.storage.db import DatabaseError, ensure_schema, make_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        err.print(
            f"not registered (no database at {url.database}); later: pantau models register {model_dir}", markup=False
        )
        return
    try:
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        with Session(engine) as session:
            model, _ = register_model_dir(session, model_dir, data_path=data)
            version = model.version
            session.commit()
    except DatabaseError as exc:
        err.print(f"not registered ({exc}); later: pantau models register {model_dir} --data {data}", markup=False)
        return
    err.print(f"registered candidate {version}; next: pantau models promote {version}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("train")(train)

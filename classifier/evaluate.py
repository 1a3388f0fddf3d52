"""Evaluate a model directory on labelled posts beside the TF-IDF baseline: JSON, Markdown and a PNG."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pantau.classifier.baseline import TfidfBaseline, train_baseline
from pantau.classifier.corpus import load_corpus
from pantau.classifier.export import evaluate_model_dir
from pantau.classifier.metrics import paired_bootstrap
from pantau.classifier.model import IssueClassifier


class EvaluationDataError(Exception):
    """The evaluation file cannot be used; one line for the user."""


def read_labelled(path: Path, labels: Sequence[str], split: str | None) -> tuple[list[dict], int]:
    """Rows with text and known labels (optionally one split); returns rows and how many were skipped."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise EvaluationDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    rows, skipped, splits_seen = [], 0, set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise EvaluationDataError(f"{path}:{number}: invalid JSON") from None
        found = record.get("labels") if isinstance(record, dict) else None
        if isinstance(found, str):
            found = [label.strip() for label in found.split(",") if label.strip()]
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not found:
            raise EvaluationDataError(f'{path}:{number}: expected {{"text": "...", "labels": [...]}}')
        if split and record.get("split", split) != split:
            splits_seen.add(str(record.get("split")))
            continue
        if any(label not in labels for label in found):
            skipped += 1
            continue
        primary = record.get("primary") if record.get("primary") in found else found[0]
        rows.append({"text": record["text"], "labels": list(found), "primary": primary})
    if not rows and splits_seen:
        has = ", ".join(sorted(splits_seen))
        raise EvaluationDataError(f"{path}: no rows in split {split!r} (it has: {has}); pass --split or --split all")
    if not rows:
        raise EvaluationDataError(f"{path}: no rows with known labels{f' in split {split!r}' if split else ''}")
    return rows, skipped


def confusion_png(report: dict[str, Any], path: Path) -> None:
    """Primary-label confusion matrices (model and, if present, baseline) side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = [("model", report["model"])] + (
        [("TF-IDF baseline", report["baseline"])] if report.get("baseline") else []
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 6.5), squeeze=False)
    for axis, (title, metrics) in zip(axes[0], panels, strict=True):
        labels = metrics["confusion_matrix"]["labels"]
        matrix = np.array(metrics["confusion_matrix"]["rows_gold_columns_predicted"])
        axis.imshow(matrix, cmap="Blues")
        axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        axis.set_yticks(range(len(labels)), labels, fontsize=8)
        axis.set_xlabel("predicted primary")
        axis.set_ylabel("gold primary")
        axis.set_title(f"{title} (primary accuracy {metrics['primary_accuracy']:.3f})")
        for (i, j), value in np.ndenumerate(matrix):
            if value:
                colour = "white" if value > matrix.max() / 2 else "black"
                axis.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def report_markdown(report: dict[str, Any]) -> str:
    model, baseline = report["model"], report.get("baseline")
    split = f" (split {report['split']})" if report.get("split") else ""
    lines = [
        f"# Evaluation of `{report['model_version']}`",
        "",
        f"Computed in {report.get('precision', 'float32')} (`classifier.precision`).",
        f"Data: `{report['data']}`{split}, {model['rows']} rows ({report['skipped_rows']} skipped for unknown labels).",
        f"Baseline: {report.get('baseline_description', 'not run')}.",
        "",
        "| metric | model | TF-IDF baseline |",
        "|---|---|---|",
    ]
    for key, name in (
        ("macro_f1", "macro-F1"),
        ("micro_f1", "micro-F1"),
        ("primary_accuracy", "primary-label accuracy"),
        ("exact_match", "exact match"),
    ):
        lines.append(
            f"| {name} | {model[key]:.3f} | {baseline[key]:.3f} |" if baseline else f"| {name} | {model[key]:.3f} | - |"
        )
    if gap := report.get("model_vs_baseline"):
        lines += [
            "",
            f"Macro-F1 model − baseline: {gap['difference']:+.3f}; paired bootstrap over the posts "
            f"({gap['resamples']} draws): 95% interval [{gap['low']:+.3f}, {gap['high']:+.3f}], model ahead in "
            f"{gap['share_ahead']:.0%} of draws.",
        ]
    lines += [
        "",
        "| label | support | P | R | F1 | baseline P | baseline R | baseline F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, m in model["per_label"].items():
        b = baseline["per_label"][label] if baseline else None
        cells = [f"{b[k]:.3f}" for k in ("precision", "recall", "f1")] if b else ["-"] * 3
        lines.append(
            f"| `{label}` | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            + " | ".join(cells)
            + " |"
        )
    labels = model["confusion_matrix"]["labels"]
    lines += [
        "",
        "Primary-label confusion matrix (rows gold, columns predicted; see confusion_matrix.png):",
        "",
        "| gold \\ predicted | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for label, row in zip(labels, model["confusion_matrix"]["rows_gold_columns_predicted"], strict=True):
        lines.append(f"| `{label}` | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def side_by_side(
    classifier: IssueClassifier, rows: Sequence[dict], baseline: TfidfBaseline
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Metrics of the model and the baseline on the same rows, and a paired bootstrap of their macro-F1 gap."""
    texts = [row["text"] for row in rows]
    predictions = classifier.predict(texts)
    baseline_predictions = baseline.predict(texts)
    bootstrap = paired_bootstrap(
        [row["labels"] for row in rows],
        [p.labels for p in predictions],
        [labels for labels, _ in baseline_predictions],
        classifier.labels,
    )
    return evaluate_model_dir(classifier, rows, predictions), baseline.evaluate(rows, baseline_predictions), bootstrap


def run_evaluation(
    data: Path,
    classifier: IssueClassifier,
    *,
    split: str | None,
    baseline_corpus: Path | None,
    output_dir: Path | None,
) -> dict[str, Any]:
    """Score `classifier` (and the baseline trained on baseline_corpus's train split) on `data`."""
    rows, skipped = read_labelled(data, classifier.labels, split)
    report: dict[str, Any] = {
        "model_version": classifier.version, "precision": classifier.precision,
        "model_dir": str(classifier.model_dir), "data": str(data),
        "split": split, "skipped_rows": skipped,
    }  # fmt: skip
    if baseline_corpus is None:
        report["model"] = evaluate_model_dir(classifier, rows)
    else:
        train = [r for r in load_corpus(baseline_corpus, "train") if set(r["labels"]) <= set(classifier.labels)]
        dev = [r for r in load_corpus(baseline_corpus, "dev") if set(r["labels"]) <= set(classifier.labels)]
        baseline = train_baseline(train, dev, classifier.labels, classifier.exclusive_label)
        report["model"], report["baseline"], report["model_vs_baseline"] = side_by_side(classifier, rows, baseline)
        report["baseline_description"] = (
            f"TF-IDF (word 1-2 + char 2-5 grams) + one-vs-rest logistic regression (C={baseline.C}), trained on "
            f"the {len(train)} train rows of {baseline_corpus.name}, thresholds tuned on its {len(dev)} dev rows"
        )
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "evaluation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        (output_dir / "evaluation.md").write_text(report_markdown(report), encoding="utf-8")
        confusion_png(report, output_dir / "confusion_matrix.png")
    return report

"""The report of one promotion attempt: Markdown, a JSON copy, confusion matrices and per-label
precision-recall curves (PNG), candidate beside current."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from pantau.retraining.promotion import ModelEvaluation, PromotionAttempt

CONFUSION_PNG = "confusion_matrix.png"
PR_CURVES_PNG = "pr_curves.png"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_png(attempt: PromotionAttempt, path: Path) -> None:
    plt = _pyplot()
    panels = (
        [("current", attempt.current), ("candidate", attempt.candidate)]
        if attempt.current
        else [("candidate", attempt.candidate)]
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 6.2), squeeze=False)
    for axis, (role, evaluation) in zip(axes[0], panels, strict=True):
        labels = evaluation.metrics["confusion_matrix"]["labels"]
        matrix = np.array(evaluation.metrics["confusion_matrix"]["rows_gold_columns_predicted"])
        axis.imshow(matrix, cmap="Blues")
        axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        axis.set_yticks(range(len(labels)), labels, fontsize=8)
        axis.set_xlabel("predicted primary")
        axis.set_ylabel("gold primary")
        axis.set_title(f"{role}: {evaluation.version}\nprimary accuracy {evaluation.metrics['primary_accuracy']:.3f}")
        for (i, j), value in np.ndenumerate(matrix):
            if value:
                colour = "white" if value > matrix.max() / 2 else "black"
                axis.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def pr_curves_png(attempt: PromotionAttempt, path: Path) -> None:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _pyplot()
    labels = attempt.labels
    columns = min(4, len(labels))
    rows = math.ceil(len(labels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.6 * rows), squeeze=False)
    sides = [(attempt.current, "tab:gray"), (attempt.candidate, "tab:blue")]
    for index, label in enumerate(labels):
        axis = axes[index // columns][index % columns]
        gold = attempt.gold[:, index]
        axis.set_title(f"{label} (n={int(gold.sum())})", fontsize=9)
        axis.set_xlim(0, 1.02)
        axis.set_ylim(0, 1.02)
        axis.set_xlabel("recall", fontsize=8)
        axis.set_ylabel("precision", fontsize=8)
        if not gold.any():
            axis.text(0.5, 0.5, "no test rows", ha="center", va="center", fontsize=8)
            continue
        for evaluation, colour in sides:
            if evaluation is None:
                continue
            scores = evaluation.scores[:, index]
            precision, recall, _ = precision_recall_curve(gold, scores)
            average = average_precision_score(gold, scores)
            role = "candidate" if evaluation is attempt.candidate else "current"
            axis.step(recall, precision, where="post", color=colour, label=f"{role} AP {average:.2f}")
            picked = scores >= evaluation.thresholds.get(label, 0.5)
            if picked.any():
                point_p, point_r = float(gold[picked].mean()), float(gold[picked].sum() / gold.sum())
                axis.plot([point_r], [point_p], "o", color=colour, markersize=5)
        axis.legend(fontsize=7, loc="lower left")
    for index in range(len(labels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    figure.suptitle("Precision-recall per label on the fixed test split (dots: operating thresholds)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _metric_rows(current: ModelEvaluation | None, candidate: ModelEvaluation) -> list[str]:
    lines = ["| metric | current | candidate | change |", "|---|---|---|---|"]
    for key, name in (("macro_f1", "macro-F1"), ("micro_f1", "micro-F1"), ("primary_accuracy", "primary accuracy"),
                      ("exact_match", "exact match")):  # fmt: skip
        new = candidate.metrics[key]
        old = current.metrics[key] if current else None
        lines.append(f"| {name} | {_num(old)} | {new:.3f} | {_num(None if old is None else new - old, sign=True)} |")
    lines += ["", "| label | support | current P | current R | candidate P | candidate R | candidate F1 |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for label, values in candidate.metrics["per_label"].items():
        old = current.metrics["per_label"].get(label) if current else None
        lines.append(
            f"| `{label}` | {values['support']} | {_num(old and old['precision'])} | {_num(old and old['recall'])} | "
            f"{values['precision']:.3f} | {values['recall']:.3f} | {values['f1']:.3f} |"
        )
    return lines


def _num(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def report_markdown(attempt: PromotionAttempt) -> str:
    current = attempt.current
    if attempt.promoted:
        verdict = "**promoted (forced past the gate)**" if attempt.forced else "**promoted**: the gate passed"
    else:
        verdict = "**refused**: the candidate is worse than the current model on the fixed test split"
    lines = [
        f"# Promotion of `{attempt.candidate.version}`",
        "",
        f"- When: {attempt.at:%Y-%m-%d %H:%M} UTC, by {attempt.by or 'unknown'}",
        f"- Current model: `{current.version}`" if current else "- Current model: none (nothing to compare)",
        f"- Test rows: {attempt.test_rows} (the fixed held-out split; both models scored on the same rows now)",
        f"- Tolerance: {attempt.tolerance} (macro-F1 and each label's recall may trail the current model by this)",
        f"- Decision: {verdict}",
    ]
    if attempt.forced:
        lines.append(f"- Reason given: {attempt.reason or 'none'}")
    if attempt.failures():
        lines += ["", "Failed checks:", ""] + [f"- {failure}" for failure in attempt.failures()]
    if attempt.checks:
        lines += ["", "| check | current | candidate | minimum | result |", "|---|---|---|---|---|"]
        lines += [
            f"| {c.name} | {c.current:.3f} | {c.candidate:.3f} | {c.minimum:.3f} | {'pass' if c.passed else 'FAIL'} |"
            for c in attempt.checks
        ]
    lines += ["", *_metric_rows(current, attempt.candidate), "", f"![confusion matrices]({CONFUSION_PNG})"]
    lines += ["", f"![precision-recall curves]({PR_CURVES_PNG})"]
    return "\n".join(lines) + "\n"


def write_report(attempt: PromotionAttempt, directory: Path) -> Path:
    """report.md, report.json, confusion_matrix.png and pr_curves.png in `directory`; returns report.md."""
    directory.mkdir(parents=True, exist_ok=True)
    confusion_png(attempt, directory / CONFUSION_PNG)
    pr_curves_png(attempt, directory / PR_CURVES_PNG)
    document = {
        "candidate": attempt.candidate.version,
        "current": attempt.current.version if attempt.current else None,
        "at": attempt.at.isoformat(timespec="seconds"),
        "by": attempt.by, "promoted": attempt.promoted, "forced": attempt.forced, "reason": attempt.reason,
        "passed": attempt.passed, "failures": attempt.failures(), "tolerance": attempt.tolerance,
        "test_rows": attempt.test_rows,
        "checks": [{"name": c.name, "current": c.current, "candidate": c.candidate, "minimum": round(c.minimum, 4),
                    "passed": c.passed} for c in attempt.checks],
        "metrics": {"candidate": attempt.candidate.metrics,
                    "current": attempt.current.metrics if attempt.current else None},
    }  # fmt: skip
    (directory / "report.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    path = directory / "report.md"
    path.write_text(report_markdown(attempt), encoding="utf-8")
    return path

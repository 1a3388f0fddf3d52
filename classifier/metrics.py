"""Multi-label evaluation metrics shared by training, `pantau evaluate` and the model card."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def multi_hot(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=np.float32)
    for i, row in enumerate(label_sets):
        for label in row:
            if label in index:
                matrix[i, index[label]] = 1.0
    return matrix


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    _, _, f1, _ = precision_recall_fscore_support(gold, predicted, average="macro", zero_division=0)
    return float(f1)


def evaluate_predictions(
    gold_sets: Sequence[Sequence[str]],
    predicted_sets: Sequence[Sequence[str]],
    gold_primary: Sequence[str],
    predicted_primary: Sequence[str],
    labels: Sequence[str],
) -> dict[str, object]:
    """Per-label precision/recall/F1, macro and micro F1, primary accuracy and the primary confusion matrix."""
    gold, predicted = multi_hot(gold_sets, labels), multi_hot(predicted_sets, labels)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, zero_division=0)
    per_label = {
        label: {
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
        }
        for j, label in enumerate(labels)
    }
    micro = precision_recall_fscore_support(gold, predicted, average="micro", zero_division=0)[2]
    exact = float(np.mean(np.all(gold == predicted, axis=1))) if len(gold) else 0.0
    primary_accuracy = float(np.mean([g == p for g, p in zip(gold_primary, predicted_primary, strict=True)]))
    matrix = confusion_matrix(list(gold_primary), list(predicted_primary), labels=list(labels))
    return {
        "rows": len(gold_sets),
        "macro_f1": round(macro_f1(gold, predicted), 4),
        "micro_f1": round(float(micro), 4),
        "primary_accuracy": round(primary_accuracy, 4),
        "exact_match": round(exact, 4),
        "per_label": per_label,
        "confusion_matrix": {"labels": list(labels), "rows_gold_columns_predicted": matrix.tolist()},
    }


def paired_bootstrap(
    gold_sets: Sequence[Sequence[str]],
    first_sets: Sequence[Sequence[str]],
    second_sets: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Macro-F1 of `first` minus `second` on posts resampled with replacement (both judged on the same draw).

    Returns the observed difference, its 2.5th and 97.5th percentiles and the share of draws in which
    `first` is ahead: how far the observed gap could come from which posts happened to be in the data.
    """
    gold = multi_hot(gold_sets, labels)
    first, second = multi_hot(first_sets, labels), multi_hot(second_sets, labels)
    weights = np.random.default_rng(seed).multinomial(len(gold), np.full(len(gold), 1 / len(gold)), size=resamples)
    full = np.ones((1, len(gold)))

    def macro(matrix: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        true_pos = matrix @ (gold * predicted)
        wrong = matrix @ (np.abs(gold - predicted))
        denominator = 2 * true_pos + wrong
        f1 = np.divide(2 * true_pos, denominator, out=np.zeros_like(true_pos), where=denominator > 0)
        return f1.mean(axis=1)

    draws = macro(weights, first) - macro(weights, second)
    low, high = np.percentile(draws, [2.5, 97.5])
    return {
        "difference": round(float((macro(full, first) - macro(full, second))[0]), 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
        "share_ahead": round(float(np.mean(draws > 0)), 4),
        "resamples": resamples,
    }

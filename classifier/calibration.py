"""Turning logits into calibrated scores and label sets: temperature scaling, per-label thresholds, decoding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
THRESHOLD_BOUNDS = (0.15, 0.85)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def _bce(logits: np.ndarray, targets: np.ndarray, temperature: float) -> float:
    probs = np.clip(sigmoid(logits / temperature), 1e-7, 1 - 1e-7)
    return float(-np.mean(targets * np.log(probs) + (1 - targets) * np.log(1 - probs)))


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """One temperature for all labels minimising dev BCE (a single value is robust on a small dev set)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 141))
    losses = [_bce(logits, targets, t) for t in grid]
    return float(round(grid[int(np.argmin(losses))], 4))


def _f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.sum(predicted & gold))
    denominator = float(np.sum(predicted) + np.sum(gold))
    return 2 * tp / denominator if denominator else 0.0


def tune_thresholds(probs: np.ndarray, targets: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Per label, the dev-F1-maximising threshold; ties go to the value nearest 0.5, then clipped to bounds."""
    gold = targets.astype(bool)
    thresholds = {}
    for j, label in enumerate(labels):
        scores = np.array([_f1(probs[:, j] >= t, gold[:, j]) for t in THRESHOLD_GRID])
        best = scores.max()
        candidates = THRESHOLD_GRID[scores >= best - 1e-9]
        chosen = candidates[np.argmin(np.abs(candidates - 0.5))] if gold[:, j].any() else 0.5
        thresholds[label] = float(np.clip(chosen, *THRESHOLD_BOUNDS))
    return thresholds


def decode(
    scores: np.ndarray, labels: Sequence[str], thresholds: dict[str, float], exclusive_label: str | None
) -> tuple[list[str], str]:
    """Label set and primary for one row of calibrated scores.

    Labels at or above their threshold are kept; if none is, the best-scoring label is used. The exclusive
    label stands alone: it wins only when it outscores every other selected label.
    """
    order = np.argsort(-scores, kind="stable")
    chosen = [labels[j] for j in order if scores[j] >= thresholds.get(labels[j], 0.5)]
    if not chosen:
        chosen = [labels[int(order[0])]]
    if exclusive_label in chosen and len(chosen) > 1:
        chosen = [exclusive_label] if chosen[0] == exclusive_label else [c for c in chosen if c != exclusive_label]
    return chosen, chosen[0]

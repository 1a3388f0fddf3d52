"""Decoding scores into label sets, tuning thresholds and fitting the temperature."""

from __future__ import annotations

import numpy as np

from pantau.classifier.calibration import decode, fit_temperature, sigmoid, tune_thresholds

LABELS = ["login", "payment", "crash", "none"]
HALF = dict.fromkeys(LABELS, 0.5)


def test_labels_above_their_threshold_are_kept_best_first() -> None:
    labels, primary = decode(np.array([0.7, 0.9, 0.2, 0.1]), LABELS, HALF, "none")
    assert labels == ["payment", "login"]
    assert primary == "payment"


def test_the_best_label_is_used_when_none_passes() -> None:
    assert decode(np.array([0.3, 0.2, 0.1, 0.05]), LABELS, HALF, "none") == (["login"], "login")


def test_exclusive_label_stands_alone_when_it_scores_highest() -> None:
    assert decode(np.array([0.6, 0.1, 0.1, 0.8]), LABELS, HALF, "none") == (["none"], "none")


def test_exclusive_label_is_dropped_when_a_complaint_scores_higher() -> None:
    assert decode(np.array([0.9, 0.6, 0.1, 0.7]), LABELS, HALF, "none") == (["login", "payment"], "login")


def test_thresholds_move_to_where_dev_f1_is_best() -> None:
    rng = np.random.default_rng(0)
    targets = (rng.random((400, 2)) < 0.3).astype(np.float32)
    probs = np.clip(targets * 0.35 + rng.random((400, 2)) * 0.3, 0, 1)
    thresholds = tune_thresholds(probs, targets, ["a", "b"])
    assert all(0.15 <= t <= 0.85 for t in thresholds.values())
    assert thresholds["a"] < 0.5, "positives sit between 0.35 and 0.65, so 0.5 would miss many"


def test_temperature_recovers_overconfident_logits() -> None:
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 2, size=(2000, 3))
    targets = (rng.random((2000, 3)) < sigmoid(true_logits)).astype(np.float32)
    assert abs(fit_temperature(true_logits * 3, targets) - 3) < 0.5

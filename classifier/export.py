"""Calibrate a trained model on dev and write the model directory with metadata, metrics and card."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pantau.classifier.calibration import fit_temperature, sigmoid, tune_thresholds
from pantau.classifier.metrics import evaluate_predictions, multi_hot
from pantau.classifier.model import METADATA_FILE, WEIGHTS_FILE, IssueClassifier
from pantau.classifier.model_card import render_model_card
from pantau.classifier.text import clean_text

MAX_WEIGHTS_BYTES = 25 * 1024 * 1024


def evaluate_model_dir(
    classifier: IssueClassifier, rows: Sequence[dict], predictions: Sequence[Any] | None = None
) -> dict[str, Any]:
    """Metrics of a loaded classifier on labelled rows (text, labels, primary); `predictions` if already made."""
    if predictions is None:
        predictions = classifier.predict([row["text"] for row in rows])
    return evaluate_predictions(
        [row["labels"] for row in rows],
        [p.labels for p in predictions],
        [row.get("primary") or row["labels"][0] for row in rows],
        [p.primary for p in predictions],
        classifier.labels,
    )


def export_model_dir(
    model: Any,
    tokenizer: Any,
    out: Path,
    *,
    labels: list[str],
    exclusive_label: str | None,
    dev_rows: Sequence[dict],
    test_rows: Sequence[dict] | None,
    training: dict[str, Any],
    data_fingerprint: str,
    max_length: int,
    review_threshold: float,
    extra_metadata: dict[str, Any],
) -> dict[str, Any]:
    """Fit temperature and thresholds on dev, save weights/tokenizer/pantau.json/README.md; returns metadata."""
    from pantau.classifier.train import predict_logits

    dev_texts = [clean_text(row["text"]) for row in dev_rows]
    dev_logits = predict_logits(model, tokenizer, dev_texts, max_length, "cpu")
    targets = multi_hot([row["labels"] for row in dev_rows], labels)
    temperature = fit_temperature(dev_logits, targets)
    thresholds = tune_thresholds(sigmoid(dev_logits / temperature), targets, labels)
    fp32_bytes = sum(p.numel() * 4 for p in model.state_dict().values())
    # fp16 storage halves the file; the loader always computes in fp32.
    if fp32_bytes > MAX_WEIGHTS_BYTES:
        model = model.half()
    model.save_pretrained(str(out))
    tokenizer.model_max_length = max_length
    tokenizer.save_pretrained(str(out))
    weights_hash = hashlib.sha256((out / WEIGHTS_FILE).read_bytes()).hexdigest()
    created = datetime.now(UTC)
    metadata: dict[str, Any] = {
        "version": f"pantau-{created:%Y%m%d}-{weights_hash[:8]}",
        "labels": labels,
        "exclusive_label": exclusive_label,
        "thresholds": thresholds,
        "temperature": temperature,
        "review_threshold": review_threshold,
        "max_length": max_length,
        "base_model": training["base_model"],
        "architecture": {
            key: getattr(model.config, key, None)
            for key in (
                "model_type",
                "vocab_size",
                "hidden_size",
                "num_hidden_layers",
                "num_attention_heads",
                "intermediate_size",
                "max_position_embeddings",
            )
        },
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "weights_dtype": "float16" if fp32_bytes > MAX_WEIGHTS_BYTES else "float32",
        "training": training,
        "seed": training["seed"],
        "data_fingerprint": data_fingerprint,
        "weights_sha256": weights_hash,
        "created_at": created.isoformat(timespec="seconds"),
        **extra_metadata,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    classifier = IssueClassifier.load(out, max_length=max_length)
    metrics = {"dev": evaluate_model_dir(classifier, dev_rows)}
    if test_rows:
        metrics["test"] = evaluate_model_dir(classifier, test_rows)
    calibrated = sigmoid(dev_logits / temperature)
    metrics["dev"]["calibration"] = {
        "temperature": temperature,
        "ece_before": expected_calibration_error(sigmoid(dev_logits), targets),
        "ece_after": expected_calibration_error(calibrated, targets),
    }
    metadata["int8"] = int8_calibration(out, dev_rows, max_length)
    metadata["metrics"] = metrics
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    metrics["precisions"] = precision_metrics(out, {"dev": dev_rows, "test": test_rows or []}, max_length)
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "README.md").write_text(render_model_card(metadata), encoding="utf-8")
    torch.cuda.empty_cache()
    return metadata


def int8_calibration(model_dir: Path, dev_rows: Sequence[dict], max_length: int) -> dict[str, Any]:
    """Temperature and per-label thresholds for the int8-quantised model, fitted on dev as the float32 ones are.

    Quantisation shifts the logits a little; thresholds tuned on float32 logits cost the int8 model about half a
    point of dev macro-F1, its own thresholds win it back.
    """
    classifier = IssueClassifier.load(model_dir, quantize=True, max_length=max_length)
    logits = classifier.logits([clean_text(row["text"]) for row in dev_rows])
    targets = multi_hot([row["labels"] for row in dev_rows], classifier.labels)
    temperature = fit_temperature(logits, targets)
    thresholds = tune_thresholds(sigmoid(logits / temperature), targets, classifier.labels)
    return {"temperature": temperature, "thresholds": thresholds, "fitted_on": f"dev ({len(dev_rows)} rows)"}


PRECISIONS = ("float32", "bfloat16", "int8")
SUMMARY_METRICS = ("macro_f1", "micro_f1", "primary_accuracy", "exact_match")


def precision_metrics(
    model_dir: Path, rows_by_split: dict[str, Sequence[dict]], max_length: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Headline metrics of the model computed in each precision, per split, and the share of posts whose label
    set differs from float32's: what choosing `classifier.precision` costs."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    reference: dict[str, list[list[str]]] = {}
    for precision in PRECISIONS:
        classifier = IssueClassifier.load(model_dir, precision=precision, max_length=max_length)
        results[precision] = {}
        for name, rows in rows_by_split.items():
            if not rows:
                continue
            predictions = classifier.predict([row["text"] for row in rows])
            label_sets = [sorted(p.labels) for p in predictions]
            reference.setdefault(name, label_sets)
            summary = {key: evaluate_model_dir(classifier, rows, predictions)[key] for key in SUMMARY_METRICS}
            changed = sum(a != b for a, b in zip(label_sets, reference[name], strict=True)) / len(rows)
            results[precision][name] = {**summary, "labels_changed_vs_float32": round(changed, 4)}
    return results


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> float:
    """ECE over all (row, label) probabilities, equal-width bins."""
    flat_p, flat_t = probs.ravel(), targets.ravel()
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in pairwise(edges):
        mask = (flat_p > low) & (flat_p <= high) if low > 0 else (flat_p >= low) & (flat_p <= high)
        if mask.any():
            error += mask.mean() * abs(flat_p[mask].mean() - flat_t[mask].mean())
    return round(float(error), 4)

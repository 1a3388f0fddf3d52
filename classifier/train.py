"""Fine-tune any Hugging Face checkpoint directory for multi-label issue classification.

The result is a complete model directory (weights, tokenizer, pantau.json, README.md) with per-label
thresholds and a temperature fitted on dev. Training is seeded and resumes from the last finished epoch
when it is run again with the same output directory.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
from transformers.utils import logging as hf_logging

from pantau.classifier.augment import noisy_variant
from pantau.classifier.calibration import decode, sigmoid
from pantau.classifier.metrics import macro_f1, multi_hot
from pantau.classifier.model import pad_batch
from pantau.classifier.text import clean_text

CHECKPOINT_DIR = "checkpoint"


def apply_gradients(model: Any, loss: Any, optimizer: Any, scheduler: Any) -> None:
    """One optimisation step shared by fine-tuning, pretraining and distillation: clipped at norm 1."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)


def data_fingerprint(train_rows: Sequence[dict], dev_rows: Sequence[dict]) -> str:
    """sha256 of the exact training and dev rows (text, labels, primary) in order."""
    digest = hashlib.sha256()
    for split, rows in (("train", train_rows), ("dev", dev_rows)):
        for row in rows:
            record = [split, row["text"], list(row["labels"]), row.get("primary") or row["labels"][0]]
            digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def _batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length rows: shuffle, sort within pools of 16 batches, shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 16
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def predict_logits(
    model: Any, tokenizer: Any, texts: Sequence[str], max_length: int, device: str, batch_size: int = 128
) -> np.ndarray:
    """Logits for cleaned texts in input order (length-sorted internally)."""
    model.eval()
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            rows = order[b : b + batch_size]
            input_ids, attention_mask = pad_batch([encoded[i] for i in rows], int(tokenizer.pad_token_id or 0))
            logits = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)).logits
            out[rows] = logits.float().cpu().numpy()
    return out


def decoded_macro_f1(
    logits: np.ndarray, targets: np.ndarray, labels: Sequence[str], exclusive_label: str | None
) -> float:
    """Dev macro-F1 at threshold 0.5 with the same decoding rule inference uses (early-stopping signal)."""
    probs = sigmoid(logits)
    predicted = [decode(row, labels, {}, exclusive_label)[0] for row in probs]
    return macro_f1(targets, multi_hot(predicted, labels))


def fine_tune(
    train_rows: Sequence[dict],
    dev_rows: Sequence[dict],
    labels: Sequence[str],
    exclusive_label: str | None,
    base_model: str | Path,
    output_dir: str | Path,
    *,
    seed: int = 13,
    epochs: int = 10,
    learning_rate: float = 1e-4,
    batch_size: int = 32,
    max_length: int = 128,
    patience: int = 3,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.1,
    augment_probability: float = 0.5,
    threads: int | None = None,
    test_rows: Sequence[dict] | None = None,
    review_threshold: float = 0.6,
    extra_metadata: dict[str, Any] | None = None,
    show_progress: bool = True,
) -> Path:
    """Fine-tune `base_model` on train rows, early-stop on dev macro-F1, calibrate, and write the model dir."""
    from pantau.classifier.export import export_model_dir

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = list(labels)
    if threads:
        torch.set_num_threads(threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    seed_everything(seed)
    rng = random.Random(seed)
    hf_logging.set_verbosity_error()
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base_model),
        num_labels=len(labels),
        problem_type="multi_label_classification",
        id2label=dict(enumerate(labels)),
        label2id={label: j for j, label in enumerate(labels)},
        ignore_mismatched_sizes=True,
        dtype=torch.float32,
    ).to(device)
    train_texts = [clean_text(row["text"]) for row in train_rows]
    dev_texts = [clean_text(row["text"]) for row in dev_rows]
    train_targets = multi_hot([row["labels"] for row in train_rows], labels)
    dev_targets = multi_hot([row["labels"] for row in dev_rows], labels)
    lengths = [len(t) for t in train_texts]
    steps_per_epoch = -(-len(train_texts) // batch_size)
    params = {
        "base_model": str(base_model), "seed": seed, "epochs": epochs, "learning_rate": learning_rate,
        "batch_size": batch_size, "max_length": max_length, "patience": patience,
        "weight_decay": weight_decay, "warmup_ratio": warmup_ratio,
        "augment_probability": augment_probability,
    }  # fmt: skip
    fingerprint = data_fingerprint(train_rows, dev_rows)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    total = steps_per_epoch * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * warmup_ratio), total)
    state = {"epoch": 0, "best_f1": -1.0, "best_epoch": 0, "bad_epochs": 0, "history": []}
    checkpoint = out / CHECKPOINT_DIR
    resume_key = hashlib.sha256(json.dumps([params, fingerprint, labels]).encode()).hexdigest()
    if (checkpoint / "state.pt").exists():
        saved = torch.load(checkpoint / "state.pt", weights_only=False, map_location=device)
        if saved.get("resume_key") == resume_key:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            rng.setstate(saved["rng"])
            torch.set_rng_state(saved["torch_rng"])
            state = saved["state"]
            print(f"resuming after epoch {state['epoch']} from {checkpoint}", file=sys.stderr)
        else:
            print(f"ignoring {checkpoint}: it belongs to other data or parameters", file=sys.stderr)
    checkpoint.mkdir(exist_ok=True)
    while state["epoch"] < epochs and state["bad_epochs"] < patience:
        model.train()
        epoch = state["epoch"] + 1
        running = []
        bar = tqdm(
            _batches(lengths, batch_size, rng),
            desc=f"epoch {epoch}/{epochs}",
            unit="batch",
            disable=not show_progress,
            mininterval=2,
        )
        for rows in bar:
            texts = [
                noisy_variant(train_texts[i], rng) if rng.random() < augment_probability else train_texts[i]
                for i in rows
            ]
            batch = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            target = torch.from_numpy(train_targets[rows]).to(device)
            loss = model(**batch.to(device), labels=target).loss
            apply_gradients(model, loss, optimizer, scheduler)
            running.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(running[-20:]):.4f}")
        dev_logits = predict_logits(model, tokenizer, dev_texts, max_length, device)
        dev_f1 = decoded_macro_f1(dev_logits, dev_targets, labels, exclusive_label)
        state["history"].append(
            {"epoch": epoch, "train_loss": round(float(np.mean(running)), 4), "dev_macro_f1": round(dev_f1, 4)}
        )
        improved = dev_f1 > state["best_f1"]
        if improved:
            state.update(best_f1=dev_f1, best_epoch=epoch, bad_epochs=0)
            torch.save(model.state_dict(), checkpoint / "best.pt")
        else:
            state["bad_epochs"] += 1
        state["epoch"] = epoch
        print(
            f"epoch {epoch}: train loss {np.mean(running):.4f}, dev macro-F1 {dev_f1:.4f}"
            f"{' (best)' if improved else ''}",
            file=sys.stderr,
        )
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng.getstate(),
                "torch_rng": torch.get_rng_state(),
                "state": state,
                "resume_key": resume_key,
            },
            checkpoint / "state.pt",
        )
    model.load_state_dict(torch.load(checkpoint / "best.pt", weights_only=True, map_location=device))
    model.to("cpu")
    training = {
        **params,
        "best_epoch": state["best_epoch"],
        "epochs_run": state["epoch"],
        "history": state["history"],
        "train_rows": len(train_rows),
        "dev_rows": len(dev_rows),
    }
    export_model_dir(
        model,
        tokenizer,
        out,
        labels=labels,
        exclusive_label=exclusive_label,
        dev_rows=dev_rows,
        test_rows=test_rows,
        training=training,
        data_fingerprint=fingerprint,
        max_length=max_length,
        review_threshold=review_threshold,
        extra_metadata=extra_metadata or {},
    )
    for leftover in checkpoint.iterdir():
        leftover.unlink()
    checkpoint.rmdir()
    return out

"""Load a model directory and classify posts: batched, length-sorted, calibrated, multi-label."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pantau.classifier.calibration import decode, sigmoid
from pantau.classifier.precision import Precision, PrecisionSetting, resolve_precision
from pantau.classifier.text import clean_text, is_blank

METADATA_FILE = "pantau.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer.model", "spm.model")
CHUNK_SIZE = 2048
"""Texts tokenised and sorted together; bounds memory when classifying 100,000 posts in one call."""


@dataclass(frozen=True)
class Prediction:
    labels: list[str]
    primary: str
    scores: dict[str, float]
    confidence: float
    needs_review: bool


class ModelLoadError(Exception):
    """A model directory that cannot be used; the message is one line for the user."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def read_metadata(model_dir: Path) -> dict[str, Any]:
    """Validate the directory's files and return its pantau.json; raises ModelLoadError."""
    if not model_dir.is_dir():
        raise ModelLoadError(f"model directory {model_dir} does not exist")
    for name in ("config.json", WEIGHTS_FILE, METADATA_FILE):
        if not (model_dir / name).is_file():
            raise ModelLoadError(f"model directory {model_dir} is missing {name}")
    if not any((model_dir / name).is_file() for name in TOKENIZER_FILES):
        raise ModelLoadError(f"model directory {model_dir} is missing its tokenizer (tokenizer.json)")
    try:
        metadata = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model directory {model_dir} is corrupt: {METADATA_FILE}: {_one_line(exc)}")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not labels or not isinstance(labels, list) or not all(isinstance(k, str) for k in labels):
        raise ModelLoadError(f"model directory {model_dir} is corrupt: {METADATA_FILE} has no label list")
    return metadata


def pad_batch(sequences: Sequence[Sequence[int]], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into input_ids and attention_mask tensors."""
    width = max(len(seq) for seq in sequences)
    input_ids = torch.full((len(sequences), width), pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attention_mask[row, : len(seq)] = 1
    return input_ids, attention_mask


class IssueClassifier:
    """A fine-tuned sequence-classification model plus its labels, thresholds and calibration."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        metadata: dict[str, Any],
        model_dir: Path,
        *,
        review_threshold: float,
        max_length: int,
        precision: Precision = "float32",
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.model_dir = model_dir
        self.labels: list[str] = list(metadata["labels"])
        self.version: str = str(metadata.get("version") or model_dir.name)
        self.exclusive_label: str | None = metadata.get("exclusive_label")
        self.precision = precision
        int8 = metadata.get("int8")
        calibration = int8 if precision == "int8" and isinstance(int8, dict) and int8.get("thresholds") else metadata
        self.thresholds: dict[str, float] = {k: float(v) for k, v in (calibration.get("thresholds") or {}).items()}
        self.temperature = float(calibration.get("temperature") or 1.0)
        self.review_threshold = review_threshold
        self.max_length = max_length
        self.pad_token_id = int(tokenizer.pad_token_id or 0)

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        *,
        threads: int | None = None,
        quantize: bool = False,
        precision: PrecisionSetting = "float32",
        review_threshold: float | None = None,
        max_length: int = 128,
    ) -> IssueClassifier:
        """Load a model directory. `precision` is auto, float32, bfloat16 or int8 (`quantize=True`: int8); int8 uses
        the temperature and thresholds fitted for it on dev (pantau.json's `int8`) where the directory has them."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        directory = Path(model_dir).expanduser().resolve()
        metadata = read_metadata(directory)
        if threads:
            torch.set_num_threads(threads)
        verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(directory))
            model = AutoModelForSequenceClassification.from_pretrained(str(directory), dtype=torch.float32)
        except Exception as exc:  # anything transformers raises on a broken directory
            raise ModelLoadError(f"model directory {directory} is corrupt: {_one_line(exc)}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        if model.config.num_labels != len(metadata["labels"]):
            raise ModelLoadError(
                f"model directory {directory} is corrupt: {model.config.num_labels} outputs for "
                f"{len(metadata['labels'])} labels in {METADATA_FILE}"
            )
        model.eval()
        resolved = resolve_precision(precision, quantize=quantize)
        if resolved == "int8":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        positions = getattr(model.config, "max_position_embeddings", max_length) or max_length
        review = review_threshold if review_threshold is not None else metadata.get("review_threshold", 0.6)
        return cls(
            model,
            tokenizer,
            metadata,
            directory,
            review_threshold=float(review),
            max_length=min(max_length, int(positions)),
            precision=resolved,
        )

    @classmethod
    def from_options(cls, model_dir: str | Path, options: Any) -> IssueClassifier:
        """Load with the `classifier:` section of the configuration (threads, precision, review threshold …)."""
        return cls.load(
            model_dir,
            threads=options.threads,
            quantize=options.quantize,
            precision=options.precision,
            review_threshold=options.review_threshold,
            max_length=options.max_length,
        )

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Raw logits (n x labels) for already-cleaned texts, in input order."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for start in range(0, len(texts), CHUNK_SIZE):
            chunk = list(texts[start : start + CHUNK_SIZE])
            encoded = self.tokenizer(chunk, truncation=True, max_length=self.max_length)["input_ids"]
            order = sorted(range(len(chunk)), key=lambda i: len(encoded[i]))
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.precision == "bfloat16"):
                for b in range(0, len(order), batch_size):
                    rows = order[b : b + batch_size]
                    input_ids, attention_mask = pad_batch([encoded[i] for i in rows], self.pad_token_id)
                    result = self.model(input_ids=input_ids, attention_mask=attention_mask)
                    out[[start + i for i in rows]] = result.logits.float().numpy()
        return out

    def scores(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Calibrated per-label probabilities for raw texts."""
        return sigmoid(self.logits([clean_text(t or "") for t in texts], batch_size) / self.temperature)

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        cleaned = [clean_text(t if isinstance(t, str) else "") for t in texts]
        probabilities = sigmoid(self.logits(cleaned, batch_size) / self.temperature)
        predictions = []
        for text, row in zip(cleaned, probabilities, strict=True):
            labels, primary = decode(row, self.labels, self.thresholds, self.exclusive_label)
            blank = is_blank(text)
            if not text.strip() and self.exclusive_label:
                labels, primary = [self.exclusive_label], self.exclusive_label
            scores = {label: round(float(p), 4) for label, p in zip(self.labels, row, strict=True)}
            confidence = scores[primary]
            predictions.append(
                Prediction(labels, primary, scores, confidence, blank or confidence < self.review_threshold)
            )
        return predictions

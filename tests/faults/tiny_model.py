"""A tiny, randomly initialised classifier directory that loads like the shipped model (no training)."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_TEXTS = [
    "gak bisa login JMO, OTP gak masuk",
    "klaim JHT belum cair sebulan",
    "aplikasi force close setelah update",
    "server down dari pagi",
    "call center gak diangkat",
    "terima kasih, prosesnya cepat",
    "verifikasi wajah gagal terus",
    "tampilan baru bikin bingung",
] * 10


def build_tiny_model(directory: Path, labels: list[str], *, version: str = "tiny-random-1") -> Path:
    """config.json, model.safetensors, tokenizer and pantau.json; hidden size 32, two layers."""
    from transformers import BertConfig, BertForSequenceClassification

    from pantau.classifier.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(SAMPLE_TEXTS, directory, vocab_size=200, model_max_length=64)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
        num_labels=len(labels), problem_type="multi_label_classification",
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(directory)
    metadata = {"labels": labels, "version": version, "exclusive_label": labels[-1], "review_threshold": 0.6}
    (directory / "pantau.json").write_text(json.dumps(metadata), encoding="utf-8")
    return directory

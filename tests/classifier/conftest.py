"""Fixtures for classifier tests: the shipped model, the taxonomy, and tiny random checkpoints built on disk."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from pantau.classifier.model import IssueClassifier
from pantau.classifier.taxonomy import Taxonomy, load_taxonomy
from pantau.core.config import DEFAULT_MODEL_DIR

SERVICES = ["JMO", "Mobile JKN", "PLN Mobile", "Coretax", "M-Paspor", "KAI Access"]
PROBLEMS = {
    "account_access": ["OTP gak masuk2 udh sejam", "gak bisa login, akun kekunci", "reset PIN gagal terus"],
    "verification_data": ["verifikasi wajah gagal mulu", "NIK tidak sesuai dukcapil", "saldo JHT belum update"],
    "claims_payments": [
        "klaim JHT belum cair sebulan",
        "bayar tagihan gagal tapi saldo kepotong",
        "refund belum masuk",
    ],
    "app_error": ["aplikasinya force close pas dibuka", "muncul error 500 terus", "tombol kirim gak berfungsi"],
    "outage_performance": ["server down dari pagi", "loading muter2 doang", "lemot banget servernya sibuk"],
    "customer_service": ["CS gak bales DM", "call center gak diangkat", "disuruh ke kantor cabang aja"],
    "other_complaint": ["menunya membingungkan", "fiturnya gak ada", "banyak penipuan atas nama"],
    "not_complaint": ["cara daftar gimana ya?", "terima kasih, prosesnya cepat", "info pengumuman terbaru"],
}


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def shipped_model() -> IssueClassifier:
    return IssueClassifier.load(DEFAULT_MODEL_DIR, threads=2)


def synthetic_rows(count: int, seed: int, labels: list[str]) -> list[dict]:
    """Labelled rows assembled from short phrases; enough signal for a tiny model to learn something."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = labels[i % len(labels)]
        phrase = rng.choice(PROBLEMS.get(label, ["tentang " + label.replace("_", " ")]))
        rows.append({"text": f"{rng.choice(SERVICES)} {phrase}", "labels": [label], "primary": label})
    return rows


@pytest.fixture(scope="session")
def make_rows() -> Callable[..., list[dict]]:
    return synthetic_rows


@pytest.fixture
def tiny_checkpoint(tmp_path: Path, taxonomy: Taxonomy) -> Path:
    """A randomly initialised BERT (hidden 32, 2 layers) with its own tiny WordPiece tokenizer, on disk."""
    from transformers import BertConfig, BertForSequenceClassification

    from pantau.classifier.tokenizer import train_tokenizer

    directory = tmp_path / "tiny-bert"
    texts = [row["text"] for row in synthetic_rows(200, 1, taxonomy.labels)]
    tokenizer = train_tokenizer(texts, directory, vocab_size=300, model_max_length=64)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(directory)
    return directory

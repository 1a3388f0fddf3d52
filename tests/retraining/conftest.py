"""Fixtures for the retraining loop: a four-label taxonomy, tiny BERT models (a good one and a random
one, built once per session), configs that treat the random model as the shipped default, and helpers
that store and classify posts."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.core.config import Settings, load_settings
from pantau.storage.classifications import pending_posts, record_verdicts
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import Post
from pantau.storage.posts import upsert_posts
from support import Verdict, write_config

LABELS = ["login", "payment", "outage", "not_complaint"]
TAXONOMY = [
    {"key": "login", "display": "Akses & akun"},
    {"key": "payment", "display": "Klaim & pembayaran"},
    {"key": "outage", "display": "Gangguan & lambat"},
    {"key": "not_complaint", "display": "Bukan keluhan", "exclusive": True},
]
SERVICES = ["JMO", "Mobile JKN", "PLN Mobile", "Coretax", "M-Paspor", "KAI Access", "Samsat", "IKD"]
PHRASES = {
    "login": ["OTP gak masuk2 udh sejam", "gak bisa login, akun kekunci", "reset PIN gagal terus"],
    "payment": ["klaim JHT belum cair sebulan", "bayar tagihan gagal tapi saldo kepotong", "refund belum masuk"],
    "outage": ["server down dari pagi", "loading muter2 doang", "lemot banget servernya sibuk"],
    "not_complaint": ["cara daftar gimana ya?", "terima kasih, prosesnya cepat", "info pengumuman terbaru"],
}
TAILS = ["", " min", " kak", " tolong", " 🙏", " parah", " hadeh", " @cs_resmi"]


def _tag(number: int) -> str:
    """A letters-only tag (digits fold together in dedup keys), unique per number."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
        if not number:
            return "t" + letters


def labelled_rows(count: int, seed: int) -> list[dict]:
    """Demo-like posts with their true labels, cycling through the taxonomy."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = LABELS[i % len(LABELS)]
        text = f"{rng.choice(SERVICES)} {rng.choice(PHRASES[label])}{rng.choice(TAILS)} #{_tag(seed * 1000 + i)}"
        rows.append({"text": text, "labels": [label], "primary": label})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@dataclass
class TinyModels:
    pretrained: Path
    """A tiny BERT already trained on the phrases: fine-tuning it gives a near-perfect model."""
    random: Path
    """The same architecture, randomly initialised."""
    good: Path
    bad: Path
    corpus: Path
    """A small labelled corpus (train/dev/test) in the four-label taxonomy."""
    worse: Path
    """Trained from the random checkpoint on shuffled labels: clearly worse than `good`."""


def _tiny_checkpoints(directory: Path) -> tuple[Path, Path]:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from pantau.classifier.metrics import multi_hot
    from pantau.classifier.tokenizer import train_tokenizer

    pretrained, untrained = directory / "pretrained", directory / "random"
    rows = labelled_rows(96, seed=2)
    tokenizer = train_tokenizer([r["text"] for r in labelled_rows(200, 1)], pretrained, vocab_size=200,
                                model_max_length=32)  # fmt: skip
    tokenizer.save_pretrained(str(untrained))
    # initializer_range 0.2: with BERT's default 0.02 a model this small barely moves in a few hundred steps.
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=32, pad_token_id=tokenizer.pad_token_id, initializer_range=0.2,
        num_labels=len(LABELS), problem_type="multi_label_classification",
    )  # fmt: skip
    torch.manual_seed(0)
    torch.set_num_threads(1)  # the test machine's cores are shared; more threads only contend
    BertForSequenceClassification(config).save_pretrained(untrained)
    model = BertForSequenceClassification(config)
    encoded = tokenizer([r["text"] for r in rows], padding=True, truncation=True, max_length=32, return_tensors="pt")
    targets = torch.tensor(multi_hot([r["labels"] for r in rows], LABELS))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(100):
        batch = torch.randint(0, len(rows), (16,), generator=generator)
        loss = model(
            input_ids=encoded["input_ids"][batch],
            attention_mask=encoded["attention_mask"][batch],
            labels=targets[batch],
        ).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(pretrained)
    return pretrained, untrained


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    from pantau.classifier.train import fine_tune

    directory = tmp_path_factory.mktemp("tiny-models")
    pretrained, untrained = _tiny_checkpoints(directory)
    splits = {"train": labelled_rows(64, 12), "dev": labelled_rows(16, 13), "test": labelled_rows(32, 14)}
    corpus = write_jsonl(
        directory / "corpus.jsonl",
        [{**row, "provenance": f"written:test:{split}:{i}", "split": split}
         for split, rows in splits.items() for i, row in enumerate(rows)],
    )  # fmt: skip
    options = {"seed": 7, "epochs": 1, "batch_size": 16, "max_length": 32, "patience": 1, "threads": 1,
               "show_progress": False, "test_rows": splits["test"]}  # fmt: skip
    good = fine_tune(splits["train"], splits["dev"], LABELS, "not_complaint", pretrained, directory / "good",
                     learning_rate=1e-3, **options)  # fmt: skip
    bad = fine_tune(splits["train"], splits["dev"], LABELS, "not_complaint", untrained, directory / "bad",
                    learning_rate=0.0, **options)  # fmt: skip
    wrong = random.Random(5).sample(LABELS * 16, 64)
    shuffled = [{**row, "labels": [label], "primary": label} for row, label in zip(splits["train"], wrong, strict=True)]
    worse = fine_tune(shuffled, splits["dev"], LABELS, "not_complaint", untrained, directory / "worse",
                      learning_rate=1e-3, **options)  # fmt: skip
    return TinyModels(pretrained, untrained, good, bad, corpus, worse)


def configure(directory: Path, url: str, models: TinyModels, monkeypatch: pytest.MonkeyPatch, **overrides) -> Path:  # type: ignore[no-untyped-def]
    """A config whose taxonomy is the four test labels and whose shipped model is the random one."""
    # The random "current" model may fire one label on every post (recall 1.0 there); a tolerance of 0.15
    # keeps the good candidate promotable whatever the random start, and the worse one still fails on macro-F1.
    classifier = {
        "model_dir": str(models.bad),
        "threads": 1,
        "promotion_tolerance": 0.15,
        **overrides.pop("classifier", {}),
    }
    path = write_config(directory, url, taxonomy=TAXONOMY, classifier=classifier, **overrides)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(document.get("sla"), dict):  # per-type settings name the shipped taxonomy's keys
        document["sla"]["targets"] = {"outage": {"acknowledge_minutes": 30, "resolve_minutes": 240}}
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def rt_configure(
    tmp_path: Path, database_url: str, tiny_models: TinyModels, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    """configure(**overrides) for this test's database (SQLite and PostgreSQL)."""
    return lambda **overrides: configure(tmp_path, database_url, tiny_models, monkeypatch, **overrides)


@pytest.fixture
def rt_sqlite_configure(
    tmp_path: Path, sqlite_url: str, tiny_models: TinyModels, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    """configure(**overrides) on SQLite only (for the slow end-to-end run)."""
    return lambda **overrides: configure(tmp_path, sqlite_url, tiny_models, monkeypatch, **overrides)


@pytest.fixture
def rt_config(rt_configure: Callable[..., Path]) -> Path:
    return rt_configure()


@pytest.fixture
def rt_settings(rt_config: Path) -> Settings:
    return load_settings(rt_config)


@pytest.fixture
def rt_engine(rt_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(rt_settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def verdict(scores: dict[str, float], review_threshold: float = 0.6) -> Verdict:
    """A model verdict from label scores (labels at or above 0.5, else the best one)."""
    chosen = [label for label, score in sorted(scores.items(), key=lambda kv: -kv[1]) if score >= 0.5]
    chosen = chosen or [max(scores, key=scores.__getitem__)]
    confidence = scores[chosen[0]]
    return Verdict(chosen, chosen[0], confidence, confidence < review_threshold, scores)


StorePosts = Callable[..., list[int]]


@pytest.fixture
def store_posts() -> StorePosts:
    """store_posts(engine, [(text, created_at, scores | None)], version="m-1") -> post ids in input order;
    posts with scores get a classification by `version`."""

    def store(
        engine: Engine, items: list[tuple[str, datetime, dict[str, float] | None]], version: str = "m-1"
    ) -> list[int]:
        with Session(engine) as session:
            rows = [
                prepare_post("demo", RawPost(external_id=f"p{i}-{text[:20]}", text=text, created_at=moment))
                for i, (text, moment, _) in enumerate(items)
            ]
            upsert_posts(session, rows)
            session.commit()
            ids = dict(session.execute(select(Post.external_id, Post.id)).all())
            post_ids = [ids[row["external_id"]] for row in rows]
            pending = {p.id: p for p in pending_posts(session, limit=100_000)}
            scored = [(pending[pid], verdict(s)) for pid, (_, _, s) in zip(post_ids, items, strict=True)
                      if s is not None and pid in pending]  # fmt: skip
            if scored:
                record_verdicts(session, [p for p, _ in scored], [v for _, v in scored], version)
            session.commit()
        return post_ids

    return store


@pytest.fixture
def make_rows() -> Callable[[int, int], list[dict]]:
    return labelled_rows

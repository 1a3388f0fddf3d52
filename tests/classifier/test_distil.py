"""Distillation: FFN pruning keeps the important neurons, targets mix gold and teacher, the student ships."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from pantau.classifier import distil as distil_module
from pantau.classifier.distil import (
    DistilParams,
    distil,
    distil_data,
    drop_layers,
    dropped_posts,
    prune_ffn,
    spliced_posts,
)
from pantau.classifier.model import IssueClassifier
from pantau.classifier.taxonomy import Taxonomy
from pantau.classifier.train import fine_tune


def tiny_bert(layers: int = 3) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=16, num_labels=3,
    )  # fmt: skip
    return BertForSequenceClassification(config).eval()


def logits_of(model: BertForSequenceClassification) -> torch.Tensor:
    ids = torch.tensor([[1, 5, 9, 13, 2], [1, 7, 2, 0, 0]])
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=(ids > 0).long()).logits


def test_pruning_away_dead_neurons_leaves_the_outputs_unchanged() -> None:
    model = tiny_bert()
    with torch.no_grad():
        for layer in model.bert.encoder.layer:
            layer.intermediate.dense.weight[:16] = 0.0
            layer.output.dense.weight[:, :16] = 0.0
    before = logits_of(model)
    prune_ffn(model, 48)
    assert model.config.intermediate_size == 48
    for layer in model.bert.encoder.layer:
        assert layer.intermediate.dense.weight.shape == (48, 32)
        assert layer.output.dense.weight.shape == (32, 48)
    assert torch.allclose(logits_of(model), before, atol=1e-5)


def test_pruning_to_the_current_size_is_a_no_op() -> None:
    model = tiny_bert()
    before = logits_of(model)
    prune_ffn(model, 64)
    assert torch.equal(logits_of(model), before)


def test_dropping_layers_keeps_the_last_one() -> None:
    model = tiny_bert(layers=4)
    last = model.bert.encoder.layer[-1]
    drop_layers(model, 3)
    assert len(model.bert.encoder.layer) == 3 == model.config.num_hidden_layers
    assert model.bert.encoder.layer[-1] is last
    assert logits_of(model).shape == (2, 3)


def test_train_targets_mix_gold_and_teacher_and_unlabelled_are_teacher_only() -> None:
    gold = np.array([[1.0, 0.0]], dtype=np.float32)
    soft = np.array([[0.6, 0.2]], dtype=np.float32)
    unlabelled_soft = np.array([[0.3, 0.9]], dtype=np.float32)
    params = DistilParams(gold_weight=0.5, unlabelled_copies=2)
    data = distil_data(["a"], gold, soft, ["u"], unlabelled_soft, params)
    assert data.texts == ["a", "u", "u"]
    assert np.allclose(data.targets, [[0.8, 0.1], [0.3, 0.9], [0.3, 0.9]])
    assert (data.train_rows, data.unlabelled_rows) == (1, 1)


def test_spliced_and_shortened_posts_follow_with_teacher_targets_only() -> None:
    gold = np.array([[1.0, 0.0]], dtype=np.float32)
    soft = np.array([[0.6, 0.2]], dtype=np.float32)
    params = DistilParams(gold_weight=0.5, unlabelled_copies=1)
    spliced = (["s1"], np.array([[0.1, 0.7]], dtype=np.float32))
    dropped = (["d1", "d2"], np.array([[0.9, 0.0], [0.4, 0.4]], dtype=np.float32))
    data = distil_data(["a"], gold, soft, ["u"], np.array([[0.3, 0.9]], dtype=np.float32), params, spliced, dropped)
    assert data.texts == ["a", "u", "s1", "d1", "d2"]
    assert np.allclose(data.targets[2:], [[0.1, 0.7], [0.9, 0.0], [0.4, 0.4]])
    assert (data.spliced_rows, data.dropped_rows) == (1, 2)
    empty = distil_data(["a"], gold, soft, [], np.zeros((0, 2), dtype=np.float32), params, ([], np.zeros((0, 2))))
    assert empty.texts == ["a"] and empty.spliced_rows == 0


def test_spliced_posts_join_the_start_of_one_train_post_to_the_end_of_another() -> None:
    train = ["otp gak masuk dari pagi", "klaim jht belum cair juga", "server down lagi min", "cs gak bales dm"]
    posts = spliced_posts(train, 20, seed=3)
    assert posts == spliced_posts(train, 20, seed=3) != spliced_posts(train, 20, seed=4)
    assert len(posts) == 20
    for post in posts:
        words = post.split()
        assert any(
            words[:cut] == first.split()[:cut] and words[cut:] and second.split()[-len(words[cut:]) :] == words[cut:]
            for first in train
            for second in train
            if first != second
            for cut in range(1, len(first.split()) + 1)
        ), post


def test_dropped_posts_are_shorter_copies_of_train_posts_in_their_word_order() -> None:
    train = ["otp gak masuk dari pagi sampai sore", "klaim jht belum cair juga udah sebulan", "cs gak bales dm", "ok"]
    posts = dropped_posts(train, copies=3, word_drop=0.3, seed=3)
    assert posts == dropped_posts(train, copies=3, word_drop=0.3, seed=3) != dropped_posts(train, 3, 0.3, seed=4)
    assert 0 < len(posts) <= 9, "three copies of each post with 3+ words, minus copies equal to the original"
    for post in posts:
        words = post.split()
        source = next(t.split() for t in train if all(w in t.split() for w in words))
        assert 0 < len(words) < len(source)
        positions = [source.index(w) for w in words]
        assert positions == sorted(positions), "words keep their order"
    assert "ok" not in posts


@pytest.mark.slow
def test_tiny_teacher_distils_into_a_smaller_loadable_student(
    tiny_checkpoint: Path,
    tmp_path: Path,
    taxonomy: Taxonomy,
    make_rows: Callable[..., list[dict]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    split = {
        "train": make_rows(40, seed=2, labels=taxonomy.labels),
        "dev": make_rows(16, seed=3, labels=taxonomy.labels),
        "test": make_rows(16, seed=4, labels=taxonomy.labels),
    }
    teacher = fine_tune(
        split["train"], split["dev"], taxonomy.labels, taxonomy.exclusive_label, tiny_checkpoint,
        tmp_path / "teacher", epochs=1, batch_size=8, max_length=64, show_progress=False,
    )  # fmt: skip
    seen: list[list[str]] = []

    def pool(train_texts: list[str], held_out: list[str]) -> list[str]:
        seen.append(held_out)
        return ["server down lagi min", "makasih infonya"]

    monkeypatch.setattr(distil_module, "unlabelled_pool", pool)
    second = fine_tune(
        split["train"], split["dev"], taxonomy.labels, taxonomy.exclusive_label, tiny_checkpoint,
        tmp_path / "teacher-2", epochs=1, batch_size=8, max_length=64, show_progress=False, seed=5,
    )  # fmt: skip
    params = DistilParams(intermediate_size=32, epochs=1, batch_size=8, max_length=64, mixed_posts=6, dropped_copies=1)
    metadata = distil(
        split, taxonomy.labels, taxonomy.exclusive_label, teacher, tmp_path / "student", params, {"reproduce": "x"},
        extra_teachers=[second],
    )  # fmt: skip
    assert len(seen[0]) == 32, "dev and test texts are excluded from the unlabelled pool"
    assert metadata["architecture"]["intermediate_size"] == 32
    assert metadata["training"]["unlabelled_rows"] == 2 and metadata["training"]["spliced_rows"] == 6
    assert metadata["training"]["dropped_rows"] > 0
    assert len(metadata["distillation"]["teacher_seeds"]) == 2
    assert {"dev", "test"} <= set(metadata["metrics"])
    card = (tmp_path / "student" / "README.md").read_text(encoding="utf-8")
    assert "## Distillation" in card
    saved = json.loads((tmp_path / "student" / "pantau.json").read_text(encoding="utf-8"))
    assert saved["distillation"]["teacher_f1"]["dev"] >= 0.0
    student = IssueClassifier.load(tmp_path / "student")
    assert student.model.config.intermediate_size == 32
    assert all(set(p.labels) <= set(taxonomy.labels) for p in student.predict(["OTP gak masuk", ""]))

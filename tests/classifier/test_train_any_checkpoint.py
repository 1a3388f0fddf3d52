"""Any Hugging Face checkpoint directory fine-tunes into a loadable, calibrated model directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pantau.classifier import train as train_module
from pantau.classifier.model import IssueClassifier
from pantau.classifier.taxonomy import Taxonomy
from pantau.classifier.train import fine_tune


@pytest.mark.slow
def test_tiny_random_bert_fine_tunes_into_a_model_directory(
    tiny_checkpoint: Path, tmp_path: Path, taxonomy: Taxonomy, make_rows: Callable[..., list[dict]]
) -> None:
    train = make_rows(40, seed=2, labels=taxonomy.labels)
    dev = make_rows(16, seed=3, labels=taxonomy.labels)
    test = make_rows(16, seed=4, labels=taxonomy.labels)
    output = fine_tune(
        train, dev, taxonomy.labels, taxonomy.exclusive_label, tiny_checkpoint, tmp_path / "out",
        seed=7, epochs=1, learning_rate=1e-3, batch_size=8, max_length=64, patience=2, test_rows=test,
        show_progress=False,
    )  # fmt: skip
    metadata = json.loads((output / "pantau.json").read_text(encoding="utf-8"))
    assert metadata["labels"] == taxonomy.labels
    assert set(metadata["thresholds"]) == set(taxonomy.labels)
    assert metadata["temperature"] > 0
    assert metadata["base_model"] == str(tiny_checkpoint)
    assert metadata["training"]["epochs_run"] == 1
    assert len(metadata["data_fingerprint"]) == 64
    assert {"dev", "test"} <= set(metadata["metrics"])
    assert 0.0 <= metadata["metrics"]["test"]["macro_f1"] <= 1.0
    assert set(metadata["int8"]["thresholds"]) == set(taxonomy.labels) and metadata["int8"]["temperature"] > 0
    assert set(metadata["metrics"]["precisions"]) == {"float32", "bfloat16", "int8"}
    assert metadata["metrics"]["precisions"]["float32"]["test"]["labels_changed_vs_float32"] == 0.0
    assert "Metrics by precision" in (output / "README.md").read_text(encoding="utf-8")
    assert (output / "README.md").is_file()
    assert not (output / "checkpoint").exists()
    model = IssueClassifier.load(output)
    predictions = model.predict(["OTP gak masuk", "", "server down"])
    assert all(set(p.labels) <= set(taxonomy.labels) for p in predictions)


@pytest.mark.slow
def test_interrupted_training_resumes_from_the_last_epoch(
    tiny_checkpoint: Path,
    tmp_path: Path,
    taxonomy: Taxonomy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_rows: Callable[..., list[dict]],
) -> None:
    train = make_rows(24, seed=5, labels=taxonomy.labels)
    dev = make_rows(8, seed=6, labels=taxonomy.labels)
    arguments = (train, dev, taxonomy.labels, taxonomy.exclusive_label, tiny_checkpoint, tmp_path / "out")
    options = {"epochs": 1, "batch_size": 8, "max_length": 64, "show_progress": False}

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("pantau.classifier.export.export_model_dir", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fine_tune(*arguments, **options)
    assert (tmp_path / "out" / "checkpoint" / "state.pt").is_file()
    monkeypatch.undo()
    calls = []
    real_batches = train_module._batches
    monkeypatch.setattr(train_module, "_batches", lambda *a: calls.append(1) or real_batches(*a))
    fine_tune(*arguments, **options)
    assert "resuming after epoch 1" in capsys.readouterr().err
    assert not calls, "the finished epoch is not trained again"
    assert json.loads((tmp_path / "out" / "pantau.json").read_text(encoding="utf-8"))["training"]["epochs_run"] == 1


@pytest.mark.slow
def test_a_rebuild_reuses_the_teacher_only_for_the_same_inputs(
    tiny_checkpoint: Path, tmp_path: Path, taxonomy: Taxonomy, make_rows: Callable[..., list[dict]]
) -> None:
    from pantau.classifier.build_default import teacher_stage

    split = {name: make_rows(16, seed=seed, labels=taxonomy.labels) for name, seed in (("train", 8), ("dev", 9))}
    out = tmp_path / "work" / "finetune"
    out.parent.mkdir()
    options = {"epochs": 1, "batch_size": 8, "max_length": 64, "show_progress": False, "threads": 1}

    def weights_written_at() -> int:
        return (out / "model.safetensors").stat().st_mtime_ns

    teacher_stage(split, taxonomy, tiny_checkpoint, out, 7, options, {})
    first = weights_written_at()
    teacher_stage(split, taxonomy, tiny_checkpoint, out, 7, {**options, "threads": 2}, {})
    assert weights_written_at() == first
    teacher_stage(split, taxonomy, tiny_checkpoint, out, 7, {**options, "learning_rate": 5e-4}, {})
    assert weights_written_at() != first

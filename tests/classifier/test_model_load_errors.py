"""A broken model directory fails to load with one human line, never a traceback wall."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pantau.classifier.model import IssueClassifier, ModelLoadError
from pantau.core.config import DEFAULT_MODEL_DIR


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, target)
    return target


def load_error(directory: Path) -> str:
    with pytest.raises(ModelLoadError) as caught:
        IssueClassifier.load(directory)
    message = str(caught.value)
    assert "\n" not in message
    assert str(directory) in message
    return message


def test_missing_directory(tmp_path: Path) -> None:
    assert "does not exist" in load_error(tmp_path / "nowhere")


def test_missing_weights(model_copy: Path) -> None:
    (model_copy / "model.safetensors").unlink()
    assert load_error(model_copy).endswith("is missing model.safetensors")


def test_missing_tokenizer(model_copy: Path) -> None:
    (model_copy / "tokenizer.json").unlink()
    assert "missing its tokenizer" in load_error(model_copy)


def test_truncated_weights_are_reported_as_corrupt(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    assert "is corrupt:" in load_error(model_copy)


def test_garbage_weights_are_reported_as_corrupt(model_copy: Path) -> None:
    (model_copy / "model.safetensors").write_bytes(b"not a safetensors file at all")
    assert "is corrupt:" in load_error(model_copy)


def test_invalid_metadata_is_reported_as_corrupt(model_copy: Path) -> None:
    (model_copy / "pantau.json").write_text("{not json", encoding="utf-8")
    assert "is corrupt: pantau.json" in load_error(model_copy)


def test_label_count_mismatch_is_reported(model_copy: Path) -> None:
    metadata = (model_copy / "pantau.json").read_text(encoding="utf-8")
    (model_copy / "pantau.json").write_text(
        metadata.replace('"labels": [', '"labels": ["extra_label", ', 1), encoding="utf-8"
    )
    assert "outputs for" in load_error(model_copy)

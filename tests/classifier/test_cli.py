"""`pantau evaluate` and `pantau train` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pantau.classifier.precision import resolve_precision
from pantau.classifier.taxonomy import Taxonomy
from pantau.cli.main import app


def write_corpus(path: Path, splits: dict[str, list[dict]]) -> Path:
    lines = [json.dumps({**row, "split": split}) for split, rows in splits.items() for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_corpus(tmp_path: Path, taxonomy: Taxonomy, make_rows: Callable[..., list[dict]]) -> Path:
    return write_corpus(
        tmp_path / "corpus.jsonl",
        {
            "train": make_rows(64, seed=11, labels=taxonomy.labels),
            "dev": make_rows(24, seed=12, labels=taxonomy.labels),
            "test": make_rows(24, seed=13, labels=taxonomy.labels),
        },
    )


def test_evaluate_writes_json_markdown_and_png_beside_the_baseline(small_corpus: Path, tmp_path: Path) -> None:
    output = tmp_path / "eval"
    result = CliRunner().invoke(
        app,
        ["evaluate", "--data", str(small_corpus), "--output-dir", str(output), "--format", "json",
         "--baseline-corpus", str(small_corpus)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((output / "evaluation.json").read_text(encoding="utf-8"))
    assert report["model"]["rows"] == 24
    for side in ("model", "baseline"):
        assert 0 <= report[side]["macro_f1"] <= 1
        assert set(report[side]["per_label"]) == set(report["model"]["confusion_matrix"]["labels"])
    assert (output / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    markdown = (output / "evaluation.md").read_text(encoding="utf-8")
    assert "| macro-F1 |" in markdown
    assert report["precision"] == resolve_precision("auto") and f"Computed in {report['precision']}" in markdown
    gap = report["model_vs_baseline"]
    assert abs(gap["difference"] - (report["model"]["macro_f1"] - report["baseline"]["macro_f1"])) < 2e-4
    assert gap["low"] <= gap["difference"] <= gap["high"] and "paired bootstrap" in markdown


CHALLENGE_ROW = '{"text": "OTP ga masuk", "labels": ["account_access"], "split": "challenge"}'


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "halo"}', "evaluation.jsonl:1: expected"),
        (CHALLENGE_ROW, "no rows in split 'test' (it has: challenge)"),
    ],
)
def test_evaluate_rejects_a_file_it_cannot_score_in_one_line(tmp_path: Path, line: str, reason: str) -> None:
    data = tmp_path / "evaluation.jsonl"
    data.write_text(line + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--no-baseline"])
    assert result.exit_code == 2
    assert reason in result.output


def test_evaluate_scores_the_split_it_is_asked_for(tmp_path: Path) -> None:
    data = tmp_path / "challenge.jsonl"
    data.write_text(CHALLENGE_ROW + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--no-baseline", "--split", "challenge"])
    assert result.exit_code == 0, result.output
    assert "1 rows" in result.output


@pytest.mark.slow
def test_train_fine_tunes_the_given_checkpoint(small_corpus: Path, tiny_checkpoint: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"
    result = CliRunner().invoke(
        app,
        ["train", "--data", str(small_corpus), "--base-model", str(tiny_checkpoint), "--output", str(output),
         "--epochs", "1", "--seed", "3", "--batch-size", "16"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (output / "model.safetensors").is_file()
    metadata = json.loads((output / "pantau.json").read_text(encoding="utf-8"))
    assert metadata["seed"] == 3 and "test" in metadata["metrics"]
    assert "test macro-F1 by precision: float32 " in result.output and ", int8 " in result.output


def test_train_refuses_a_directory_that_is_not_a_checkpoint(small_corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--data", str(small_corpus), "--base-model", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a Hugging Face checkpoint directory" in result.output

"""`build_default --refresh-card` re-scores a model beside the TF-IDF baseline, challenge set included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pantau.classifier.build_default import main
from pantau.core.config import DEFAULT_MODEL_DIR

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus" / "corpus.jsonl"


def test_refresh_card_scores_every_held_out_split(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    picked = [r for r in rows if r["split"] == "train"][:600]
    picked += [r for r in rows if r["split"] == "dev"][:150] + [r for r in rows if r["split"] == "test"][:60]
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    challenge = [
        {"text": "OTP JMO ga nongol2 dari tadi pagi", "labels": ["account_access"]},
        {"text": "server coretax down lagi, loading muter terus", "labels": ["outage_performance"]},
        {"text": "selamat ulang tahun kak, semoga sehat selalu", "labels": ["not_complaint"]},
    ]
    (corpus_dir / "challenge.jsonl").write_text(
        "".join(json.dumps({**r, "primary": r["labels"][0], "split": "challenge"}) + "\n" for r in challenge),
        encoding="utf-8",
    )
    # Two test posts whose labels adjudication changed: the card also scores the labels as first written.
    adjudicated = [r for r in picked if r["split"] == "test" and r["labels"] != ["not_complaint"]][:2]
    records = []
    for row in adjudicated:
        first = {"labels": row["labels"], "primary": row["primary"]}
        row["labels"], row["primary"] = ["not_complaint"], "not_complaint"
        final = {"labels": row["labels"], "primary": row["primary"]}
        records.append({"text": row["text"], "first": first, "second": final, "final": final, "decided": "adjudicated"})
    (corpus_dir / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    (corpus_dir / "adjudication.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    model_dir = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model_dir)
    weights = (model_dir / "model.safetensors").read_bytes()

    args = ["--refresh-card", "--skip-corpus", "--corpus-dir", str(corpus_dir), "--output", str(model_dir)]
    assert main(args) == 0

    metadata = json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))
    metrics = metadata["metrics"]
    assert set(metrics["baseline_tfidf"]) == set(metrics["model_vs_baseline"]) == {"dev", "test", "challenge"}
    support = {label: scores["support"] for label, scores in metrics["challenge"]["per_label"].items()}
    assert {label for label, count in support.items() if count} == {
        "account_access",
        "outage_performance",
        "not_complaint",
    }
    gap = metrics["model_vs_baseline"]["test"]
    assert gap["low"] <= gap["difference"] <= gap["high"]
    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert "| metric | dev | test | challenge | TF-IDF baseline dev |" in card
    assert "challenge macro-F1" in card and "95% bootstrap interval" in card
    assert sum(note.startswith("Against the TF-IDF") for note in metadata["notes"]) == 1
    assert "3 posts written apart from the corpus" in card
    assert (model_dir / "model.safetensors").read_bytes() == weights
    first_written = metadata["metrics_as_first_written"]
    assert set(first_written) == {"test"} and first_written["test"]["changed_rows"] == 2
    assert first_written["test"]["low"] <= first_written["test"]["difference"] <= first_written["test"]["high"]
    assert "On the labels as first written, before second annotation and adjudication: test (2 posts'" in card

    assert main(args) == 0
    notes = json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))["notes"]
    assert sum(note.startswith("On the labels as first written") for note in notes) == 1

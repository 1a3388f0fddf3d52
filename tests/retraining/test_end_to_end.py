"""The issue's "Done when", end to end through the CLI with tiny models: import 100 label corrections,
train a candidate, promotion refuses a worse one and accepts a better one, reclassified trends name it."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import load_settings
from pantau.storage.db import make_engine
from pantau.storage.models import Post
from support import pantau


def _ok(*args: str) -> str:
    result = pantau(*args)
    assert result.exit_code == 0, f"pantau {' '.join(args)}: {result.stderr}"
    return result.stdout + result.stderr


def _candidate(output: str) -> str:
    return output.split("registered candidate ")[1].split(";")[0]


@pytest.mark.slow
def test_corrections_train_a_better_model_that_is_promoted_and_reclassified(
    rt_sqlite_configure, tiny_models, make_rows, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    settings = load_settings(rt_sqlite_configure())
    _ok("db", "upgrade")
    demo = make_rows(200, 31)
    posts = tmp_path / "posts.jsonl"
    first_day = datetime(2026, 11, 2, 8, 0)
    posts.write_text(
        "".join(
            json.dumps(
                {"id": f"demo-{i}", "text": row["text"], "created_at": (first_day + timedelta(hours=i)).isoformat()}
            )
            + "\n"
            for i, row in enumerate(demo)
        ),
        encoding="utf-8",
    )
    _ok("import", str(posts), "--source", "demo")
    assert "200 post(s) classified" in _ok("classify", "--pending")

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        ids = dict(session.execute(select(Post.external_id, Post.id)).all())
    engine.dispose()
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text(
        "".join(json.dumps({"post_id": ids[f"demo-{i}"], "labels": demo[i]["labels"]}) + "\n" for i in range(100)),
        encoding="utf-8",
    )
    assert "imported 100 triage correction(s)" in _ok("labels", "import", str(corrections), "--by", "tester")

    export = tmp_path / "export.jsonl"
    _ok("labels", "export", "--output", str(export), "--corpus", str(tiny_models.corpus))
    rows = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert sum(row["origin"] == "triage" for row in rows) == 100
    shuffled = tmp_path / "shuffled.jsonl"
    labels = [row["labels"] for row in rows]
    random.Random(3).shuffle(labels)
    shuffled.write_text(
        "".join(
            json.dumps({**row, "labels": wrong, "primary": wrong[0]} if row["split"] == "train" else row) + "\n"
            for row, wrong in zip(rows, labels, strict=True)
        ),
        encoding="utf-8",
    )
    tiny = ("--epochs", "1", "--lr", "1e-3", "--batch-size", "16", "--max-length", "32")
    better = _candidate(
        _ok("train", "--data", str(export), "--base-model", str(tiny_models.pretrained), "--output",
            str(tmp_path / "better"), *tiny)
    )  # fmt: skip
    worse = _candidate(
        _ok("train", "--data", str(shuffled), "--base-model", str(tiny_models.random), "--output",
            str(tmp_path / "worse"), *tiny)
    )  # fmt: skip

    corpus = ("--corpus", str(tiny_models.corpus))
    assert f"{better} is now the current model" in _ok("models", "promote", better, "--by", "tester", *corpus)
    refused = pantau("models", "promote", worse, "--by", "tester", *corpus)
    assert refused.exit_code == 1 and "refused" in refused.stderr
    listing = _ok("models", "list")
    assert any(line.startswith("*") and better in line for line in listing.splitlines())

    assert f"200 post(s) classified by model {better}" in _ok("classify", "--since", "2026-11-01", "--reclassify")
    trends = json.loads(
        _ok("trends", "--since", "2026-11-02", "--until", "2026-11-12", "--by", "week", "--format", "json").split(
            "\n\n"
        )[0]
    )
    assert set(trends["model_versions"]) == {better}
    assert time.monotonic() - started < 60

"""`pantau labels export`: human labels merged with the corpus, human wins, splits never move."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.retraining.dataset import hashed_split
from pantau.storage.models import Post
from pantau.storage.triage import Taxonomy, TriageChange, apply_change
from support import pantau

TAXONOMY = Taxonomy(("login", "payment", "outage", "not_complaint"), "not_complaint")
MOMENT = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)


def _correct(engine: Engine, post_id: int, labels: list[str], actor: str = "rina") -> None:
    with Session(engine) as session:
        apply_change(session, session.get(Post, post_id), actor, TriageChange(labels=labels), TAXONOMY)
        session.commit()


def _export(path: Path, corpus: Path, *extra: str) -> list[dict]:
    result = pantau("labels", "export", "--output", str(path), "--corpus", str(corpus), *extra)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _corpus(tiny_models) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in tiny_models.corpus.read_text(encoding="utf-8").splitlines()]


def test_export_merges_corrections_with_the_corpus_and_the_human_label_wins(
    rt_config, rt_engine, tiny_models, store_posts, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(tiny_models)
    in_test = next(row for row in corpus if row["split"] == "test" and row["labels"] == ["outage"])
    disputed, fresh, untouched = store_posts(
        rt_engine,
        [
            (in_test["text"], MOMENT, {"outage": 0.9, "login": 0.1}),
            ("Samsat gak bisa login dari kemarin, OTP ga dikirim", MOMENT, {"login": 0.55}),
            ("IKD lancar jaya hari ini", MOMENT, {"not_complaint": 0.7}),
        ],
    )
    _correct(rt_engine, disputed, ["payment"])
    _correct(rt_engine, fresh, ["login", "outage"])

    result = pantau("labels", "export", "--output", str(tmp_path / "a.jsonl"), "--corpus", str(tiny_models.corpus))
    assert result.exit_code == 0, result.stderr
    assert "conflict: triage:" in result.stderr and "overrides written:test:test" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]

    assert len(rows) == len(corpus) + 1, "the disputed text appears once"
    by_provenance = {row["provenance"]: row for row in rows}
    human = by_provenance[f"triage:{disputed}"]
    assert human["labels"] == ["payment"] and human["split"] == "test", "human labels win, the corpus split stays"
    assert human["labelled_by"] == "rina" and human["labelled_at"].startswith("20")
    assert human["origin"] == "triage"
    assert by_provenance[f"triage:{fresh}"]["labels"] == ["login", "outage"]
    assert f"triage:{untouched}" not in by_provenance, "model labels never become training labels"
    assert in_test["provenance"] not in by_provenance


def test_the_test_split_is_fixed_across_exports(
    rt_config, rt_engine, tiny_models, store_posts, make_rows, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    texts = [row["text"] for row in make_rows(40, 99)]
    first_ids = store_posts(rt_engine, [(text, MOMENT, {"login": 0.6}) for text in texts[:20]])
    for post_id in first_ids:
        _correct(rt_engine, post_id, ["login"])
    first = {row["text"]: row["split"] for row in _export(tmp_path / "1.jsonl", tiny_models.corpus)}

    later_ids = store_posts(rt_engine, [(text, MOMENT, {"login": 0.6}) for text in texts[20:]])
    for post_id in later_ids:
        _correct(rt_engine, post_id, ["outage"])
    _correct(rt_engine, first_ids[0], ["payment"], actor="budi")
    second = {row["text"]: row["split"] for row in _export(tmp_path / "2.jsonl", tiny_models.corpus)}
    humans_only = {
        row["text"]: row["split"] for row in _export(tmp_path / "3.jsonl", tiny_models.corpus, "--no-include-corpus")
    }

    assert all(second[text] == split for text, split in first.items()), "no row changes split"
    assert {split for split in second.values()} == {"train", "dev", "test"}
    assert all(humans_only[text] == second[text] for text in humans_only)
    assert len(humans_only) == 40
    assert hashed_split("same key") == hashed_split("same key")


def test_a_variant_of_a_corpus_test_row_stays_out_of_training(
    rt_config, rt_engine, tiny_models, store_posts, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(tiny_models)
    in_test = next(row for row in corpus if row["split"] == "test")
    (variant,) = store_posts(rt_engine, [(in_test["text"] + "!!", MOMENT, {"login": 0.6})])
    _correct(rt_engine, variant, in_test["labels"])
    rows = _export(tmp_path / "v.jsonl", tiny_models.corpus, "--no-include-corpus")
    assert [row["split"] for row in rows] == ["test"]

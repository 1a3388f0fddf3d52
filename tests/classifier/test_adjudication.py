"""Second annotation and adjudication: decided labels reach the corpus, agreement is measured and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pantau.classifier.adjudication import agreement, as_first_written, read_adjudication
from pantau.classifier.corpus import build, main
from pantau.classifier.taxonomy import Taxonomy
from support import write_written_sources

TAXONOMY = Taxonomy(["login", "payment", "none"], "none")


def _record(text: str, first: list[str], second: list[str], final: list[str] | None = None) -> dict:
    final = final or first
    return {
        "text": text,
        "first": {"labels": first, "primary": first[0]},
        "second": {"labels": second, "primary": second[0]},
        "final": {"labels": final, "primary": final[0]},
        "decided": "agreed" if set(first) == set(second) else "adjudicated",
    }


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    lines = [
        "login\tjmo\tOTP gak masuk udah sejam",
        "payment\tpln\tbayar token gagal, saldo kepotong",
        "none\tjmo\tcara daftar JMO gimana ya?",
    ]
    lines += [f"payment\tsvc{i}\tkeluhan pembayaran berbeda nomor {i * 7919} soal {i}" for i in range(30)]
    write_written_sources(tmp_path, lines)
    records = [
        _record("OTP gak masuk udah sejam", ["login"], ["login"]),
        _record("bayar token gagal, saldo kepotong", ["payment"], ["payment", "login"], ["payment", "login"]),
        _record("cara daftar JMO gimana ya?", ["none"], ["login"], ["none"]),
        _record("a post that was removed from the sources", ["none"], ["none"]),
    ]
    lines = [json.dumps(r) for r in records] + ["{not json", json.dumps(_record("x", ["bogus"], ["none"]))]
    (tmp_path / "adjudication.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_the_corpus_carries_the_decided_labels(corpus_dir: Path) -> None:
    rows, problems = build(corpus_dir, TAXONOMY)
    labels = {row.text: (row.labels, row.primary) for row in rows}
    assert labels["bayar token gagal, saldo kepotong"] == (["payment", "login"], "payment")
    assert labels["cara daftar JMO gimana ya?"] == (["none"], "none")
    assert labels["OTP gak masuk udah sejam"] == (["login"], "login")
    text = "\n".join(problems)
    assert "adjudicated post not in the corpus: 'a post that was removed" in text
    assert "adjudication.jsonl:5: invalid JSON" in text
    assert "adjudication.jsonl:6: first: unknown label(s) bogus" in text


def test_a_record_whose_source_labels_changed_is_flagged(corpus_dir: Path) -> None:
    source = corpus_dir / "written" / "a-01.tsv"
    source.write_text(source.read_text(encoding="utf-8").replace("login\tjmo\tOTP", "payment\tjmo\tOTP"), "utf-8")
    rows, problems = build(corpus_dir, TAXONOMY)
    assert any("source labels changed since" in p and "OTP gak masuk" in p for p in problems)
    assert next(row.labels for row in rows if row.text.startswith("OTP")) == ["login"]


def test_agreement_counts_what_two_annotators_share(corpus_dir: Path) -> None:
    records, _ = read_adjudication(corpus_dir / "adjudication.jsonl", TAXONOMY)
    stats = agreement(records, TAXONOMY.labels)
    assert stats["posts"] == 4
    assert stats["same_label_set"] == 0.5
    assert stats["adjudicated"] == 2 and stats["changed_from_first"] == 1 and stats["final_equals_second"] == 1
    # login: first annotator 1 post, second 3, shared 1 -> F1 0.5; payment 1/1 -> 1.0; none 2/1, shared 1 -> 2/3
    assert stats["per_label"]["login"]["f1_second_vs_first"] == 0.5
    assert stats["macro_f1_second_vs_first"] == pytest.approx((0.5 + 1.0 + 2 / 3) / 3, abs=1e-4)


def test_scores_on_the_labels_as_first_written_can_be_restored(corpus_dir: Path) -> None:
    records, _ = read_adjudication(corpus_dir / "adjudication.jsonl", TAXONOMY)
    rows = [{"text": "bayar token gagal, saldo kepotong", "labels": ["payment", "login"], "primary": "payment"}]
    assert as_first_written(rows, records)[0]["labels"] == ["payment"]
    assert rows[0]["labels"] == ["payment", "login"]


def test_stats_report_the_agreement(corpus_dir: Path) -> None:
    assert (
        main(["build", "--corpus-dir", str(corpus_dir), "--labels", "login,payment,none", "--exclusive-label", "none"])
        == 0
    )
    stats = (corpus_dir / "STATS.md").read_text(encoding="utf-8")
    assert "# Second annotation and adjudication" in stats
    assert "identical for 50.0% of posts" in stats
    assert "Adjudication changed the first annotation of 1 post(s)" in stats
    assert "| login | 0.500 |" in stats


def test_the_challenge_set_takes_its_own_adjudication(corpus_dir: Path) -> None:
    challenge = corpus_dir / "challenge"
    challenge.mkdir()
    (challenge / "x-replies.tsv").write_text(
        "payment\tpln\ttoken listrik kepotong dua kali\nnone\tkai\tkereta pagi ini tepat waktu, mantap\n",
        encoding="utf-8",
    )
    records = [
        _record("token listrik kepotong dua kali", ["payment"], ["payment", "login"], ["payment"]),
        _record("kereta pagi ini tepat waktu, mantap", ["none"], ["login"], ["login"]),
    ]
    (challenge / "adjudication.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    args = ["build", "--corpus-dir", str(corpus_dir), "--labels", "login,payment,none", "--exclusive-label", "none"]
    assert main(args) == 0
    held = [json.loads(line) for line in (corpus_dir / "challenge.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["text"]: row["labels"] for row in held} == {
        "token listrik kepotong dua kali": ["payment"],
        "kereta pagi ini tepat waktu, mantap": ["login"],
    }
    stats = (corpus_dir / "STATS.md").read_text(encoding="utf-8")
    assert "# Second annotation and adjudication of the challenge set" in stats
    assert "`challenge/adjudication.jsonl`: 2 posts (2 challenge)" in stats
    corpus = [json.loads(line) for line in (corpus_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "kereta pagi ini tepat waktu, mantap" not in {row["text"] for row in corpus}

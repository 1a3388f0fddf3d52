"""The training set `pantau labels export` writes: human labels merged with the shipped corpus.

Human labels (triage corrections, imported label rows) win over the corpus and the model; rows are
de-duplicated by normalised text. Splits never move: a text in the shipped corpus keeps its corpus
split, a near-duplicate of a corpus text inherits that split, and any other text is split by hashing
its dedup key, so the held-out test split of one export is the test split of every export.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from pantau.classifier.corpus import SPLIT_BOUNDS, load_corpus
from pantau.classifier.neardup import max_similarity, normalise_for_matching, shingle_matrix
from pantau.classifier.text import clean_text
from pantau.core.config import PACKAGE_ROOT, Settings
from pantau.storage.label_rows import corrected_posts, list_label_rows

DEFAULT_CORPUS = PACKAGE_ROOT / "data" / "corpus" / "corpus.jsonl"
NEAR_DUPLICATE = 0.8
"""Character 5-gram Jaccard at which a new text counts as a variant of a corpus text (as in the corpus build)."""
HUMAN_ORIGINS = ("triage", "import")


@dataclass(slots=True)
class TrainingRow:
    text: str
    labels: list[str]
    primary: str
    provenance: str
    split: str
    origin: str
    """corpus, triage or import."""
    labelled_by: str | None = None
    labelled_at: str | None = None
    service: str | None = None


@dataclass(slots=True)
class TrainingSet:
    rows: list[TrainingRow]
    conflicts: list[str] = field(default_factory=list)
    """Texts labelled differently by two sources, with the labels kept."""
    skipped: list[str] = field(default_factory=list)
    """Human labels left out (labels no longer in the taxonomy)."""

    def counts(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for row in self.rows:
            table.setdefault(row.origin, Counter())[row.split] += 1
        return {origin: dict(counter) for origin, counter in sorted(table.items())}

    def split(self, name: str) -> list[TrainingRow]:
        return [row for row in self.rows if row.split == name]


def dedup_key(text: str) -> str:
    """The text as the classifier reads it, folded for matching (case, digits, punctuation)."""
    return normalise_for_matching(clean_text(text))


def hashed_split(key: str) -> str:
    """~80/10/10 train/dev/test from the key's hash: the same text always lands in the same split."""
    value = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64
    return "train" if value < SPLIT_BOUNDS[0] else "dev" if value < SPLIT_BOUNDS[1] else "test"


def _human_rows(session: Session, settings: Settings, skipped: list[str]) -> list[TrainingRow]:
    known, exclusive = set(settings.label_keys), settings.exclusive_label
    rows: list[TrainingRow] = []
    candidates = [
        ("triage", f"triage:{post.id}", post.text, post.labels, post.triaged_by, post.triaged_at)
        for post in corrected_posts(session)
    ]
    for item in list_label_rows(session):
        ordered = [item.primary_label] + [label for label in item.labels if label != item.primary_label]
        candidates.append(("import", item.provenance, item.text, ordered, item.labelled_by, item.labelled_at))
    for origin, provenance, text, labels, by, at in candidates:
        unknown = sorted(set(labels) - known)
        if unknown or not labels or (exclusive in labels and len(labels) > 1):
            skipped.append(f"{provenance}: labels {labels} do not fit the taxonomy")
            continue
        rows.append(
            TrainingRow(
                text=text, labels=list(labels), primary=labels[0], provenance=provenance, split="",
                origin=origin, labelled_by=by, labelled_at=at.isoformat() if at else None,
            )
        )  # fmt: skip
    return rows


def _corpus_rows(path: Path | None) -> list[TrainingRow]:
    if path is None or not path.is_file():
        return []
    return [
        TrainingRow(
            text=row["text"], labels=list(row["labels"]), primary=row.get("primary") or row["labels"][0],
            provenance=row.get("provenance") or "corpus", split=row.get("split") or "", origin="corpus",
            service=row.get("service"),
        )
        for row in load_corpus(path)
    ]  # fmt: skip


def _merge_human(rows: Sequence[TrainingRow], conflicts: list[str], skipped: list[str]) -> dict[str, TrainingRow]:
    """One human row per key: the most recent label wins (triage before import on equal times)."""
    merged: dict[str, TrainingRow] = {}
    ordered = sorted(rows, key=lambda r: (r.labelled_at or "", r.origin == "triage"))
    for row in ordered:
        key = dedup_key(row.text)
        if not key:
            skipped.append(f"{row.provenance}: no words left in the text")
            continue
        earlier = merged.get(key)
        if earlier is not None and sorted(earlier.labels) != sorted(row.labels):
            conflicts.append(
                f"{row.provenance} {row.labels} overrides {earlier.provenance} {earlier.labels}: {row.text[:60]!r}"
            )
        merged[key] = row
    return merged


def _assign_splits(new_rows: dict[str, TrainingRow], corpus: dict[str, TrainingRow]) -> None:
    """Corpus texts keep their split; variants of corpus texts inherit it; other texts hash their key."""
    pending = [key for key in new_rows if key not in corpus]
    for key, row in new_rows.items():
        if key in corpus:
            row.split = corpus[key].split
    if not pending:
        return
    references = list(corpus)
    inherited: dict[str, str] = {}
    if references:
        matrix = shingle_matrix(references + pending)
        best, where = max_similarity(matrix[len(references) :], matrix[: len(references)])
        inherited = {
            key: corpus[references[int(index)]].split
            for key, score, index in zip(pending, best, where, strict=True)
            if score >= NEAR_DUPLICATE
        }
    for key in pending:
        new_rows[key].split = inherited.get(key) or hashed_split(key)


def build_training_set(
    session: Session, settings: Settings, *, corpus_path: Path | None = DEFAULT_CORPUS, include_corpus: bool = True
) -> TrainingSet:
    """Human labels plus (optionally) the corpus, de-duplicated, with fixed splits; the corpus file is read
    for its splits even when its rows are left out."""
    result = TrainingSet(rows=[])
    corpus = {dedup_key(row.text): row for row in _corpus_rows(corpus_path)}
    known = set(settings.label_keys)
    foreign = {key for key, row in corpus.items() if not set(row.labels) <= known}
    if foreign and include_corpus:
        result.skipped.append(f"{len(foreign)} corpus row(s) with labels outside the taxonomy left out")
    human = _merge_human(_human_rows(session, settings, result.skipped), result.conflicts, result.skipped)
    for key, row in human.items():
        shipped = corpus.get(key)
        if shipped is not None and sorted(shipped.labels) != sorted(row.labels):
            result.conflicts.append(
                f"{row.provenance} {row.labels} overrides {shipped.provenance} {shipped.labels}: {row.text[:60]!r}"
            )
    _assign_splits(human, corpus)
    kept_corpus = [row for key, row in corpus.items() if key not in human and key not in foreign]
    result.rows = (kept_corpus if include_corpus else []) + list(human.values())
    return result


def write_training_set(rows: Iterable[TrainingRow], handle: TextIO) -> int:
    count = 0
    for row in rows:
        handle.write(json.dumps({k: v for k, v in asdict(row).items() if v is not None}, ensure_ascii=False) + "\n")
        count += 1
    return count


def held_out_rows(training_set: TrainingSet) -> list[dict]:
    """The fixed held-out split as rows the evaluator reads (text, labels, primary)."""
    return [{"text": r.text, "labels": r.labels, "primary": r.primary} for r in training_set.split("test")]

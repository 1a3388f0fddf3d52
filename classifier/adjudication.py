"""Second annotation and adjudication: a record of posts labelled twice, and the labels that were decided.

`data/corpus/adjudication.jsonl` holds one JSON object per post that a second annotator labelled blind (seeing
only the annotation guide and the text, never the first labels or any model output):

    {"text": ..., "first": {"labels": [...], "primary": ...}, "second": {...}, "final": {...},
     "decided": "agreed" | "adjudicated"}

Where the two label sets differ, a third person saw the guide, the text and both label sets (in random order,
unnamed) and decided `final`. Corpus builds use `final`; the record keeps both annotations so agreement can be
measured and results on the labels as first written can still be reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pantau.classifier.neardup import normalise_for_matching
from pantau.classifier.taxonomy import Taxonomy

DECISIONS = ("agreed", "adjudicated")


@dataclass(frozen=True)
class Annotation:
    labels: tuple[str, ...]
    primary: str


@dataclass(frozen=True)
class Adjudication:
    text: str
    first: Annotation
    second: Annotation
    final: Annotation
    decided: str

    @property
    def key(self) -> str:
        return normalise_for_matching(self.text)

    @property
    def changed(self) -> bool:
        return set(self.final.labels) != set(self.first.labels) or self.final.primary != self.first.primary


def _annotation(value: Any, taxonomy: Taxonomy) -> tuple[Annotation | None, str | None]:
    from pantau.classifier.corpus import _check_labels

    if not isinstance(value, dict):
        return None, "expected an object with labels and primary"
    labels = value.get("labels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return None, "labels must be a list of label keys"
    primary = str(value.get("primary") or (labels[0] if labels else ""))
    problem = _check_labels(list(labels), primary, taxonomy)
    if problem:
        return None, problem
    return Annotation((primary, *(label for label in labels if label != primary)), primary), None


def read_adjudication(path: Path, taxonomy: Taxonomy) -> tuple[list[Adjudication], list[str]]:
    """Records of `path` (missing file: none) and a line per invalid record."""
    records: list[Adjudication] = []
    problems: list[str] = []
    if not path.is_file():
        return records, problems
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON ({exc.msg})")
            continue
        text = str(raw.get("text") or "").strip() if isinstance(raw, dict) else ""
        if not text:
            problems.append(f"{where}: no text")
            continue
        parsed = {}
        for part in ("first", "second", "final"):
            parsed[part], problem = _annotation(raw.get(part), taxonomy)
            if problem:
                problems.append(f"{where}: {part}: {problem}")
                break
        else:
            decided = raw.get("decided")
            if decided not in DECISIONS:
                problems.append(f"{where}: decided must be one of {', '.join(DECISIONS)}")
                continue
            records.append(Adjudication(text, parsed["first"], parsed["second"], parsed["final"], decided))
    return records, problems


def apply_adjudication(rows: Sequence[Any], records: Sequence[Adjudication]) -> list[str]:
    """Give each corpus row its decided labels; returns notes on records that no longer fit the corpus.

    Rows are anything with `text`, `labels` and `primary` attributes (CorpusRow)."""
    by_key = {record.key: record for record in records}
    notes, used = [], set()
    for row in rows:
        record = by_key.get(normalise_for_matching(row.text))
        if record is None:
            continue
        used.add(record.key)
        if set(row.labels) != set(record.first.labels):
            notes.append(f"adjudicated post's source labels changed since: {row.text[:60]!r} now {row.labels}")
        row.labels, row.primary = list(record.final.labels), record.final.primary
    notes += [f"adjudicated post not in the corpus: {r.text[:60]!r}" for r in records if r.key not in used]
    return notes


def as_first_written(rows: Sequence[dict], records: Sequence[Adjudication]) -> list[dict]:
    """Copies of corpus rows (dicts) with the labels they had before adjudication."""
    by_key = {record.key: record for record in records}
    restored = []
    for row in rows:
        record = by_key.get(normalise_for_matching(row["text"]))
        if record is not None:
            row = {**row, "labels": list(record.first.labels), "primary": record.first.primary}
        restored.append(row)
    return restored


def _label_f1(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    tp = (reference & other).sum(axis=0)
    denominator = reference.sum(axis=0) + other.sum(axis=0)
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 1.0)


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    observed = float(np.mean(a == b))
    p_a, p_b = float(a.mean()), float(b.mean())
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(records: Sequence[Adjudication], labels: Sequence[str]) -> dict[str, Any]:
    """How far two blind annotations agree, and how far each is from the decided labels."""
    from pantau.classifier.metrics import multi_hot

    if not records:
        return {"posts": 0}

    def matrix(part: str) -> np.ndarray:
        return multi_hot([getattr(r, part).labels for r in records], labels).astype(bool)

    first, second, final = matrix("first"), matrix("second"), matrix("final")
    per_label = {
        label: {
            "f1_second_vs_first": round(float(f1), 4),
            "kappa": round(_kappa(first[:, i], second[:, i]), 4),
        }
        for i, (label, f1) in enumerate(zip(labels, _label_f1(first, second), strict=True))
    }
    return {
        "posts": len(records),
        "same_label_set": round(float(np.mean((first == second).all(axis=1))), 4),
        "same_primary": round(float(np.mean([r.first.primary == r.second.primary for r in records])), 4),
        "macro_f1_second_vs_first": round(float(_label_f1(first, second).mean()), 4),
        "macro_f1_first_vs_final": round(float(_label_f1(final, first).mean()), 4),
        "macro_f1_second_vs_final": round(float(_label_f1(final, second).mean()), 4),
        "adjudicated": sum(r.decided == "adjudicated" for r in records),
        "changed_from_first": sum(r.changed for r in records),
        "final_equals_second": sum(
            r.decided == "adjudicated" and set(r.final.labels) == set(r.second.labels) for r in records
        ),
        "per_label": per_label,
    }

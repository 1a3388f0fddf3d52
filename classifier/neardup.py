"""Near-duplicate detection by character 5-gram Jaccard similarity."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

NON_WORD_RE = re.compile(r"[^\w]+")


def normalise_for_matching(text: str) -> str:
    """Lowercase, digits and punctuation folded, so trivial edits do not hide a duplicate."""
    return " ".join(NON_WORD_RE.sub(" ", re.sub(r"\d+", "0", text.lower())).split())


def shingle_matrix(texts: Sequence[str], n: int = 5) -> sparse.csr_matrix:
    """Binary row-per-text matrix of character n-gram sets."""
    from sklearn.feature_extraction.text import CountVectorizer  # ~1 s to import: only when shingles are made

    vectoriser = CountVectorizer(analyzer="char", ngram_range=(n, n), binary=True, lowercase=False)
    padded = [f" {normalise_for_matching(t)} " for t in texts]
    return vectoriser.fit_transform(padded).astype(np.float32).tocsr()


def max_similarity(
    queries: sparse.csr_matrix, references: sparse.csr_matrix, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row: the highest Jaccard similarity to any reference row, and that row's index."""
    q_sizes = np.asarray(queries.sum(axis=1)).ravel()
    r_sizes = np.asarray(references.sum(axis=1)).ravel()
    best = np.zeros(queries.shape[0], dtype=np.float32)
    where = np.full(queries.shape[0], -1, dtype=np.int64)
    if references.shape[0] == 0:
        return best, where
    ref_t = references.T.tocsc()
    for start in range(0, queries.shape[0], chunk):
        inter = (queries[start : start + chunk] @ ref_t).toarray()
        union = q_sizes[start : start + chunk, None] + r_sizes[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        where[start : start + chunk] = jaccard.argmax(axis=1)
        best[start : start + chunk] = jaccard.max(axis=1)
    return best, where


def cluster_near_duplicates(texts: Sequence[str], threshold: float = 0.8, chunk: int = 512) -> list[int]:
    """Union-find clusters of texts linked by Jaccard >= threshold; returns a cluster root per text."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(texts) < 2:
        return parent
    matrix = shingle_matrix(texts)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    matrix_t = matrix.T.tocsc()
    for start in range(0, len(texts), chunk):
        inter = (matrix[start : start + chunk] @ matrix_t).toarray()
        union = sizes[start : start + chunk, None] + sizes[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        rows, cols = np.nonzero(jaccard >= threshold)
        for row, col in zip(rows + start, cols, strict=True):
            if row < col:
                a, b = find(int(row)), find(int(col))
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]

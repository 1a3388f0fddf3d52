"""Deterministic WordPiece vocabulary learning (the BPE-style merge loop of Hugging Face's WordPieceTrainer).

Hugging Face's trainer breaks frequency ties by token id, but gives ids to continuation symbols in hash-map
order, so two processes learn different vocabularies from the same text. Here ids are given in a fixed order
(and alphabet ties go by code point), so the vocabulary depends only on the word counts and the settings.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

Pair = tuple[int, int]


def _alphabet(word_counts: Mapping[str, int], limit: int, initial: Iterable[str]) -> list[str]:
    """The `limit` most frequent characters (the initial alphabet always kept), sorted by code point."""
    counts: Counter[str] = Counter()
    for word, count in word_counts.items():
        for char in word:
            counts[char] += count
    forced = set(initial)
    ranked = sorted(counts.keys() - forced, key=lambda c: (-counts[c], c))
    return sorted(forced | set(ranked[: max(limit - len(forced), 0)]))


def _pairs(symbols: Sequence[int]) -> Counter[Pair]:
    return Counter(pairwise(symbols))


def _merge(symbols: list[int], pair: Pair, merged: int) -> list[int]:
    out: list[int] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


class _MergeState:
    """Words as lists of token ids, weighted pair counts, which words hold each pair, and a max-heap of pairs."""

    def __init__(self, words: list[list[int]], counts: list[int]) -> None:
        self.words, self.counts = words, counts
        self.pair_counts: Counter[Pair] = Counter()
        self.holders: dict[Pair, set[int]] = {}
        for index, symbols in enumerate(words):
            for pair, times in _pairs(symbols).items():
                self.pair_counts[pair] += times * counts[index]
                self.holders.setdefault(pair, set()).add(index)
        self.heap = [(-count, a, b) for (a, b), count in self.pair_counts.items()]
        heapq.heapify(self.heap)

    def best(self) -> tuple[Pair, int] | None:
        """The most frequent pair (ties: smallest ids). Every pair keeps a heap entry >= its count."""
        while self.heap:
            negative, a, b = heapq.heappop(self.heap)
            current = self.pair_counts.get((a, b), 0)
            if current == -negative:
                return (a, b), current
            if 0 < current < -negative:
                heapq.heappush(self.heap, (-current, a, b))
        return None

    def apply(self, pair: Pair, merged: int) -> None:
        for index in sorted(self.holders.pop(pair, ())):
            old = self.words[index]
            new = _merge(old, pair, merged)
            if len(new) == len(old):
                continue
            self.words[index] = new
            delta = _pairs(new)
            delta.subtract(_pairs(old))
            for changed, times in delta.items():
                if not times:
                    continue
                count = self.pair_counts[changed] + times * self.counts[index]
                self.pair_counts[changed] = count
                if times > 0:
                    self.holders.setdefault(changed, set()).add(index)
                    heapq.heappush(self.heap, (-count, *changed))
        self.pair_counts.pop(pair, None)


def learn_vocab(
    word_counts: Mapping[str, int],
    *,
    vocab_size: int,
    min_frequency: int,
    special_tokens: Sequence[str],
    limit_alphabet: int,
    initial_alphabet: Iterable[str],
    prefix: str = "##",
) -> list[str]:
    """Tokens in id order: special tokens, the alphabet, its `prefix`ed continuation forms, then merges.

    Characters outside the alphabet are dropped from the words before merging, as Hugging Face's trainer does.
    """
    alphabet = _alphabet(word_counts, limit_alphabet, initial_alphabet)
    known = set(alphabet)
    ordered = sorted(word_counts)
    symbols = [[c if i == 0 else prefix + c for i, c in enumerate(word) if c in known] for word in ordered]
    continuations = sorted({s for word in symbols for s in word if s.startswith(prefix)})
    vocab = list(dict.fromkeys([*special_tokens, *alphabet, *continuations]))
    ids = {token: index for index, token in enumerate(vocab)}
    state = _MergeState([[ids[s] for s in word] for word in symbols], [word_counts[word] for word in ordered])
    while len(vocab) < vocab_size:
        found = state.best()
        if found is None or found[1] < max(min_frequency, 1):
            break
        (a, b), _ = found
        merged = vocab[a] + vocab[b].removeprefix(prefix)
        if merged not in ids:
            ids[merged] = len(vocab)
            vocab.append(merged)
        state.apply((a, b), ids[merged])
    return vocab

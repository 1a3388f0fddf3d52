"""Fold near-duplicate posts (copies, retweet-style repeats, small edits) into one with a count."""

from __future__ import annotations

from collections.abc import Sequence

from pantau.collector.normalize import dedup_key
from pantau.reports.digest_queries import CandidatePost

SIMILARITY = 0.6
"""Word-set Jaccard at or above this makes two posts "the same complaint"."""


def _words(text: str) -> frozenset[str]:
    return frozenset(dedup_key(text).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def fold_near_duplicates(posts: Sequence[CandidatePost], threshold: float = SIMILARITY) -> list[CandidatePost]:
    """Greedy clustering in the given order: each post joins the first group whose lead it resembles.

    Returns the group leads (the first post of each group, so the most confident when the input is
    sorted that way) with `similar_ids` filled, largest group first; ties keep the input order.
    """
    leads: list[CandidatePost] = []
    lead_words: list[frozenset[str]] = []
    by_hash: dict[str, int] = {}
    for post in posts:
        words = _words(post.text)
        group = by_hash.get(post.content_hash) if post.content_hash else None
        if group is None:
            group = next((i for i, lead in enumerate(lead_words) if jaccard(words, lead) >= threshold), None)
        if group is None:
            post.similar_ids = []
            leads.append(post)
            lead_words.append(words)
            group = len(leads) - 1
        else:
            leads[group].similar_ids.append(post.id)
        if post.content_hash:
            by_hash.setdefault(post.content_hash, group)
    order = sorted(range(len(leads)), key=lambda i: (-len(leads[i].similar_ids), i))
    return [leads[i] for i in order]

"""Deciding which incident a new post belongs to: pure, in memory, over a window of nearby posts.

A post joins an active incident when it is a near-duplicate of, quotes or replies to one of its posts,
or when it has the incident's issue type and similar wording (or falls in the window of the incident's
spike alert) — always within `gap_hours` of the incident's posts. A post that joins nothing waits
"loose"; once `min_posts` similar loose posts of one type sit within the gap, they open an incident.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pantau.core.incident_config import IncidentSettings


@dataclass(slots=True)
class Candidate:
    """What grouping needs to know about one complaint post."""

    id: int
    created_at: datetime
    label: str
    """The post's effective primary complaint type."""
    words: frozenset[str]
    source: str
    external_id: str
    content_hash: str = ""
    simhash: int | None = None
    duplicate_of_id: int | None = None
    refs: tuple[str, ...] = ()
    """External ids (same source) this post quotes, replies to or reposts."""
    incident: int | None = None
    """An incident id; negative for incidents opened in this run."""


@dataclass(slots=True)
class IncidentState:
    key: int
    label: str
    first_seen: datetime
    last_seen: datetime
    windows: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    """(type, start, end) of the spike alerts linked to the incident: posts of that type inside belong to it."""

    def accepts(self, moment: datetime, gap: timedelta) -> bool:
        return self.first_seen - gap <= moment <= self.last_seen + gap

    def covers(self, label: str, moment: datetime) -> bool:
        return any(kind == label and start <= moment < end for kind, start, end in self.windows)

    def extend(self, moment: datetime) -> None:
        self.first_seen, self.last_seen = min(self.first_seen, moment), max(self.last_seen, moment)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


class Grouper:
    """Places fresh posts, in time order, among the known incidents and loose posts around them."""

    def __init__(self, options: IncidentSettings, context: list[Candidate], incidents: list[IncidentState]) -> None:
        self.options = options
        self.gap = timedelta(hours=options.gap_hours)
        self.posts = {post.id: post for post in context}
        self.incidents = {state.key: state for state in incidents}
        self.by_external = {(post.source, post.external_id): post for post in context}
        self.by_hash: dict[str, list[Candidate]] = defaultdict(list)
        self.copies: dict[int, list[Candidate]] = defaultdict(list)
        self.referrers: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
        self.by_label: dict[str, list[Candidate]] = defaultdict(list)
        for post in sorted(context, key=lambda item: (item.created_at, item.id)):
            if post.content_hash:
                self.by_hash[post.content_hash].append(post)
            if post.duplicate_of_id:
                self.copies[post.duplicate_of_id].append(post)
            for ref in post.refs:
                self.referrers[(post.source, ref)].append(post)
            self.by_label[post.label].append(post)
        self.times = {label: [post.created_at for post in posts] for label, posts in self.by_label.items()}
        self.next_key = -1
        self.opened: list[int] = []
        self.touched: set[int] = set()

    def _near(self, post: Candidate, other: Candidate) -> bool:
        return other.id != post.id and abs(other.created_at - post.created_at) <= self.gap

    def strong_links(self, post: Candidate) -> list[Candidate]:
        """Copies, near-duplicates and quote/reply partners within the gap, any issue type."""
        found: dict[int, Candidate] = {}
        related = list(self.by_hash.get(post.content_hash, ())) if post.content_hash else []
        related += self.copies.get(post.id, [])
        if post.duplicate_of_id:
            related += self.copies.get(post.duplicate_of_id, [])
            first = self.posts.get(post.duplicate_of_id)
            related += [first] if first is not None else []
        related += [self.by_external[(post.source, ref)] for ref in post.refs if (post.source, ref) in self.by_external]
        related += self.referrers.get((post.source, post.external_id), [])
        for other in related:
            if self._near(post, other):
                found[other.id] = other
        return list(found.values())

    def _window(self, post: Candidate) -> list[Candidate]:
        posts, times = self.by_label.get(post.label, []), self.times.get(post.label, [])
        low = bisect.bisect_left(times, post.created_at - self.gap)
        high = bisect.bisect_right(times, post.created_at + self.gap)
        return [other for other in posts[low:high] if other.id != post.id]

    def _similar(self, post: Candidate, other: Candidate) -> bool:
        if jaccard(post.words, other.words) >= self.options.similarity:
            return True
        return (
            post.simhash is not None
            and other.simhash is not None
            and hamming(post.simhash, other.simhash) <= self.options.simhash_distance
        )

    def _active(self, key: int | None, post: Candidate) -> IncidentState | None:
        state = self.incidents.get(key) if key is not None else None
        return state if state is not None and state.accepts(post.created_at, self.gap) else None

    def choose(self, post: Candidate) -> int | None:
        """The incident the post belongs to, if any (strong links first, then spike windows, then wording)."""
        for other in self.strong_links(post):
            state = self._active(other.incident, post)
            if state is not None:
                return state.key
        for state in self.incidents.values():
            if state.covers(post.label, post.created_at):
                return state.key
        best: tuple[float, int] | None = None
        for other in self._window(post):
            state = self._active(other.incident, post)
            if state is None or state.label != post.label:
                continue
            score = jaccard(post.words, other.words)
            if self._similar(post, other) and (best is None or score > best[0]):
                best = (score, state.key)
        return best[1] if best else None

    def place(self, post: Candidate) -> None:
        if post.incident is not None:
            return
        key = self.choose(post)
        if key is not None:
            self._join(post, key)
            return
        strong = {other.id for other in self.strong_links(post)}
        similar = [
            other
            for other in self._window(post)
            if other.incident is None and (other.id in strong or self._similar(post, other))
        ]
        if len(similar) + 1 >= self.options.min_posts:
            key = self.open_incident(post.label, post.created_at)
            for member in [post, *similar]:
                self._join(member, key)

    def open_incident(self, label: str, moment: datetime) -> int:
        key = self.next_key
        self.next_key -= 1
        self.incidents[key] = IncidentState(key, label, moment, moment)
        self.opened.append(key)
        return key

    def _join(self, post: Candidate, key: int) -> None:
        post.incident = key
        self.incidents[key].extend(post.created_at)
        self.touched.add(key)

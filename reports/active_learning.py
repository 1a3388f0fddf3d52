"""Which unlabelled posts are worth a person's label next (`pantau labels queue`, the web triage queue).

A post scores high when the model is unsure: a label's score sits close to its threshold (uncertainty),
the top score is low (low confidence), or several labels hover near their thresholds or a complaint
label and the exclusive "not a complaint" label both fire (disagreement). The queue is diverse: exact
copies (content hash, duplicate_of) are folded first, then a maximal-marginal-relevance pass over
character TF-IDF folds near-duplicates, so one viral complaint takes one slot, not fifty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.storage.models import Classification, Post
from pantau.storage.registry import current_model

POOL = 5000
"""Least confident candidate posts scored per call; bounds the work on a large database."""
NEAR_BAND = 0.15
"""A label whose score is within this of its threshold counts as undecided."""
WEIGHTS = (0.45, 0.35, 0.20)
"""uncertainty, low confidence, disagreement."""
MMR_LAMBDA = 0.7
NEAR_DUPLICATE = 0.6
"""Cosine similarity of character TF-IDF at which a post is folded into one already queued."""


CANDIDATE_COLUMNS = (Post.id, Post.text_redacted, Post.created_at, Post.primary_label, Post.confidence,
                     Post.content_hash, Post.duplicate_of_id)  # fmt: skip


@dataclass(slots=True)
class QueueCandidate:
    post_id: int
    text: str
    created_at: datetime
    primary: str | None
    confidence: float
    score: float
    uncertainty: float
    disagreement: float
    near_labels: list[str] = field(default_factory=list)
    folded_ids: list[int] = field(default_factory=list)
    """Copies and near-duplicates represented by this post."""


def current_thresholds(session: Session, settings: Settings) -> dict[str, float]:
    """Per-label thresholds of the model in service (0.5 where unknown)."""
    current = current_model(session)
    directory = Path(current.path) if current else settings.default_model_dir()
    try:
        metadata = json.loads((directory / "pantau.json").read_text(encoding="utf-8"))
        found = metadata.get("thresholds") or {}
    except (OSError, ValueError):
        found = {}
    return {label: float(found.get(label, 0.5)) for label in settings.label_keys}


def score_scores(
    scores: dict[str, float], confidence: float, thresholds: dict[str, float], exclusive: str | None
) -> tuple[float, float, float, list[str]]:
    """(score, uncertainty, disagreement, undecided labels) for one post's calibrated label scores."""
    margins = {label: abs(scores.get(label, 0.0) - threshold) for label, threshold in thresholds.items()}
    uncertainty = max(0.0, 1.0 - min(margins.values(), default=0.5) / 0.5)
    near = sorted((label for label, margin in margins.items() if margin < NEAR_BAND), key=margins.__getitem__)
    disagreement = min(1.0, (len(near) - 1) / 2) if len(near) > 1 else 0.0
    fired = [label for label, threshold in thresholds.items() if scores.get(label, 0.0) >= threshold]
    if exclusive in fired and len(fired) > 1:
        disagreement = 1.0
    low_confidence = 1.0 - min(1.0, max(0.0, confidence))
    score = WEIGHTS[0] * uncertainty + WEIGHTS[1] * low_confidence + WEIGHTS[2] * disagreement
    return round(score, 4), round(uncertainty, 4), round(disagreement, 4), near


def _candidates(session: Session, settings: Settings, since: datetime | None) -> list[QueueCandidate]:
    query = (
        select(*CANDIDATE_COLUMNS, Classification.scores)
        .join(Classification, (Classification.post_id == Post.id) & Classification.is_current.is_(True))
        .where(Post.corrected_labels.is_(None), Post.triaged_at.is_(None), Post.model_version.is_not(None))
    )
    if since is not None:
        query = query.where(Post.created_at >= since)
    rows = session.execute(query.order_by(Post.confidence.asc(), Post.id.asc()).limit(POOL)).all()
    thresholds = current_thresholds(session, settings)
    groups: dict[str, QueueCandidate] = {}
    result: list[QueueCandidate] = []
    for post_id, text, created, primary, confidence, content_hash, duplicate_of, scores in rows:
        score, uncertainty, disagreement, near = score_scores(
            scores or {}, confidence or 0.0, thresholds, settings.exclusive_label
        )
        candidate = QueueCandidate(post_id, text, created, primary, confidence or 0.0, score, uncertainty,
                                   disagreement, near)  # fmt: skip
        keys = [f"id:{duplicate_of or post_id}"] + ([f"hash:{content_hash}"] if content_hash else [])
        lead = next((groups[key] for key in keys if key in groups), None)
        if lead is not None:
            lead.folded_ids.append(post_id)
            if candidate.score > lead.score:
                lead.score, lead.uncertainty, lead.disagreement = score, uncertainty, disagreement
        else:
            result.append(candidate)
            lead = candidate
        for key in keys:
            groups.setdefault(key, lead)
    return result


def _diverse(ranked: list[QueueCandidate], limit: int) -> list[QueueCandidate]:
    """Maximal marginal relevance over char TF-IDF on the best-scored shortlist; near-duplicates of a
    chosen post, in the shortlist or further down, fold into it instead of taking a slot."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(ranked) <= 1:
        return ranked[:limit]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix = vectoriser.fit_transform([candidate.text.lower() for candidate in ranked])
    size = min(len(ranked), max(limit * 5, 50))
    similarity = (matrix[:size] @ matrix[:size].T).toarray()
    relevance = np.array([candidate.score for candidate in ranked[:size]])
    chosen: list[int] = []
    folded: set[int] = set()
    closest = np.zeros(size)
    open_rows = np.ones(size, dtype=bool)
    while len(chosen) < limit and open_rows.any():
        value = np.where(open_rows, MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * closest, -np.inf)
        pick = int(np.argmax(value))
        open_rows[pick] = False
        if chosen and closest[pick] >= NEAR_DUPLICATE:
            folded.add(pick)
            continue
        chosen.append(pick)
        closest = np.maximum(closest, similarity[pick])
    to_chosen = (matrix @ matrix[chosen].T).toarray()
    picked = set(chosen)
    folded.update(i for i in range(size, len(ranked)) if to_chosen[i].max() >= NEAR_DUPLICATE)
    folded.update(i for i in range(size) if open_rows[i] and i not in picked and to_chosen[i].max() >= NEAR_DUPLICATE)
    for index in sorted(folded):
        twin = chosen[int(np.argmax(to_chosen[index]))]
        ranked[twin].folded_ids += [ranked[index].post_id, *ranked[index].folded_ids]
    return [ranked[index] for index in chosen]


def active_learning_queue(
    session: Session, settings: Settings, limit: int = 50, *, since: datetime | None = None
) -> list[QueueCandidate]:
    """The `limit` most informative unlabelled, untriaged posts, near-duplicates folded, best first."""
    ranked = sorted(_candidates(session, settings, since), key=lambda c: (-c.score, c.post_id))
    return _diverse(ranked, limit)


def active_learning_order(
    session: Session, settings: Settings, limit: int = 50, *, since: datetime | None = None
) -> list[int]:
    """Post ids in the order worth labelling (for the web triage queue)."""
    return [candidate.post_id for candidate in active_learning_queue(session, settings, limit, since=since)]


def refresh_label_priorities(session: Session, settings: Settings, limit: int = 500) -> int:
    """Store the current queue's ranks on `post.label_priority` so the web queue can sort by it.

    Posts outside the queue get NULL; the first post gets `limit`, the next `limit - 1`, and so on,
    so the diversity-aware order survives a plain ORDER BY. The caller commits.
    """
    queue = active_learning_order(session, settings, limit)
    session.execute(update(Post).where(Post.label_priority.is_not(None)).values(label_priority=None))
    if queue:
        session.connection().execute(
            update(Post.__table__)
            .where(Post.__table__.c.id == bindparam("post_id"))
            .values(label_priority=bindparam("rank")),
            [{"post_id": post_id, "rank": float(len(queue) - index)} for index, post_id in enumerate(queue)],
        )
    return len(queue)

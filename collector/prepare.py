"""Turn a RawPost from any source into a Post row: the one normalisation path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from pantau.collector.base import RawPost
from pantau.collector.language import detect_language, normalise_language_code
from pantau.collector.normalize import clean_text, content_hash, dedup_key, simhash_many
from pantau.collector.pii import mask_pii
from pantau.storage.models import utcnow

MIN_WORDS_TO_LINK_COPIES = 4
KEPT_LANGUAGES = (None, "id", "ms")
"""With drop_non_indonesian, posts in these languages stay (None: too short to tell; Malay is close)."""


@dataclass(slots=True)
class PreparedPage:
    """A page's rows ready for upsert, with what was fetched and left out (picklable: import workers send it)."""

    rows: list[dict[str, Any]]
    fetched: int
    skipped: int = 0
    dropped_non_indonesian: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(external id, reason) of the posts that could not be prepared."""


def prepare_post(source: str, post: RawPost, *, keep_original_text: bool = True) -> dict[str, Any]:
    """Normalise, mask and fingerprint one post; the dict holds Post columns ready for upsert."""
    row, key = _prepare(source, post, keep_original_text)
    row["simhash"] = simhash_many([key])[0]
    return row


def prepare_posts(
    source: str, posts: Sequence[RawPost], *, keep_original_text: bool = True
) -> tuple[list[dict[str, Any]], list[tuple[RawPost, str]]]:
    """prepare_post for a page at once (SimHash vectorised over the page); unusable posts come back with why."""
    rows: list[dict[str, Any]] = []
    keys: list[str] = []
    failures: list[tuple[RawPost, str]] = []
    for post in posts:
        try:
            row, key = _prepare(source, post, keep_original_text)
        except (ValueError, TypeError) as exc:
            failures.append((post, str(exc)))
            continue
        rows.append(row)
        keys.append(key)
    for row, value in zip(rows, simhash_many(keys), strict=True):
        row["simhash"] = value
    return rows, failures


def prepare_page(
    source: str, posts: Sequence[RawPost], *, keep_original_text: bool = True, drop_non_indonesian: bool = False
) -> PreparedPage:
    """Prepare a page; posts that fail are counted as skipped, as are non-Indonesian ones when asked to drop them."""
    rows, failures = prepare_posts(source, posts, keep_original_text=keep_original_text)
    dropped = 0
    if drop_non_indonesian:
        kept = [row for row in rows if row["lang"] in KEPT_LANGUAGES]
        dropped, rows = len(rows) - len(kept), kept
    return PreparedPage(
        rows=rows,
        fetched=len(posts),
        skipped=len(failures) + dropped,
        dropped_non_indonesian=dropped,
        failures=[(str(post.external_id), reason) for post, reason in failures],
    )


def _prepare(source: str, post: RawPost, keep_original_text: bool) -> tuple[dict[str, Any], str]:
    """Every column but the SimHash, and the dedup key it is computed from."""
    if post.created_at.tzinfo is None:
        raise ValueError("created_at must carry a time zone")
    original = post.text or ""
    cleaned = clean_text(original)
    redacted = mask_pii(cleaned)
    key = dedup_key(cleaned)
    lang = normalise_language_code(post.lang) or detect_language(cleaned)
    row = {
        "source": source,
        "external_id": str(post.external_id)[:128],
        "author": clean_text(post.author)[:256] or None,
        "author_name": clean_text(post.author_name)[:256] or None,
        "url": post.url,
        "created_at": post.created_at.astimezone(UTC),
        "collected_at": utcnow(),
        "text": original if keep_original_text else None,
        "text_clean": cleaned if keep_original_text else redacted,
        "text_redacted": redacted,
        "lang": lang,
        "raw": post.raw,
        "content_hash": content_hash(cleaned, key=key) if key.count(" ") + 1 >= MIN_WORDS_TO_LINK_COPIES else "",
    }
    return row, key

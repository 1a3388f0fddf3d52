"""Turn a RawPost from any source into a Post row: the one normalisation path."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pantau.collector.base import RawPost
from pantau.collector.language import detect_language, normalise_language_code
from pantau.collector.normalize import clean_text, content_hash, dedup_key, simhash
from pantau.collector.pii import mask_pii
from pantau.storage.models import utcnow

MIN_WORDS_TO_LINK_COPIES = 4


def prepare_post(source: str, post: RawPost, *, keep_original_text: bool = True) -> dict[str, Any]:
    """Normalise, mask and fingerprint one post; the dict holds Post columns ready for upsert."""
    if post.created_at.tzinfo is None:
        raise ValueError("created_at must carry a time zone")
    original = post.text or ""
    cleaned = clean_text(original)
    redacted = mask_pii(cleaned)
    key = dedup_key(cleaned)
    lang = normalise_language_code(post.lang) or detect_language(cleaned)
    return {
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
        "simhash": simhash(cleaned, key=key),
    }

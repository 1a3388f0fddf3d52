"""Text normalisation shared by every source: what the classifier reads and what dedup compares."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from hashlib import blake2b as _blake2b

import numpy as np

# Zero-width and bidirectional-control characters: invisible, and a classic way to disguise text.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def clean_text(text: str | None) -> str:
    """NFC, control and invisible characters removed, whitespace collapsed, trimmed."""
    if not text:
        return ""
    if text.isascii() and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text  # already clean: ASCII is NFC, has no invisible characters, and printable means no controls
    # NFC last: removing an invisible character can bring a letter and its accent together again.
    visible = _WHITESPACE.sub(" ", _CONTROL.sub(" ", text.translate(_INVISIBLE))).strip()
    return unicodedata.normalize("NFC", visible)


def dedup_key(text: str) -> str:
    """The text with links, mentions, case, punctuation and emoji removed: copies compare equal."""
    folded = text.casefold()
    if "http" in folded or "www." in folded:
        folded = _URL.sub(" ", folded)
    if "@" in folded:
        folded = _MENTION.sub(" ", folded)
    return _NON_WORD.sub(" ", folded).strip()


def content_hash(text: str, *, key: str | None = None) -> str:
    """SHA-1 of the dedup key; pass `key` when it is already computed."""
    return hashlib.sha1((dedup_key(text) if key is None else key).encode("utf-8")).hexdigest()


def simhash(text: str, *, key: str | None = None) -> int:
    """64-bit SimHash over word bigrams, as a signed integer that fits a BIGINT column."""
    return simhash_many([dedup_key(text) if key is None else key])[0]


_SHINGLE_DIGESTS: dict[str, bytes] = {}
"""Digests of recent word bigrams: common ones recur in post after post. Emptied when it reaches the limit."""
SHINGLE_DIGESTS_LIMIT = 50_000


def simhash_many(keys: list[str]) -> list[int]:
    """SimHash of many dedup keys at once: one vectorised bit count for the whole batch (bulk import)."""
    counts: list[int] = []
    digests: list[bytes] = []
    known = _SHINGLE_DIGESTS
    if len(known) >= SHINGLE_DIGESTS_LIMIT:
        known.clear()
    for key in keys:
        tokens = key.split()
        shingles = tokens if len(tokens) < 2 else [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
        counts.append(len(shingles))
        for shingle in shingles:
            digest = known.get(shingle)
            if digest is None:
                digest = known[shingle] = _blake2b(shingle.encode("utf-8"), digest_size=8).digest()
            digests.append(digest)
    if not digests:
        return [0] * len(keys)
    bits = np.unpackbits(np.frombuffer(b"".join(digests), dtype=np.uint8)).reshape(len(digests), 64)
    sizes = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    nonempty = sizes > 0
    totals = np.zeros((len(keys), 64), dtype=np.int64)
    totals[nonempty] = np.add.reduceat(bits, starts[nonempty], axis=0, dtype=np.int32)
    majority = totals * 2 > sizes[:, None]
    packed = np.packbits(majority, axis=1)
    values = packed.view(">u8").ravel().astype(np.uint64).view(np.int64)
    return [int(value) for value in values]


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()

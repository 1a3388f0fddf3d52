"""Text normalisation shared by every source: what the classifier reads and what dedup compares."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata

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
    normalized = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _WHITESPACE.sub(" ", _CONTROL.sub(" ", normalized)).strip()


def dedup_key(text: str) -> str:
    """The text with links, mentions, case, punctuation and emoji removed: copies compare equal."""
    without_links = _MENTION.sub(" ", _URL.sub(" ", text.casefold()))
    return _NON_WORD.sub(" ", without_links).strip()


def content_hash(text: str, *, key: str | None = None) -> str:
    """SHA-1 of the dedup key; pass `key` when it is already computed."""
    return hashlib.sha1((dedup_key(text) if key is None else key).encode("utf-8")).hexdigest()


def simhash(text: str, *, key: str | None = None) -> int:
    """64-bit SimHash over word bigrams, as a signed integer that fits a BIGINT column."""
    tokens = (dedup_key(text) if key is None else key).split()
    if not tokens:
        return 0
    shingles = tokens if len(tokens) < 2 else [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
    digests = b"".join(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest() for shingle in shingles)
    bit_matrix = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(shingles), 64)
    majority = bit_matrix.sum(axis=0, dtype=np.int32) * 2 > len(shingles)
    value = int.from_bytes(np.packbits(majority).tobytes(), "big")
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()

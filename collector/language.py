"""Language identification limited to the few languages posts about Indonesian services use."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-zA-Z]+")
_INDONESIAN_MARKERS = frozenset(
    [
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "tidak",
        "gak",
        "ga",
        "nggak",
        "enggak",
        "udah",
        "sudah",
        "belum",
        "bisa",
        "tolong",
        "saya",
        "aku",
        "gue",
        "kami",
        "kenapa",
        "gimana",
        "bagaimana",
        "apa",
        "ada",
        "mau",
        "min",
        "kak",
        "dong",
        "sih",
        "aja",
        "juga",
        "lagi",
        "banget",
        "bgt",
        "buat",
        "untuk",
        "dengan",
        "sama",
        "kok",
        "deh",
        "nih",
        "tuh",
        "terus",
        "masih",
        "karena",
        "kalau",
        "kalo",
        "jadi",
        "pakai",
        "pake",
        "akun",
        "klaim",
        "saldo",
        "cair",
    ]
)
_ENGLISH_MARKERS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "not",
        "can't",
        "cannot",
        "please",
        "my",
        "your",
        "this",
        "that",
        "with",
        "for",
        "have",
        "has",
        "been",
        "why",
        "what",
        "how",
        "app",
        "doesn't",
        "don't",
        "won't",
        "it's",
        "i'm",
        "you",
        "we",
        "they",
        "of",
        "to",
        "in",
        "on",
    ]
)


@lru_cache(maxsize=1)
def _lingua_detector():  # type: ignore[no-untyped-def]
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    languages = [Language.INDONESIAN, Language.MALAY, Language.ENGLISH]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


_ISO = {"INDONESIAN": "id", "MALAY": "ms", "ENGLISH": "en"}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code ('id', 'en', 'ms') or None when the text has too few words to tell."""
    # The words are ASCII letters, so lowering ASCII text first finds the same words, casefolded.
    words = _WORD.findall(text.lower()) if text.isascii() else [word.casefold() for word in _WORD.findall(text)]
    if len(words) < 2:
        return None
    indonesian = sum(map(_INDONESIAN_MARKERS.__contains__, words))
    english = sum(map(_ENGLISH_MARKERS.__contains__, words))
    if indonesian >= 2 and indonesian >= 2 * english:
        return "id"
    if english >= 2 and english >= 2 * indonesian:
        return "en"
    detector = _lingua_detector()
    if detector is None:
        return "id" if indonesian >= english else "en"
    language = detector.detect_language_of(text)
    return _ISO.get(language.name) if language is not None else None


# X marks posts it could not place with pseudo-codes: und (undetermined), zxx (no linguistic content),
# qme (media links only), qht (hashtags only), qam (mentions only), qst (very short), qct (cashtags),
# art (emoji or symbols only). None means "not given", so the text is detected instead.
_NOT_A_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "qst", "qct", "art"}


def normalise_language_code(code: str | None) -> str | None:
    """The X API says 'in' for Indonesian; store ISO 639-1 'id' everywhere."""
    if not code:
        return None
    code = code.strip().lower()
    if not code or code in _NOT_A_LANGUAGE:
        return None
    return {"in": "id", "ind": "id"}.get(code, code)

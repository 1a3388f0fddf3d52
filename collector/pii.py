"""Detect and mask personal numbers (NIK, KPJ, phone), e-mail addresses and bank-style numbers.

Claimed coverage: digits separated by any mix of spaces (including non-breaking and thin spaces),
dots, commas, hyphens and dashes (- ‐ ‑ ‒ – — ―  −), slashes, underscores, brackets, and invisible
characters (zero-width space/joiner/non-joiner, word joiner, BOM, soft hyphen), up to three between
two digits; +62 / 62 / 0062 / 0 phone prefixes, with or without brackets; e-mail addresses written
with @, or with (at) / [at] and . / (dot) / [dot]; a mention such as @BPJSTKinfo is not an address.

Privacy wins over readability: exactly sixteen digits in one run are always masked as a NIK (even two
dates written back to back), and a long run that cannot be split into parts that are each masked is
masked whole. Prices after Rp/IDR, dates, times and timestamps, and numbers under ten digits are kept.
"""

from __future__ import annotations

import re

NIK = "[NIK]"
KPJ = "[KPJ]"
PHONE = "[TELEPON]"
EMAIL = "[EMAIL]"
NUMBER = "[NOMOR]"

_SEPARATOR_CHARS = "\\s.,\\-_/()\u00a0\u00ad\u200b\u200c\u200d\u2060\ufeff\u2010-\u2015\u2212"
_SEPARATOR = f"[{_SEPARATOR_CHARS}]"
_DIGIT_RUN = re.compile(rf"\+?\(?\d(?:{_SEPARATOR}{{0,3}}\d)*")
MIN_RUN = 8
"""Shorter runs of digits are kept as they are."""
_LONG_RUN_MARK = re.compile(rf"\d[\d{_SEPARATOR_CHARS}]{{{MIN_RUN - 3}}}")
"""A run of MIN_RUN characters has a digit and MIN_RUN - 3 more digits or separators after at most `+(`: the
costly scan is skipped for texts without one (most posts)."""
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9._%+\-]+\s?[(\[]at[)\]]\s?[A-Za-z0-9\-]+(?:\s?(?:[(\[]dot[)\]]|\.)\s?[A-Za-z]{2,})+",
    re.IGNORECASE,
)
_EMAIL_MARK = re.compile(r"[A-Za-z0-9._%+\-]@[A-Za-z0-9\-]|[(\[]at[)\]]", re.IGNORECASE)
"""Every e-mail pattern needs one of these (an @ between address characters, not a mention's): a cheap test
that skips the costly scan for most posts."""
_DATE = r"\d{1,4}[\-/.]\d{1,2}[\-/.]\d{1,4}"
_DATE_OR_TIME_GROUP = re.compile(rf"^(?:{_DATE}|\d{{1,2}}[.:]\d{{2}})$")
_DATE_GROUP = re.compile(rf"^{_DATE}$")
_SHORT_GROUP = re.compile(r"^\d{1,2}$")
_AMOUNT = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?$")
_CURRENCY_CONTEXT = re.compile(r"(?:\brp\.?|\bidr|\$)\s*$", re.IGNORECASE)
_KPJ_CONTEXT = re.compile(r"(?:kpj|kepesertaan|no\.?\s*peserta|nomor\s+peserta|member)\W{0,3}$", re.IGNORECASE)
_LIST_BREAK = re.compile(r"\s*[/,;]\s*|\s{2,}")
_NON_DIGIT = re.compile(r"\D")
_GROUP_BREAK = re.compile(r"[\s,;]+")


def _is_date_or_time(run: str) -> bool:
    """A date, time or timestamp such as 12-11-2026, 09.30, or 2026-11-12 09 (from 09:00:00)."""
    groups = [group for group in _GROUP_BREAK.split(run) if group]
    if all(_DATE_OR_TIME_GROUP.match(group) for group in groups):
        return True
    return bool(_DATE_GROUP.match(groups[0])) and all(
        _DATE_OR_TIME_GROUP.match(group) or _SHORT_GROUP.match(group) for group in groups[1:]
    )


def _is_international_phone(run: str, digits: str) -> bool:
    """+62 or 0062 written out: a phone number even when the digits add up to sixteen."""
    national = digits[2:] if digits.startswith("00") else digits
    return (run.lstrip("(").startswith("+62") or digits.startswith("0062")) and 9 <= len(national) <= 15


def _is_phone(run: str, digits: str) -> bool:
    return (digits.startswith(("62", "08")) and 9 <= len(digits) <= 15) or _is_international_phone(run, digits)


def _kind(run: str, digits: str, prefix: str) -> str | None:
    """The placeholder for one run of digits, or None to keep it."""
    count = len(digits)
    if _is_international_phone(run, digits):
        return PHONE
    if count == 16:
        return NIK
    if count < 8:
        return None
    if _is_date_or_time(run):
        return None
    if _CURRENCY_CONTEXT.search(prefix) and _AMOUNT.match(run.replace(" ", "")):
        return None
    if _is_phone(run, digits):
        return PHONE
    if _KPJ_CONTEXT.search(prefix):
        return KPJ
    if digits.startswith("0") and 9 <= count <= 12:
        return PHONE
    if count == 11:
        return KPJ
    if count >= 10:
        return NUMBER
    return None


def _mask_run(run: str, prefix: str) -> str:
    digits = _NON_DIGIT.sub("", run)
    if len(digits) <= 16:
        kind = _kind(run, digits, prefix)
        return run if kind is None else kind
    # More than a NIK's worth of digits: a list of numbers ("0812... / 0813...") is masked part by
    # part, but only when every part is masked on its own; otherwise a NIK could hide across parts.
    parts = _LIST_BREAK.split(run)
    if len(parts) > 1:
        separators = _LIST_BREAK.findall(run)
        kinds = [
            _kind(part, _NON_DIGIT.sub("", part), prefix if index == 0 else "") for index, part in enumerate(parts)
        ]
        masked = [kind for kind in kinds if kind is not None]
        if len(masked) == len(parts):
            return "".join(kind + separator for kind, separator in zip(masked, [*separators, ""], strict=True))
    return NUMBER


def mask_pii(text: str) -> str:
    """Replace personal numbers and e-mail addresses with placeholders such as [NIK]."""
    if not text:
        return text
    masked = _EMAIL.sub(EMAIL, text) if _EMAIL_MARK.search(text) else text
    if not _LONG_RUN_MARK.search(masked):
        return masked
    pieces: list[str] = []
    position = 0
    for match in _DIGIT_RUN.finditer(masked):
        run = match.group(0)
        if len(run) < MIN_RUN:
            continue
        pieces.append(masked[position : match.start()])
        pieces.append(_mask_run(run, masked[max(0, match.start() - 30) : match.start()]))
        position = match.end()
    pieces.append(masked[position:])
    return "".join(pieces)


def contains_pii(text: str) -> bool:
    return mask_pii(text) != text

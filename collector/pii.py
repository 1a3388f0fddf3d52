"""Detect and mask personal numbers (NIK, KPJ, phone), e-mail addresses and bank-style numbers.

Claimed coverage: digits separated by any mix of spaces, dots, hyphens, slashes, underscores,
commas, non-breaking or zero-width characters (up to three between two digits), and +62 / 62 / 0
phone prefixes, with or without brackets.
"""

from __future__ import annotations

import re

NIK = "[NIK]"
KPJ = "[KPJ]"
PHONE = "[TELEPON]"
EMAIL = "[EMAIL]"
NUMBER = "[NOMOR]"

_SEPARATOR = r"[\s.\-_/,()\u00a0\u200b\u200c\u200d\u2060\ufeff]"
_DIGIT_RUN = re.compile(rf"\+?\(?\d(?:{_SEPARATOR}{{0,3}}\d)*")
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9._%+\-]+\s?[(\[]at[)\]]\s?[A-Za-z0-9\-]+(?:\s?(?:[(\[]dot[)\]]|\.)\s?[A-Za-z]{2,})+",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"^\d{1,4}([\-/.])\d{1,2}\1\d{1,4}$")
_TIME_OR_DATE_GROUP = re.compile(r"^(?:\d{1,4}[\-/.]\d{1,2}[\-/.]\d{1,4}|\d{1,2}[.:]\d{2})$")
_KPJ_CONTEXT = re.compile(r"(?:kpj|kepesertaan|no\.?\s*peserta|nomor\s+peserta|member)\W{0,3}$", re.IGNORECASE)


def _kind(run: str, digits: str, prefix: str) -> str | None:
    count = len(digits)
    if count < 8:
        return None
    groups = run.split()
    if all(_TIME_OR_DATE_GROUP.match(group) for group in groups) or _DATE_LIKE.match(run):
        return None
    is_phone_prefix = run.lstrip("(").startswith("+62") or digits.startswith("62") or digits.startswith("08")
    if is_phone_prefix and 9 <= count <= 15 and count != 16:
        return PHONE
    if count == 16:
        return NIK
    if _KPJ_CONTEXT.search(prefix):
        return KPJ
    if count == 11:
        return KPJ
    if count >= 10:
        return NUMBER
    return None


_LIST_BREAK = re.compile(r"\s*[/,;]\s*|\s{2,}")


def _mask_run(run: str, prefix: str) -> str:
    digits = re.sub(r"\D", "", run)
    if len(digits) > 16:
        parts = _LIST_BREAK.split(run)
        if len(parts) > 1:
            separators = _LIST_BREAK.findall(run)
            masked = [_mask_run(part, prefix if index == 0 else "") for index, part in enumerate(parts)]
            return "".join(piece for pair in zip(masked, [*separators, ""], strict=True) for piece in pair)
    kind = _kind(run, digits, prefix)
    return run if kind is None else kind


def mask_pii(text: str) -> str:
    """Replace personal numbers and e-mail addresses with placeholders such as [NIK]."""
    if not text:
        return text
    masked = _EMAIL.sub(EMAIL, text)
    pieces: list[str] = []
    position = 0
    for match in _DIGIT_RUN.finditer(masked):
        run = match.group(0).rstrip(" .,-_/()\u00a0")
        if len(run) < 8:
            continue
        pieces.append(masked[position : match.start()])
        pieces.append(_mask_run(run, masked[max(0, match.start() - 30) : match.start()]))
        position = match.start() + len(run)
    pieces.append(masked[position:])
    return "".join(pieces)


def contains_pii(text: str) -> bool:
    return mask_pii(text) != text

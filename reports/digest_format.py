"""Wording shared by the Markdown and HTML digests: Indonesian dates, numbers and changes."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
STATUS_NAMES = {"new": "Baru", "acknowledged": "Diterima", "in_progress": "Diproses"}
AGE_NAMES = ("< 1 hari", "1–3 hari", "3–7 hari", "> 7 hari")
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def zone_name(timezone: str) -> str:
    return ZONE_NAMES.get(timezone, timezone)


def local_time(moment: datetime | None, tz: tzinfo, *, with_date: bool = False) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    clock = local.strftime("%H:%M")
    return f"{short_date(local.date())} {clock}" if with_date else clock


def number(value: float, decimals: int = 0) -> str:
    """Indonesian digits: 1.234 and 4,5."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def signed(value: int) -> str:
    return f"+{number(value)}" if value > 0 else ("±0" if value == 0 else f"−{number(-value)}")


def percent_change(now: float, before: float) -> str:
    if before == 0:
        return "baru" if now > 0 else "—"
    change = (now - before) / before * 100
    return f"+{number(change)}%" if change > 0 else ("±0%" if round(change) == 0 else f"−{number(-change)}%")


def versus_previous(now: int, before: int) -> str:
    if before == 0:
        return "baru" if now else "—"
    return f"{signed(now - before)} ({percent_change(now, before)})"


def change_sentence(display: str, kind: str, before: int, now: int) -> str:
    if kind == "new":
        return f"{display} muncul: {number(now)} unggahan (kemarin tidak ada)."
    if kind == "gone":
        return f"{display} tidak ada lagi (kemarin {number(before)})."
    verb = "naik" if kind == "rising" else "turun"
    return f"{display} {verb} dari {number(before)} menjadi {number(now)} ({percent_change(now, before)})."


def escape_markdown(text: str | None) -> str:
    """Backslash every Markdown control character so post text can never format or link."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are kept; anything else (javascript:, data:) is dropped."""
    if not url or not re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return None
    return url.strip()


def markdown_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def shorten(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

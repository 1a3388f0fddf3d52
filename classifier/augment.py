"""Noise augmentation so the model survives real social-media spelling: typos, slang, casing, punctuation."""

from __future__ import annotations

import csv
import random
import re
import string
from functools import cache
from importlib import resources

# Common Indonesian chat abbreviations (language facts, not taxonomy): formal word -> informal spellings.
INFORMAL_SPELLINGS: dict[str, tuple[str, ...]] = {
    "tidak": ("tdk", "gak", "ga", "gk", "nggak", "ngga", "enggak", "g"),
    "enggak": ("gak", "ga", "gk", "nggak"),
    "sudah": ("udah", "udh", "sdh", "dah", "uda"),
    "belum": ("blm", "blum", "belom"),
    "yang": ("yg", "yng"),
    "banget": ("bgt", "bngt", "bener2", "pake banget"),
    "saya": ("sy", "aku", "aq", "gw", "gue", "ane"),
    "aku": ("aq", "sy", "gw", "gue"),
    "dengan": ("dgn", "sama", "ama"),
    "untuk": ("utk", "buat", "bwt"),
    "karena": ("krn", "karna", "soalnya", "gara2"),
    "juga": ("jg", "jga"),
    "bisa": ("bs", "bsa"),
    "lagi": ("lg", "lgi"),
    "terus": ("trs", "mulu", "terus2an", "trus"),
    "tapi": ("tp", "tpi"),
    "bagaimana": ("gimana", "gmn", "gmana", "bgmn"),
    "gimana": ("gmn", "gmana"),
    "kenapa": ("knp", "napa", "kok"),
    "aplikasi": ("apk", "app", "apps", "aplikasinya"),
    "admin": ("min", "mimin", "adm"),
    "kakak": ("kak", "ka", "kk"),
    "sekali": ("bgt", "bener"),
    "tolong": ("tlg", "tolongin", "plis", "pls"),
    "sampai": ("sampe", "smp", "ampe"),
    "hari": ("hr",),
    "minggu": ("mgg", "mg"),
    "bulan": ("bln",),
    "nomor": ("no", "nmr"),
    "masuk": ("msk", "masup"),
    "kali": ("x", "kl"),
    "cuma": ("cm", "cuman", "doang"),
    "sama": ("sm", "ama"),
    "dari": ("dr", "dri"),
    "ada": ("ad",),
    "apa": ("ap", "apaan"),
    "kalau": ("kalo", "klo", "kl"),
    "begitu": ("gitu", "gt"),
    "seperti": ("kayak", "kyk", "kek", "spt"),
    "mau": ("mo", "mw", "pengen"),
    "tahu": ("tau", "tw"),
    "dulu": ("dl", "dlu"),
    "sekarang": ("skrg", "skrng", "sekarang2"),
    "langsung": ("lgsg", "lsg"),
    "pakai": ("pake", "pk"),
    "kasih": ("ksh",),
    "terima kasih": ("makasih", "mksh", "thx", "tq", "makasi"),
    "error": ("eror", "erorr", "err"),
    "lambat": ("lemot", "lelet", "lola"),
    "gagal": ("gagl", "ggl", "failed"),
}
PUNCTUATION_RE = re.compile(rf"[{re.escape(string.punctuation)}]")
KEYBOARD_NEIGHBOURS = {
    "a": "sqw", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "ry", "u": "yi", "w": "qe", "y": "tu",
}  # fmt: skip


@cache
def informal_map() -> dict[str, tuple[str, ...]]:
    """Formal word -> informal spellings, from the built-in list plus indo-normalizer's slang dictionary."""
    merged: dict[str, set[str]] = {key: set(values) for key, values in INFORMAL_SPELLINGS.items()}
    for slang, formal in slang_pairs():
        if " " not in formal and len(slang) <= 12:
            merged.setdefault(formal, set()).add(slang)
    return {formal: tuple(sorted(spellings)) for formal, spellings in merged.items()}


@cache
def slang_pairs() -> tuple[tuple[str, str], ...]:
    """(slang, formal) pairs shipped by indo-normalizer; empty when the package is missing."""
    try:
        source = resources.files("indo_normalizer").joinpath("corpus/slangs.csv")
        with source.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ()
    return tuple(
        (row["slang"].strip().lower(), row["formal"].strip().lower())
        for row in rows
        if row.get("slang") and row.get("formal")
    )


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.55:
        return word[:i] + word[i + 1 :]
    if kind < 0.75:
        return word[:i] + word[i] * rng.randint(2, 4) + word[i + 1 :]
    neighbours = KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(neighbours) + word[i + 1 :] if neighbours else word


def _drop_vowels(word: str) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    return word[0] + "".join(ch for ch in word[1:] if ch.lower() not in "aeiou")


def noisy_variant(text: str, rng: random.Random, strength: float = 1.0) -> str:
    """Return a noisier spelling of `text` that a person could plausibly have typed; meaning unchanged."""
    spellings = informal_map()
    words = text.split()
    out: list[str] = []
    p_slang, p_typo, p_vowel = 0.35 * strength, 0.06 * strength, 0.03 * strength
    for word in words:
        bare = word.strip(string.punctuation).lower()
        choices = spellings.get(bare)
        if choices and rng.random() < p_slang:
            word = word.lower().replace(bare, rng.choice(choices), 1)
        elif rng.random() < p_typo:
            word = _typo(word, rng)
        elif rng.random() < p_vowel:
            word = _drop_vowels(word)
        out.append(word)
    noisy = " ".join(out)
    roll = rng.random()
    if roll < 0.25 * strength:
        noisy = noisy.lower()
    elif roll < 0.3 * strength:
        noisy = noisy.upper()
    if rng.random() < 0.25 * strength:
        noisy = " ".join(PUNCTUATION_RE.sub(" ", noisy).split())
    return noisy or text

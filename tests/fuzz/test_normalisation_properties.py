"""Normalisation holds for any text: idempotent, no control, bidirectional or zero-width character survives."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pantau.collector.normalize import clean_text, content_hash, dedup_key

BIDI_AND_ZERO_WIDTH = {
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO (U+202E, the "right-to-left override")
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    0x200E,  # LRM
    0x200F,  # RLM
    0x061C,  # Arabic letter mark
    0x200B,  # zero-width space
    0x200C,  # zero-width non-joiner
    0x2060,  # word joiner
    0xFEFF,  # zero-width no-break space / BOM
}
TRICKY = st.sampled_from(
    [chr(code) for code in BIDI_AND_ZERO_WIDTH]
    + ["\x00", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\r\n", "\u2028", "\u3000", "\u00a0", "\u0301", "e", " "]
)
TEXTS = st.lists(st.one_of(st.text(max_size=20), TRICKY), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
@example("e\u200b\u0301")  # an invisible character between a letter and its accent
@example("\u202egnp.exe")
def test_clean_text_is_idempotent_and_leaves_no_control_or_invisible_character(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not any(unicodedata.category(char) == "Cc" for char in cleaned)
    assert not any(ord(char) in BIDI_AND_ZERO_WIDTH for char in cleaned)
    assert cleaned == " ".join(cleaned.split()), "whitespace is collapsed and trimmed"
    assert unicodedata.is_normalized("NFC", cleaned)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(["\u200b", "\u202e", "\u2066", "  ", "\t", "\u00ad\u200c"]))
def test_hiding_invisible_characters_in_a_post_does_not_make_it_a_new_post(text: str, hidden: str) -> None:
    disguised = hidden.join(text.split(" "))
    if hidden.strip() == "":
        assert dedup_key(clean_text(disguised)) == dedup_key(clean_text(text))
    assert content_hash(clean_text(text + hidden)) == content_hash(clean_text(text))

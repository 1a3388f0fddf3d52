"""Text clean-up shared by training and inference, noise augmentation, and held-out filtering."""

from __future__ import annotations

import random

from pantau.classifier.augment import noisy_variant
from pantau.classifier.text import MAX_CHARS, clean_text, is_blank
from pantau.classifier.unlabelled import without_held_out


def test_links_handles_and_personal_numbers_are_normalised() -> None:
    assert clean_text("@BPJSTKinfo OTP gak masuk https://t.co/x1 &amp; NIK 3174052301900007") == (
        "@user OTP gak masuk http & NIK 000"
    )


def test_masked_and_raw_personal_data_look_the_same() -> None:
    assert clean_text("NIK saya [NIK], email [EMAIL]") == clean_text("NIK saya 3174052301900007, email a@b.co")


def test_long_repeats_and_long_posts_are_shortened() -> None:
    assert clean_text("lemooooooot bangetttttt") == "lemooot bangettt"
    assert len(clean_text("kata " * 10_000)) <= MAX_CHARS


def test_blank_means_nothing_word_like() -> None:
    assert is_blank("") and is_blank("  ") and is_blank("😡😡") and is_blank("?!")
    assert not is_blank("ok 😡")


def test_noisy_variants_are_seeded_and_keep_most_words() -> None:
    text = "Saya sudah tiga kali mencoba reset PIN tapi OTP tidak masuk juga"
    first = [noisy_variant(text, random.Random(5)) for _ in range(3)]
    assert first == [noisy_variant(text, random.Random(5)) for _ in range(3)]
    variants = {noisy_variant(text, random.Random(seed)) for seed in range(30)}
    assert len(variants) > 10
    assert all("otp" in variant.lower() for variant in variants)


def test_pretraining_text_never_contains_held_out_posts() -> None:
    texts = ["server JMO down lagi dari pagi", "klaim JHT belum cair", "acara TV semalam seru"]
    held_out = ["Server JMO down lagi dari pagi!!"]
    assert without_held_out(texts, held_out) == ["klaim JHT belum cair", "acara TV semalam seru"]

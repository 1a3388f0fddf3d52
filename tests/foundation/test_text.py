"""Normalisation and personal-data masking as a reader of digests and exports would see them."""

from __future__ import annotations

import pytest

from pantau.collector.normalize import clean_text, content_hash
from pantau.collector.pii import mask_pii


def test_clean_text_collapses_whitespace_and_removes_invisible_controls() -> None:
    assert clean_text("  JMO\u202e  error\x00\n\n lagi\u200b ") == "JMO error lagi"
    assert clean_text("cafe\u0301") == "café"
    assert clean_text(None) == ""


def test_copies_differing_only_in_mentions_links_case_and_emoji_hash_equal() -> None:
    assert content_hash("@BPJSTKinfo JMO down!! https://t.co/x 😡") == content_hash("jmo DOWN @other")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIK saya 3174052301900007 mohon dicek", "NIK saya [NIK] mohon dicek"),
        ("nik 3174 0523 0190 0007.", "nik [NIK]."),
        ("NIK: 3174.0523.0190.0007", "NIK: [NIK]"),
        ("KPJ 19034567812 belum aktif", "KPJ [KPJ] belum aktif"),
        ("wa ke +62 812-3456-7890 ya", "wa ke [TELEPON] ya"),
        ("hubungi 0812 3456 7890 / 081234567890", "hubungi [TELEPON] / [TELEPON]"),
        ("email: nama.saya@gmail.com", "email: [EMAIL]"),
        ("kirim ke budi_99 (at) yahoo (dot) co (dot) id", "kirim ke [EMAIL]"),
        ("Mohon informasinya @BPJSTKinfo. Terima kasih.", "Mohon informasinya @BPJSTKinfo. Terima kasih."),
        ("cc @DitjenPajakRI.co kak", "cc @DitjenPajakRI.co kak"),
        (
            "error 500 tgl 12-11-2026 jam 09.00, saldo Rp 1.500.000",
            "error 500 tgl 12-11-2026 jam 09.00, saldo Rp 1.500.000",
        ),
    ],
)
def test_personal_numbers_are_masked_and_ordinary_numbers_kept(text: str, expected: str) -> None:
    assert mask_pii(text) == expected

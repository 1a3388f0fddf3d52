"""Property tests for personal-data masking: what collector/pii.py claims, tried on generated text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pantau.collector.base import RawPost
from pantau.collector.pii import EMAIL, KPJ, NIK, PHONE, mask_pii
from pantau.collector.prepare import prepare_post

# Every separator the module docstring claims, including the invisible ones.
SEPARATORS = [" ", ".", ",", "-", "_", "/", "(", ")", "\u00a0", "\u2009", "\u202f", "\u00ad", "\u200b", "\u200c"]
SEPARATORS += ["\u200d", "\u2060", "\ufeff", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
WORDS = ["tolong", "min", "NIK", "saya", "klaim", "JHT", "gagal", "terus", "kak", "cek", "ya", "no", "KTP", "dong"]

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
separator = st.text(alphabet=st.sampled_from(SEPARATORS), min_size=0, max_size=3)
words = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
ending = st.sampled_from(["", ".", "!", "?", " 🙏", ", makasih", " ya kak"])


def digit_stream(text: str) -> str:
    return re.sub(r"\D", "", text)


@st.composite
def separated(draw: st.DrawFn, number: str) -> str:
    """`number` with 0-3 claimed separator characters between each pair of digits."""
    pieces = [number[0]]
    for digit in number[1:]:
        pieces.append(draw(separator))
        pieces.append(digit)
    return "".join(pieces)


@st.composite
def nik_in_text(draw: st.DrawFn) -> tuple[str, str]:
    nik = draw(st.text(alphabet="0123456789", min_size=16, max_size=16))
    written = draw(separated(nik))
    before = draw(words)
    text = f"{before}{draw(st.sampled_from([' ', ': ', ' no. ', ' (', ' nik '])) if before else ''}{written}"
    return nik, text + draw(ending)


@settings(deadline=None, max_examples=150)
@given(nik_in_text())
@example(("1234567890123456", "12.34 56.78 90.12 34.56"))
@example(("3174052301900007", "3174,0523,0190,0007"))
@example(("3174052301900007", "nik 3174\u2013\u200b0523 \u00a00190-/0007."))
def test_no_16_digit_nik_survives_any_claimed_separator_mix(case: tuple[str, str]) -> None:
    nik, text = case
    masked = mask_pii(text)
    assert nik not in digit_stream(masked)
    assert NIK in masked or "[NOMOR]" in masked


@settings(deadline=None, max_examples=150)
@given(nik_in_text(), st.integers(min_value=1, max_value=999_999))
def test_a_nik_next_to_another_number_still_never_survives(case: tuple[str, str], other: int) -> None:
    nik, text = case
    for joined in (f"{other} {text}", f"{text} {other}", f"{other}, {text}", f"{text} / {other}"):
        assert nik not in digit_stream(mask_pii(joined)), joined


@settings(deadline=None, max_examples=150)
@given(nik_in_text())
def test_the_stored_redacted_text_never_holds_the_nik(case: tuple[str, str]) -> None:
    nik, text = case
    post = RawPost(external_id="1", text=text, created_at=datetime(2026, 11, 3, tzinfo=UTC))
    row = prepare_post("x_test", post, keep_original_text=False)
    assert nik not in digit_stream(row["text_redacted"])
    assert nik not in digit_stream(row["text_clean"])
    assert row["text"] is None


@st.composite
def phone_in_text(draw: st.DrawFn) -> tuple[str, str]:
    subscriber = "8" + draw(st.text(alphabet="0123456789", min_size=8, max_size=11))
    prefix = draw(st.sampled_from(["+62", "62", "0", "+62 ", "(+62) ", "0062 ", "+62-"]))
    groups = [subscriber[:3], subscriber[3:7], subscriber[7:]]
    joiner = draw(st.sampled_from([" ", "-", ".", "", "\u00a0"]))
    bracketed = prefix == "0" and draw(st.booleans())
    written = f"(0{groups[0]}) {joiner.join(groups[1:])}" if bracketed else prefix + joiner.join(groups)
    lead = draw(st.sampled_from(["wa ke ", "hubungi ", "no hp ", "telp: ", ""]))
    return subscriber, lead + written + draw(ending)


@settings(deadline=None, max_examples=150)
@given(phone_in_text())
def test_phone_numbers_in_every_common_form_are_masked(case: tuple[str, str]) -> None:
    subscriber, text = case
    masked = mask_pii(text)
    assert PHONE in masked
    assert subscriber not in digit_stream(masked)


@st.composite
def email_in_text(draw: st.DrawFn) -> tuple[str, str]:
    local = draw(st.from_regex(r"[a-z][a-z0-9._]{2,15}[a-z0-9]", fullmatch=True))
    domain = draw(st.sampled_from(["gmail.com", "yahoo.co.id", "kemnaker.go.id", "mail.example.org"]))
    at, dot = draw(st.sampled_from([("@", "."), (" (at) ", " (dot) "), ("[at]", "[dot]")]))
    address = f"{local}{at}{domain.replace('.', dot)}"
    lead = draw(st.sampled_from(["email: ", "kirim ke ", "ini emailku ", ""]))
    return local, lead + address + draw(ending)


@settings(deadline=None, max_examples=150)
@given(email_in_text())
def test_email_addresses_are_masked(case: tuple[str, str]) -> None:
    local, text = case
    masked = mask_pii(text)
    assert EMAIL in masked
    assert local not in masked


@settings(deadline=None, max_examples=150)
@given(
    st.text(alphabet="0123456789", min_size=11, max_size=11), st.sampled_from(["KPJ ", "no KPJ: ", "kpj", "member "])
)
def test_kpj_numbers_after_their_label_are_masked(number: str, label: str) -> None:
    masked = mask_pii(f"{label}{number} belum aktif")
    assert number not in digit_stream(masked)
    assert KPJ in masked or PHONE in masked


@st.composite
def ordinary_numbers(draw: st.DrawFn) -> str:
    amount = draw(st.integers(min_value=1_000, max_value=999_999_999_999))
    thousands = f"{amount:,}".replace(",", draw(st.sampled_from([".", ","])))
    price = draw(st.sampled_from(["Rp ", "Rp", "Rp. ", "IDR "])) + thousands
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
    mark = draw(st.sampled_from(["-", "/", "."]))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    when = draw(
        st.sampled_from(
            [
                f"{day:%d}{mark}{day:%m}{mark}{day:%Y}",
                f"{day:%d}{mark}{day:%m}{mark}{day:%Y} {hour:02d}.{minute:02d}",
                f"{day:%d}{mark}{day:%m}{mark}{day:%Y}, {hour:02d}:{minute:02d}",
                f"{day:%Y}-{day:%m}-{day:%d} {hour:02d}:{minute:02d}:00",
                f"{day:%Y}-{day:%m}-{day:%d}T{hour:02d}:{minute:02d}:00Z",
            ]
        )
    )
    code = draw(st.sampled_from(["error 500", "kode error 1001", "HTTP 503", "E-4012", "versi 3.2.1", "OTP 6 digit"]))
    small = str(draw(st.integers(min_value=0, max_value=9_999_999)))
    parts = [f"saldo {price}", f"tgl {when}", code, f"antrean ke-{small}"]
    return " ".join(draw(st.permutations(parts)))


@settings(deadline=None, max_examples=150)
@given(ordinary_numbers())
@example("saldo Rp 1.500.000 tgl 12-11-2026 jam 09.00 error 500")
@example("saldo Rp 2.500.000.000 tgl 2026-11-12 09:00:00 HTTP 503 antrean ke-1234567")
@example("saldo Rp 1.000 tgl 08-01-2000 00.00 error 500 antrean ke-0")
@example("saldo Rp 6.200.000.000 tgl 01-01-2000 error 500 antrean ke-0")
def test_prices_dates_times_and_error_codes_are_kept(text: str) -> None:
    assert mask_pii(text) == text

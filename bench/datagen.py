"""Synthetic posts for benchmarks and fault tests: a JSONL file of any size, written fast and deterministically.

Texts are built from Indonesian complaint phrases, fillers, occasional numbers and mentions, so
normalisation, PII masking, language detection and hashing do their real work; about 3% of lines
repeat an earlier text (exact copies to link). Line i always has id `p{i}` and the same content.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

PHRASES = (
    "udah 3 hari gak bisa login JMO, OTP gak pernah masuk",
    "aktivasi akun gagal terus, data tidak ditemukan",
    "reset PIN error, akun saya terkunci",
    "verifikasi wajah gagal terus padahal terang",
    "saldo JHT tidak update sejak agustus",
    "klaim JHT sudah 2 minggu masih diproses",
    "pencairan JKP ditolak tanpa alasan",
    "validasi rekening gagal waktu klaim",
    "aplikasi force close setelah update",
    "muncul error 500 di menu kartu digital",
    "server down dari pagi gak bisa dibuka",
    "loading terus, timeout mulu",
    "call center 175 gak diangkat",
    "tampilan baru bikin bingung",
    "alhamdulillah klaim cair cepat, mantap",
    "info layanan di kantor cabang akhir pekan ini",
    "the app keeps crashing when I open my balance",
)
FILLERS = ("tolong", "min", "kenapa", "sih", "lagi", "dong", "banget", "udah", "belum", "kapan", "gimana", "ya")
EXTRAS = ("", "", "", " hubungi 0812-3456-7890", " NIK 3174 0512 3456 7890", " @BPJSTKinfo", " https://t.co/abc123")
START = datetime(2026, 1, 1, tzinfo=UTC)


def post_text(index: int, rng: random.Random) -> str:
    if index > 100 and rng.random() < 0.03:
        return post_text(rng.randrange(index), random.Random(rng.randrange(index)))
    words = rng.sample(FILLERS, 3)
    return f"{words[0]} {rng.choice(PHRASES)} {words[1]} {words[2]} #{index % 997}{rng.choice(EXTRAS)}"


def records(count: int, *, seed: int = 1, days: int = 365) -> Iterator[dict[str, object]]:
    """`count` records with ids p0..p{count-1}, spread evenly over `days` days from 2026-01-01."""
    rng = random.Random(seed)
    step = days * 86400 / max(count, 1)
    for index in range(count):
        created = START + timedelta(seconds=int(index * step))
        yield {
            "id": f"p{index}",
            "text": post_text(index, rng),
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "author": f"user{rng.randrange(50_000)}",
            "url": f"https://x.com/i/web/status/{index}",
        }


def write_jsonl(path: Path, count: int, *, seed: int = 1, days: int = 365) -> Path:
    """Write `count` lines; about 140 bytes a line (1,000,000 lines ≈ 150 MB, a few seconds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        buffer: list[str] = []
        for record in records(count, seed=seed, days=days):
            buffer.append(json.dumps(record, ensure_ascii=False))
            if len(buffer) >= 10_000:
                handle.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            handle.write("\n".join(buffer) + "\n")
    return path


def expected_checksum(path: Path) -> tuple[int, str]:
    """(count, sha256) over sorted (id, text) of the file's records: what a complete import must hold."""
    items = []
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                items.append((str(record["id"]), record["text"]))
    return len(items), digest_pairs(items)


def digest_pairs(items: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for external_id, text in sorted(items):
        digest.update(external_id.encode("utf-8") + b"\x1f" + text.encode("utf-8") + b"\x1e")
    return digest.hexdigest()

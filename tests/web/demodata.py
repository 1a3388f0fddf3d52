"""Demo-like data for screenshots: a month of complaints, triage work, collection health and a spike alert."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session
from webdemo import MODEL_VERSION, DemoPost

from pantau.storage.models import Alert, CollectionRun, ModelVersion, Post, SourceState
from pantau.storage.triage import Taxonomy, TriageChange, apply_change

TEMPLATES: dict[str, list[str]] = {
    "account_access": [
        "Udah 3 hari gak bisa login JMO, OTP gak pernah masuk. Tolong dong @BPJSTKinfo",
        "Aktivasi akun JMO gagal terus, katanya data tidak ditemukan padahal udah bener semua",
        "Reset PIN JMO error mulu, sekarang akun saya malah terkunci",
        "Mau ganti nomor HP di JMO harus ke kantor cabang? ribet banget, nomor lama udah hangus",
        "Kode OTP kedaluwarsa duluan sebelum SMS-nya masuk, gimana mau login",
    ],
    "verification_data": [
        "Verifikasi wajah di JMO gagal terus padahal udah di tempat terang",
        "NIK saya katanya tidak sesuai Dukcapil, padahal KTP baru dicetak bulan lalu",
        "Saldo JHT saya gak update sejak Agustus, iuran dari kantor udah dibayar",
        "Nama di kartu kepesertaan salah ketik, gimana cara ubahnya di aplikasi?",
    ],
    "claims_payments": [
        "Klaim JHT udah 2 minggu statusnya masih diproses, kapan cairnya min?",
        "Pencairan JKP ditolak tanpa alasan yang jelas, padahal syarat lengkap",
        "Validasi rekening gagal terus waktu ajukan klaim JHT lewat JMO",
        "Status klaim sudah dibayar tapi dananya belum masuk rekening. Hubungi saya di 081234567890",
        "Klaim JKK untuk rawat jalan belum direimburse sudah sebulan",
    ],
    "app_error": [
        "Aplikasi JMO force close setelah update terbaru, HP saya Android 14",
        "Muncul error 500 tiap buka menu kartu digital di JMO",
        "Upload dokumen di JMO gagal terus, tombol kirim gak berfungsi",
        "Layar putih doang pas buka JMO, udah reinstall tetap sama",
    ],
    "outage_performance": [
        "JMO down lagi?? dari pagi gak bisa dibuka #JMOerror",
        "Server sibuk terus dari tadi, loading muter-muter gak selesai",
        "Lemot banget aplikasinya hari ini, timeout mulu pas cek saldo",
        "Situs dan aplikasi BPJSTKU gak bisa diakses sama sekali sore ini",
    ],
    "customer_service": [
        "Call center 175 gak diangkat-angkat dari tadi pagi",
        "DM ke admin gak dibalas udah 3 hari, tolong ditanggapi",
        "Antrean online penuh terus, akhirnya disuruh datang ke kantor cabang",
    ],
    "other_complaint": [
        "Tampilan JMO yang baru bikin bingung, menu klaim sekarang di mana ya",
        "Hati-hati penipuan mengatasnamakan BPJS Ketenagakerjaan lewat WhatsApp",
    ],
    "not_complaint": [
        "Alhamdulillah klaim JHT cair cuma 5 hari kerja, mantap pelayanannya",
        "Info: BPJS Ketenagakerjaan buka layanan di mal akhir pekan ini",
        "Cara cek saldo JHT lewat JMO gimana ya? baru pertama kali",
    ],
}
AUTHORS = [
    ("rinamrln", "Rina Marlina"),
    ("budi_s", "Budi Santoso"),
    ("dewi.ayu", "Dewi Ayu"),
    ("agus_pratama", "Agus Pratama"),
    ("sitinur", "Siti Nurhaliza"),
    ("yogiekurnia", "Yogie Kurnia"),
    ("nadiaputri", "Nadia Putri"),
    ("hendra88", "Hendra Wijaya"),
    ("lestari_w", "Lestari W."),
    ("fajarrr", "Fajar Ramadhan"),
]
WEIGHTS = {
    "account_access": 6,
    "verification_data": 3,
    "claims_payments": 5,
    "app_error": 4,
    "outage_performance": 2,
    "customer_service": 2,
    "other_complaint": 1,
    "not_complaint": 3,
}


def demo_posts(now: datetime, count: int = 400, days: int = 28, seed: int = 11) -> list[DemoPost]:
    """A month of demo-like complaints: a rising account_access trend and an outage spike two days ago."""
    rng = random.Random(seed)
    labels = list(WEIGHTS)
    posts: list[DemoPost] = []
    for index in range(count):
        age = days * (rng.random() ** 1.15)
        weights = [WEIGHTS[key] * (1.6 if key == "account_access" and age < 10 else 1) for key in labels]
        label = rng.choices(labels, weights=weights)[0]
        if index % 9 == 0:
            label, age = "outage_performance", 2 + rng.random() * 0.4
        text = rng.choice(TEMPLATES[label])
        extra = [] if label == "not_complaint" or rng.random() < 0.8 else ["app_error"]
        handle, name = rng.choice(AUTHORS)
        confidence = round(min(0.99, max(0.32, rng.gauss(0.82, 0.14))), 3)
        posts.append(
            DemoPost(
                external_id=f"d{index:05d}",
                text=text if rng.random() < 0.6 else f"{text} {rng.choice(['#JMO', '@BPJSTKinfo', 'tolong', 'min!!'])}",
                created_at=(now - timedelta(days=age)).astimezone(UTC),
                labels=[label, *[key for key in extra if key != label]],
                confidence=confidence,
                author=handle,
                author_name=name,
                url=f"https://x.com/{handle}/status/{1860000000000000000 + index}",
                source="x_jmo" if index % 3 else "play_jmo",
            )
        )
    return posts


def triage_some(engine: Engine, now: datetime, seed: int = 5) -> None:
    """Work a demo team would have done: older posts mostly resolved or dismissed, some newer ones in hand."""
    rng = random.Random(seed)
    taxonomy = Taxonomy(keys=tuple(WEIGHTS), exclusive="not_complaint")
    with Session(engine) as session:
        for post in session.execute(select(Post).order_by(Post.id)).scalars():
            age = now - post.created_at
            roll = rng.random()
            if age > timedelta(days=9) and roll < 0.8:
                status = "dismissed" if post.primary_label == "not_complaint" or roll < 0.15 else "resolved"
                change = TriageChange(status=status)
            elif age > timedelta(days=1) and roll < 0.35:
                change = TriageChange(
                    status=rng.choice(["acknowledged", "in_progress"]), assignee=rng.choice(["siti", "budi", "rahmat"])
                )
            else:
                continue
            apply_change(session, post, rng.choice(["siti", "budi", "rahmat"]), change, taxonomy)
        session.commit()


def store_demo_context(engine: Engine, now: datetime) -> None:
    """Registry model, collection health and one open alert, so the dashboard has every panel filled."""
    with Session(engine) as session:
        session.add(
            ModelVersion(
                version=MODEL_VERSION,
                path="data/models/" + MODEL_VERSION,
                is_current=True,
                status="current",
                promoted_at=now - timedelta(days=6),
            )
        )
        for source, status, failures in (("x_jmo", "rate_limited", 1), ("play_jmo", "ok", 0), ("demo", "ok", 0)):
            session.add(
                SourceState(
                    source=source,
                    last_success_at=now - timedelta(minutes=14 if failures == 0 else 300),
                    last_failure_at=now - timedelta(minutes=20) if failures else None,
                    last_error="X API rate limit reached (429); resuming after the reset window" if failures else None,
                    consecutive_failures=failures,
                )
            )
            session.add(
                CollectionRun(
                    source=source,
                    started_at=now - timedelta(minutes=14),
                    finished_at=now - timedelta(minutes=13),
                    status=status,
                    fetched=100 if failures else 120,
                    inserted=21 if failures else 37,
                )
            )
        session.add(
            Alert(
                label="outage_performance",
                opened_at=now - timedelta(days=2),
                window_start=now - timedelta(days=2, hours=1),
                updated_at=now - timedelta(days=1, hours=20),
                observed=46,
                expected=4.2,
                score=9.8,
                peak_observed=46,
            )
        )
        session.commit()

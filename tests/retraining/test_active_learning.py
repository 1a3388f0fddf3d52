"""`pantau labels queue` / active_learning_order: uncertain, disputed and diverse posts first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from pantau.reports.active_learning import active_learning_order, current_thresholds, score_scores
from pantau.storage.models import Post
from pantau.storage.triage import Taxonomy, TriageChange, apply_change
from support import pantau

START = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
TAILS = ["", " kak", " min", " tolong dong", " @budi", " #JMOerror", " 😡", " parah", " hadeh", " udh 2x"]
DISTINCT = [
    "PLN Mobile token listrik udah dibayar tapi belum masuk",
    "Coretax lemot banget pas lapor SPT",
    "M-Paspor antrean online penuh terus tiap pagi",
    "Samsat digital bayar pajak gagal, saldo kepotong",
    "KAI Access gak bisa login abis update",
    "IKD verifikasi wajah gagal mulu",
    "Mobile JKN ganti faskes gak bisa",
    "SIAPkerja server down dari kemarin",
    "Sapawarga aplikasinya force close",
    "JKN call center gak diangkat",
    "DJP Online efin gak dikirim ke email",
    "Pospay transfer nyangkut dua hari",
]


def test_fifty_copies_of_one_complaint_do_not_fill_the_top_ten(rt_config, rt_engine, rt_settings, store_posts) -> None:  # type: ignore[no-untyped-def]
    with Session(rt_engine) as session:
        t = current_thresholds(session, rt_settings)
    viral = "JMO OTP gak masuk2 udh sejam, mau klaim JHT jadi ketunda"
    # The viral complaint is the most uncertain of all: two labels right at their thresholds.
    undecided = {**{k: 0.02 for k in t}, "login": t["login"] + 0.01, "payment": t["payment"] - 0.01}
    copies = [(viral + TAILS[i % len(TAILS)], START + timedelta(minutes=i), undecided) for i in range(50)]
    somewhat = [
        (text, START + timedelta(hours=2, minutes=i), {**{k: 0.02 for k in t}, "outage": t["outage"] + 0.08 + i / 100})
        for i, text in enumerate(DISTINCT)
    ]
    confident = [
        (f"Info jadwal layanan {name} minggu ini", START + timedelta(hours=3, minutes=i), {"not_complaint": 0.99})
        for i, name in enumerate(["JMO", "JKN", "PLN", "DJP", "KAI"])
    ]
    triaged = [(f"{text} (sudah dicek)", START + timedelta(hours=4), undecided) for text in DISTINCT[:3]]
    ids = store_posts(rt_engine, copies + somewhat + confident + triaged)
    copy_ids, distinct_ids = set(ids[:50]), set(ids[50 : 50 + len(DISTINCT)])
    confident_ids, triaged_ids = set(ids[62:67]), set(ids[67:])
    taxonomy = Taxonomy(tuple(rt_settings.label_keys), rt_settings.exclusive_label)
    with Session(rt_engine) as session:
        for post_id in triaged_ids:
            apply_change(session, session.get(Post, post_id), "rina", TriageChange(labels=["login"]), taxonomy)
        session.commit()
        order = active_learning_order(session, rt_settings, 10)

    assert len(order) == 10
    assert len(copy_ids & set(order)) == 1, "one slot for the viral complaint"
    assert order[0] in copy_ids, "it is still the most informative post"
    assert not triaged_ids & set(order) and not confident_ids & set(order)
    assert set(order[1:]) <= distinct_ids

    result = pantau("labels", "queue", "--limit", "5", "--format", "json")
    assert result.exit_code == 0, result.stderr
    queue = json.loads(result.stdout)
    assert [item["post_id"] for item in queue] == order[:5]
    # Both margins are 0.01, so which comes first is decided by float rounding of the model's thresholds.
    assert queue[0]["similar_posts"] == 49 and sorted(queue[0]["near_labels"]) == ["login", "payment"]
    csv_out = pantau("labels", "queue", "--limit", "3", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("post_id,score,") and len(csv_out) == 4
    assert "similar" in pantau("labels", "queue", "--limit", "3").stdout


def test_a_complaint_label_and_the_exclusive_label_both_firing_is_a_disagreement() -> None:
    thresholds = {"login": 0.5, "outage": 0.5, "not_complaint": 0.5}
    disputed = score_scores({"login": 0.9, "not_complaint": 0.85, "outage": 0.1}, 0.9, thresholds, "not_complaint")
    clear = score_scores({"login": 0.9, "not_complaint": 0.05, "outage": 0.1}, 0.9, thresholds, "not_complaint")
    assert disputed[2] == 1.0 and clear[2] == 0.0
    assert disputed[0] > clear[0]

"""`pantau labels import`: JSONL, CSV and Label Studio files validated against the taxonomy, line by line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from pantau.storage.models import LabelRow, Post, TriageEvent
from support import pantau

MOMENT = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)


def _label_rows(engine) -> list[LabelRow]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.execute(select(LabelRow).order_by(LabelRow.id)).scalars())


def test_invalid_rows_are_reported_by_line_and_nothing_is_imported(rt_config, rt_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "labels.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"text": "JMO OTP gak masuk", "labels": ["login"]}),
                json.dumps({"text": "PLN Mobile error", "labels": ["app_crash"]}),
                json.dumps({"text": "mantap min", "labels": ["not_complaint", "outage"]}),
                json.dumps({"text": "  ", "labels": ["login"]}),
                "{not json",
                json.dumps({"post_id": 999999, "labels": ["login"]}),
                json.dumps({"text": "server down", "labels": []}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = pantau("labels", "import", str(path))
    assert result.exit_code == 1
    assert "labels.jsonl:2: unknown label(s) app_crash" in result.stderr
    assert "labels.jsonl:3: not_complaint cannot be combined with other labels" in result.stderr
    assert "labels.jsonl:4: empty text" in result.stderr
    assert "labels.jsonl:5: invalid JSON" in result.stderr
    assert "labels.jsonl:6: post_id 999999 not found" in result.stderr
    assert "labels.jsonl:7: no labels" in result.stderr
    assert "6 invalid row(s)" in result.stderr
    assert _label_rows(rt_engine) == []

    result = pantau("labels", "import", str(path), "--skip-invalid", "--by", "ani")
    assert result.exit_code == 0, result.stderr
    assert "1 new and 0 updated label row(s)" in result.stdout
    (row,) = _label_rows(rt_engine)
    assert (row.text, row.labels, row.labelled_by, row.provenance) == (
        "JMO OTP gak masuk",
        ["login"],
        "ani",
        "import:labels.jsonl:1",
    )


def test_spreadsheets_and_label_studio_exports_land_in_the_training_export(
    rt_config, rt_engine, tiny_models, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "text,labels,annotator\n"
        '"Coretax lemot parah, loading terus",Gangguan & lambat,sari\n'
        '"Mobile JKN: OTP ga masuk; bayar iuran gagal","login; payment",sari\n',
        encoding="utf-8",
    )
    one_hot = tmp_path / "one_hot.tsv"
    one_hot.write_text("text\tlogin\tpayment\toutage\tnot_complaint\nSamsat down terus\t\t\tx\t\n", encoding="utf-8")
    studio_min = tmp_path / "studio_min.json"
    studio_min.write_text(
        json.dumps([{"id": 7, "text": "cara bayar pajak di Samsat gimana?", "sentiment": "not_complaint",
                     "annotator": "joko@example.id", "updated_at": "2026-11-20T10:00:00Z"}]),
        encoding="utf-8",
    )  # fmt: skip
    studio_full = tmp_path / "studio.json"
    studio_full.write_text(
        json.dumps(
            [
                {"id": 9, "data": {"text": "KAI Access gagal login, akun kekunci"},
                 "annotations": [{"completed_by": 3, "result": [
                     {"type": "choices", "from_name": "issue", "value": {"choices": ["login"]}}]}]},
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    for path, extra in ((sheet, ()), (one_hot, ()), (studio_min, ("--label-field", "sentiment")), (studio_full, ())):
        result = pantau("labels", "import", str(path), *extra)
        assert result.exit_code == 0, f"{path.name}: {result.stderr}"

    stored = {row.text: row for row in _label_rows(rt_engine)}
    assert stored["Coretax lemot parah, loading terus"].labels == ["outage"], "display names map to keys"
    assert stored["Mobile JKN: OTP ga masuk; bayar iuran gagal"].labels == ["login", "payment"]
    assert stored["Samsat down terus"].labels == ["outage"]
    assert stored["cara bayar pajak di Samsat gimana?"].labelled_by == "joko@example.id"
    assert stored["KAI Access gagal login, akun kekunci"].labels == ["login"]

    export = tmp_path / "export.jsonl"
    result = pantau("labels", "export", "--output", str(export), "--corpus", str(tiny_models.corpus))
    assert result.exit_code == 0, result.stderr
    imported = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    imported = [row for row in imported if row["origin"] == "import"]
    assert len(imported) == 5
    assert {row["provenance"] for row in imported} >= {"import:sheet.csv:2", "import:studio.json:item1"}
    assert all(row["split"] in {"train", "dev", "test"} for row in imported)


def test_reimporting_a_text_updates_its_labels(rt_config, rt_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "JMO gak bisa login!!", "labels": "login"}) + "\n", encoding="utf-8")
    assert pantau("labels", "import", str(path)).exit_code == 0
    path.write_text(json.dumps({"text": "jmo GAK bisa login", "labels": "login,outage"}) + "\n", encoding="utf-8")
    result = pantau("labels", "import", str(path))
    assert "0 new and 1 updated" in result.stdout
    (row,) = _label_rows(rt_engine)
    assert row.labels == ["login", "outage"]


def test_rows_naming_a_stored_post_become_triage_corrections(rt_config, rt_engine, store_posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (post_id,) = store_posts(rt_engine, [("M-Paspor antrean online penuh terus", MOMENT, {"outage": 0.7})])
    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps({"post_id": post_id, "labels": ["login"]}) + "\n", encoding="utf-8")
    result = pantau("labels", "import", str(path), "--by", "tester")
    assert result.exit_code == 0, result.stderr
    assert "imported 1 triage correction(s)" in result.stdout
    with Session(rt_engine) as session:
        post = session.get(Post, post_id)
        assert post is not None and post.corrected_labels == ["login"] and post.triaged_by == "tester"
        events = session.execute(select(TriageEvent).where(TriageEvent.post_id == post_id)).scalars().all()
        assert [(e.field, e.actor, e.new_value) for e in events] == [("labels", "tester", ["login"])]
    assert _label_rows(rt_engine) == []

"""Hostile post text through every output: digest (HTML, Markdown, e-mail), CSV and JSONL export.

HTML/JS, SQL-ish strings, right-to-left overrides, zero-width characters and spreadsheet formulas
must come out as inert text: escaped in HTML, backslashed in Markdown, quoted in CSV cells, exact
in JSON, and the database must hold every post unharmed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.core.config import Settings
from pantau.reports.channels import Message, build_email
from pantau.reports.digest import make_digest
from pantau.storage.classifications import pending_posts, record_verdicts
from pantau.storage.models import Post
from pantau.storage.posts import upsert_posts
from support import Verdict, pantau

DAY = date(2026, 11, 12)
HOSTILE = {
    "script": "<script>alert(1)</script> aplikasi error terus",
    "img": '<img src=x onerror=alert(1)> "quoted" </textarea> login gagal',
    "sql": "'; DROP TABLE post;-- klaim belum cair",
    "rtl": "server down \u202egnp.exe\u202c sejak pagi",
    "zero-width": "O\u200bT\u200cP tidak\u2060 masuk\ufeff",
    "equals": '=HYPERLINK("http://evil.example","klik") saldo hilang',
    "plus": "+62 812 3456 7890 tolong dibantu",
    "minus": "-1+1 aplikasi lemot",
    "at": "@SUM(A1:A9) cs tidak membalas",
    "markdown": "[klik](javascript:alert(1)) **tebal** `kode` # judul @everyone",
}
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")


def store_hostile_posts(engine: Engine, labels: list[str]) -> None:
    """One post per payload, spread over the complaint labels so every one is among the digest's top posts."""
    moment = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)
    rows = [
        prepare_post(
            "demo",
            RawPost(external_id=key, text=text, created_at=moment, author=f"<b>{key}</b>'; --", url="javascript:x()"),
        )
        for key, text in HOSTILE.items()
    ]
    with Session(engine) as session:
        upsert_posts(session, rows)
        pending = pending_posts(session)
        verdicts = [
            Verdict([label], label, scores={label: 0.9})
            for label in (labels[index % len(labels)] for index in range(len(pending)))
        ]
        record_verdicts(session, pending, verdicts, "hostile-test")
        session.commit()


def assert_inert_html(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html
    assert not re.search(r"<[^>]+\son\w+\s*=", html)
    assert 'href="javascript:' not in html.lower()
    assert "\u202e" not in html and "\u200b" not in html


def test_digest_html_markdown_and_email_show_hostile_text_as_text(engine: Engine, settings: Settings) -> None:
    store_hostile_posts(engine, settings.complaint_labels)
    outcome = make_digest(engine, settings, DAY, ["md", "html"])
    html, markdown = outcome.contents["html"], outcome.contents["md"]

    assert_inert_html(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "DROP TABLE post" in html
    assert "](javascript:" not in markdown
    assert "\\[klik\\]\\(javascript:alert\\(1\\)\\)" in markdown
    assert "<script>" not in markdown and "<b>" not in markdown and "\\<b\\>" in markdown

    email = build_email(settings.email, Message("Pantau digest", markdown, html=html, recipients=("ops@example.org",)))
    parsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert_inert_html(parsed.get_body(("html",)).get_content())
    assert "\n" not in str(parsed["Subject"])
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == len(HOSTILE)


def test_csv_export_neutralises_formulas_and_jsonl_keeps_text_exact(
    engine: Engine, settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    store_hostile_posts(engine, settings.complaint_labels)
    csv_file, jsonl_file = tmp_path / "out.csv", tmp_path / "out.jsonl"
    assert pantau("export", "--format", "csv", "--output", str(csv_file)).exit_code == 0
    assert pantau("export", "--format", "jsonl", "--output", str(jsonl_file)).exit_code == 0

    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8"))))
    assert len(rows) == len(HOSTILE)
    for row in rows:
        for name, cell in row.items():
            assert not FORMULA_START.match(cell), f"{name}: {cell!r} would run as a formula"
    by_id = {row["external_id"]: row for row in rows}
    assert by_id["equals"]["text"].startswith("'=HYPERLINK(")
    assert by_id["at"]["text"].startswith("'@SUM(")
    assert by_id["sql"]["text"] == HOSTILE["sql"]

    records = [json.loads(line) for line in jsonl_file.read_text(encoding="utf-8").splitlines()]
    texts = {record["external_id"]: record["text"] for record in records}
    assert texts["sql"] == HOSTILE["sql"] and texts["script"] == HOSTILE["script"]
    assert "\u202e" not in texts["rtl"] and "\u200b" not in texts["zero-width"]
    assert texts["equals"] == HOSTILE["equals"], "JSON is not a spreadsheet: the text stays exact"

"""`pantau import` stores each post once, keeps unknown fields, and names the bad lines."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from pantau.storage.models import CollectionRun, Post
from support import pantau


def _write_jsonl(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            record = {
                "id": f"p{index}",
                "text": f"JMO gak bisa login lagi nomor {index} &amp; OTP gak masuk",
                "created_at": f"2026-11-{1 + index % 14:02d}T{index % 24:02d}:15:00+07:00",
                "author": f"user{index % 97}",
                "url": f"https://x.com/user/status/{index}",
                "likes": index % 5,
            }
            handle.write(json.dumps(record) + "\n")
    return path


def test_importing_the_same_10000_line_file_twice_stores_10000_posts(tmp_path: Path, config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    source_file = _write_jsonl(tmp_path / "posts.jsonl", 10_000)
    first = pantau("import", str(source_file), "--source", "archive")
    assert first.exit_code == 0, first.stderr
    assert "10000 new" in first.stdout
    second = pantau("import", str(source_file), "--source", "archive")
    assert second.exit_code == 0, second.stderr
    assert "0 new, 10000 already stored" in second.stdout
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == 10_000
        post = session.execute(select(Post).where(Post.external_id == "p7")).scalar_one()
        assert post.raw == {"likes": 2}
        assert post.author == "user7"
        assert post.created_at.isoformat() == "2026-11-08T00:15:00+00:00"
        runs = session.execute(select(CollectionRun).order_by(CollectionRun.id)).scalars().all()
        assert [(run.inserted, run.duplicates, run.status) for run in runs] == [(10_000, 0, "ok"), (0, 10_000, "ok")]


def test_broken_lines_are_named_and_good_lines_imported(tmp_path: Path, config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "server down", "created_at": "2026-11-02T10:00:00+07:00"}\n'
        b'{"id": "b", "text": "broken\n'
        b'{"id": "c", "text": "klaim JHT nyangkut", "created_at": "2026-11-02T11:00:00Z"}\n'
        b'{"id": "d", "text": "no time"}\n'
        b'{"id": "e", "text": "bad bytes \xff\xfe", "created_at": "2026-11-02"}\n'
        b"[1, 2]\n"
        b'{"id": "f", "text": "waktu aneh", "created_at": "kemarin sore"}\n'
    )
    result = pantau("import", str(path), "--source", "mixed", "--errors", str(tmp_path / "bad.tsv"))
    assert result.exit_code == 1
    assert "2 new" in result.stdout
    assert "mixed.jsonl:2: invalid JSON" in result.stderr
    assert "mixed.jsonl:4: missing created_at" in result.stderr
    assert "mixed.jsonl:5: not valid UTF-8" in result.stderr
    assert "mixed.jsonl:6: expected a JSON object" in result.stderr
    assert "mixed.jsonl:7: unrecognised timestamp" in result.stderr
    assert (tmp_path / "bad.tsv").read_text().count("\n") == 5
    with Session(engine) as session:
        ids = sorted(session.execute(select(Post.external_id)).scalars())
    assert ids == ["a", "c"]


def test_csv_with_bom_crlf_and_quoted_newlines_imports(tmp_path: Path, config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_bytes(
        "\ufeffid,text,created_at,author,url,rating\r\n"
        '1,"Aplikasi JMO force close,\r\nsetelah update",2026-11-03 08:00,budi,https://x.com/budi/status/1,1\r\n'
        "2,Mantap pelayanannya,2026-11-03 09:00,sari,,5\r\n"
        "3,kolom kurang\r\n".encode()
    )
    result = pantau("import", str(path), "--source", "sheet")
    assert result.exit_code == 1
    assert "posts.csv:5: expected 6 columns, found 2" in result.stderr
    with Session(engine) as session:
        posts = session.execute(select(Post).order_by(Post.external_id)).scalars().all()
        assert [post.external_id for post in posts] == ["1", "2"]
        assert posts[0].text_clean == "Aplikasi JMO force close, setelah update"
        assert posts[0].raw == {"rating": "1"}
        assert posts[0].created_at.isoformat() == "2026-11-03T01:00:00+00:00"


def test_missing_file_is_a_usage_error(tmp_path: Path, config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    result = pantau("import", str(tmp_path / "missing.jsonl"), "--source", "x")
    assert result.exit_code == 2
    assert "file not found" in result.stderr

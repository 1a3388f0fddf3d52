"""Personal data never leaves through `pantau export` unless the config and the command both ask for it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.storage.classifications import pending_posts, record_verdicts
from pantau.storage.models import Post
from support import Verdict, pantau, write_config

SECRETS = {
    "nik": "3174052301900007",
    "nik_spaced": "3174 0523 0190 0008",
    "phone": "+62 812-3456-7890",
    "phone_local": "0813 9876 5432",
    "email": "siti.rahayu88@gmail.com",
}
POSTS = [
    f"Min NIK saya {SECRETS['nik']} gak kebaca di JMO, tolong dicek",
    f"nik {SECRETS['nik_spaced']} ditolak terus, wa ke {SECRETS['phone']} ya",
    f"Sudah email ke {SECRETS['email']} belum dibalas, hp {SECRETS['phone_local']}",
    "Klaim JHT saya Rp 12.500.000 belum cair sejak 12-11-2026, error 500",
]


def _import(tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for index, text in enumerate(POSTS):
            record = {"id": f"p{index}", "text": text, "created_at": f"2026-11-20T{index + 8:02d}:00:00+07:00"}
            handle.write(json.dumps(record) + "\n")
    result = pantau("import", str(source), "--source", "archive")
    assert result.exit_code == 0, result.stderr


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _assert_no_secret(output: str) -> None:
    for secret in SECRETS.values():
        assert secret not in output
    assert "3174052301900007" not in _digits(output)
    assert "3174052301900008" not in _digits(output)
    assert "81234567890" not in _digits(output) and "81398765432" not in _digits(output)
    assert "siti.rahayu88" not in output


def test_export_masks_nik_phone_and_email_in_every_format(tmp_path: Path, config_path: Path, engine: Engine) -> None:
    _import(tmp_path)

    jsonl = pantau("export", "--format", "jsonl")
    csv = pantau("export", "--format", "csv")

    assert jsonl.exit_code == 0 and csv.exit_code == 0
    for output in (jsonl.stdout, csv.stdout):
        _assert_no_secret(output)
        assert "[NIK]" in output and "[TELEPON]" in output and "[EMAIL]" in output
        assert "Rp 12.500.000" in output and "12-11-2026" in output
    refused = pantau("export", "--unredacted")
    assert refused.exit_code == 2
    assert "show_unredacted_to_admins" in refused.stderr
    _assert_no_secret(refused.stdout)


def test_unredacted_export_needs_the_config_switch_and_the_flag(
    tmp_path: Path, config_path: Path, engine: Engine
) -> None:
    database_url = engine.url.render_as_string(hide_password=False)
    write_config(tmp_path, database_url, privacy={"show_unredacted_to_admins": True})
    _import(tmp_path)

    _assert_no_secret(pantau("export").stdout)
    unredacted = pantau("export", "--unredacted")

    assert unredacted.exit_code == 0
    assert SECRETS["nik"] in unredacted.stdout and SECRETS["email"] in unredacted.stdout


def test_without_keep_original_text_the_unmasked_text_is_never_stored(
    tmp_path: Path, config_path: Path, engine: Engine
) -> None:
    database_url = engine.url.render_as_string(hide_password=False)
    write_config(tmp_path, database_url, privacy={"keep_original_text": False, "show_unredacted_to_admins": True})
    _import(tmp_path)

    with Session(engine) as session:
        for post in session.execute(select(Post)).scalars():
            assert post.text is None
            _assert_no_secret(post.text_clean + post.text_redacted + json.dumps(post.raw))
    _assert_no_secret(pantau("export", "--unredacted").stdout)


def test_the_digest_shows_only_masked_text(tmp_path: Path, config_path: Path, engine: Engine) -> None:
    _import(tmp_path)
    with Session(engine) as session:
        pending = pending_posts(session)
        record_verdicts(
            session,
            pending,
            [Verdict(["verification_data"], "verification_data", scores={"verification_data": 0.9})] * len(pending),
            "m1",
        )
        session.commit()

    for fmt in ("md", "html"):
        digest = pantau("digest", "--date", "2026-11-20", "--format", fmt)
        assert digest.exit_code == 0, digest.stderr
        _assert_no_secret(digest.stdout)
        assert "[NIK]" in digest.stdout.replace("\\", "")

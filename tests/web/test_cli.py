"""`pantau users` and `pantau serve` from the command line."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from pantau.storage.users import authenticate, get_user, hash_token, user_for_token
from support import pantau


def test_users_add_list_token_disable(config_path: Path, engine: Engine) -> None:
    added = pantau("users", "add", "Siti", "--role", "triager", "--password-stdin", input="rahasia-sekali\n")
    assert added.exit_code == 0, added.stderr
    assert "siti" in added.stderr
    with Session(engine) as session:
        user = authenticate(session, "siti", "rahasia-sekali")
        assert user is not None and user.role == "triager"
        assert user.password_hash.startswith("$argon2")

    token = pantau("users", "token", "siti")
    assert token.exit_code == 0
    raw = token.stdout.strip()
    with Session(engine) as session:
        assert get_user(session, "siti").token_hash == hash_token(raw)  # type: ignore[union-attr]
        assert user_for_token(session, raw) is not None

    listing = pantau("users", "list")
    assert "siti" in listing.stdout and "triager" in listing.stdout and raw not in listing.stdout

    assert pantau("users", "disable", "siti").exit_code == 0
    with Session(engine) as session:
        assert user_for_token(session, raw) is None
        assert authenticate(session, "siti", "rahasia-sekali") is None


def test_users_add_refuses_bad_input(config_path: Path, engine: Engine) -> None:
    assert pantau("users", "add", "budi", "--role", "boss", "--password-stdin", input="long enough\n").exit_code == 2
    assert pantau("users", "add", "budi", "--password-stdin", input="short\n").exit_code == 2
    assert pantau("users", "add", "bad name!", "--password-stdin", input="long enough\n").exit_code == 2
    assert pantau("users", "add", "budi", "--password-stdin", input="long enough\n").exit_code == 0
    again = pantau("users", "add", "budi", "--password-stdin", input="long enough\n")
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert pantau("users", "token", "nobody").exit_code == 1


def test_help_teaches_with_examples(sqlite_config_path: Path) -> None:
    for command in (["serve", "--help"], ["users", "add", "--help"], ["users", "token", "--help"]):
        result = pantau(*command)
        assert result.exit_code == 0
        assert "Example" in result.stdout

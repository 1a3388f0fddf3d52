"""Web users: argon2 password hashes, API bearer tokens stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlmodel import Session

from pantau.storage.models import USER_ROLES, User

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
TOKEN_PREFIX = "pantau_"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a login takes as long for a missing user.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(ValueError):
    """A user cannot be created or changed; the message is one line for the operator."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username.lower())).scalar_one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def add_user(session: Session, username: str, password: str, role: str) -> User:
    """Create an account; the caller commits."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise UserError("username must be 1-64 characters: lowercase letters, digits, '.', '_' or '-'")
    if role not in USER_ROLES:
        raise UserError(f"role must be one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if get_user(session, name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(username=name, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    session.add(user)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled user whose password matches, else None (same work whether or not the user exists)."""
    user = get_user(session, username) if USERNAME_PATTERN.match(username.strip().lower()) else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def issue_token(session: Session, user: User) -> str:
    """A new API token for `user` (replacing any earlier one); only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.token_hash = hash_token(token)
    session.add(user)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    user = session.execute(select(User).where(User.token_hash == hash_token(token))).scalar_one_or_none()
    return None if user is None or user.disabled else user


def set_disabled(session: Session, user: User, disabled: bool = True) -> None:
    """Disabling also revokes the API token."""
    user.disabled = disabled
    if disabled:
        user.token_hash = None
    session.add(user)

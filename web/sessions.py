"""Signed session cookies: who is logged in, their CSRF token, and when the session began.

The cookie holds no secret; it is signed with HMAC-SHA256 so it cannot be forged. A session ends when
it expires, when the user logs out, is disabled, or changes password (the cookie carries a fingerprint
of the password hash, so a new password invalidates every older cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass, field

from pantau.core.config import Settings, secret

logger = logging.getLogger(__name__)

COOKIE_NAME = "pantau_session"


@dataclass(slots=True)
class SessionData:
    username: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    issued_at: int = field(default_factory=lambda: int(time.time()))
    password_mark: str | None = None


def password_mark(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, key: bytes, max_age_seconds: int) -> None:
        self._key = key
        self.max_age_seconds = max_age_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionSigner:
        """Key from the environment variable the config names, else a random one for this process only."""
        value = secret(settings.web.session_secret_env)
        if value is None:
            logger.warning(
                "%s is not set: using a random session secret, so sessions end when the server restarts",
                settings.web.session_secret_env,
            )
            key = secrets.token_bytes(32)
        else:
            key = hashlib.sha256(value.encode()).digest()
        return cls(key, settings.web.session_hours * 3600)

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, data: SessionData) -> str:
        document = {"u": data.username, "c": data.csrf, "t": data.issued_at, "p": data.password_mark}
        payload = _b64(json.dumps(document, separators=(",", ":")).encode())
        return f"{payload}.{self._signature(payload)}"

    def loads(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie, or None when it is missing, forged, malformed or expired."""
        if not cookie or len(cookie) > 4096 or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature, self._signature(payload)):
            return None
        try:
            document = json.loads(_unb64(payload))
            data = SessionData(
                username=document["u"], csrf=document["c"], issued_at=int(document["t"]), password_mark=document["p"]
            )
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(data.csrf, str) or time.time() - data.issued_at > self.max_age_seconds:
            return None
        return data

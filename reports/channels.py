"""The two push channels: SMTP e-mail (STARTTLS) and a JSON webhook. Errors never carry a secret."""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import httpx

from pantau.core.config import EmailSettings, Settings, WebhookSettings, secret

_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


class _HideUrlPaths(logging.Filter):
    """httpx logs every request URL at INFO; webhook URLs carry their secret in the path or query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{arg.scheme}://{arg.host}/***" if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_HideUrlPaths())


class DeliveryError(Exception):
    """A channel refused or failed; the message is one line with every secret removed."""


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    """Plain text / Markdown: the e-mail's text part and the webhook's text."""
    html: str | None = None
    full_path: str | None = None
    """Where the complete message is stored, named when a chat message has to be shortened."""
    recipients: tuple[str, ...] = field(default_factory=tuple)
    idempotency_key: str | None = None
    """The same for every attempt of one delivery (Message-ID, Idempotency-Key), so receivers can drop a resend."""


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return " ".join(text.split())[:500]


def _with_inline_images(html: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Swap data: URIs for cid: references; many mail clients (Gmail) block data: images."""
    images: list[tuple[str, bytes]] = []

    def swap(match: re.Match[str]) -> str:
        cid = make_msgid(idstring=f"chart{len(images) + 1}", domain="pantau")
        images.append((cid, base64.b64decode(match.group(1))))
        return f'src="cid:{cid[1:-1]}"'

    return _DATA_PNG.sub(swap, html), images


def build_email(settings: EmailSettings, message: Message) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = settings.from_address
    email["To"] = ", ".join(message.recipients)
    email["Date"] = formatdate(localtime=False)
    key = message.idempotency_key
    email["Message-ID"] = f"<{key}@pantau>" if key else make_msgid(domain="pantau")
    email.set_content(message.text)
    if message.html is not None:
        html, images = _with_inline_images(message.html)
        email.add_alternative(html, subtype="html")
        html_part = email.get_payload()[-1]
        for cid, data in images:
            html_part.add_related(data, maintype="image", subtype="png", cid=cid)
    return email


def send_email(settings: Settings, message: Message) -> None:
    """Send through the configured relay: STARTTLS when configured, login when a username is set."""
    options = settings.email
    if not message.recipients:
        raise DeliveryError("no recipients configured")
    password = secret(options.password_env)
    if options.username and not password:
        raise DeliveryError(f"email.username is set but ${options.password_env} is empty")
    context = ssl.create_default_context(cafile=str(settings.path(options.ca_file)) if options.ca_file else None)
    try:
        with smtplib.SMTP(options.smtp_host, options.smtp_port, timeout=options.timeout_seconds) as smtp:
            smtp.ehlo()
            if options.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if options.username:
                smtp.login(options.username, password or "")
            smtp.send_message(build_email(options, message), options.from_address, list(message.recipients))
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise DeliveryError(
            f"SMTP {options.smtp_host}:{options.smtp_port}: {type(exc).__name__}: " + scrub(str(exc), [password])
        ) from None


def shorten(text: str, limit: int, full_path: str | None) -> str:
    if len(text) <= limit:
        return text
    note = f"\n\n… (dipotong; versi lengkap: {full_path})" if full_path else "\n\n… (dipotong)"
    return text[: max(0, limit - len(note))].rstrip() + note


def post_webhook(settings: WebhookSettings, message: Message) -> None:
    """POST {"text": ...}: Slack incoming webhooks take it as is; Telegram with chat_id in the URL."""
    url = secret(settings.url_env)
    if not url:
        raise DeliveryError(f"webhook.enabled is set but ${settings.url_env} is empty")
    payload = {"text": shorten(message.text, settings.max_chars, message.full_path)}
    try:
        headers = {"Idempotency-Key": message.idempotency_key} if message.idempotency_key else {}
        response = httpx.post(url, json=payload, headers=headers, timeout=settings.timeout_seconds)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {scrub(str(exc), [url])}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}: {scrub(response.text, [url])[:200]}")

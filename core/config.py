"""Typed settings loaded once from config.yaml; secrets come only from the environment."""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pantau.core.incident_config import AdjustedSettings, IncidentSettings, SlaSettings

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PACKAGE_ROOT / "config.yaml"
DEFAULT_MODEL_DIR = PACKAGE_ROOT / "classifier" / "default_model"


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the user."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class DatabaseSettings(Section):
    url: str = "sqlite:///data/pantau.db"
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)


class PrivacySettings(Section):
    keep_original_text: bool = True
    """When false the unredacted text is never stored; only the masked text is kept."""
    show_unredacted_to_admins: bool = False
    """Outputs (digests, exports, pages, alerts) use redacted text unless this is switched on."""


class SourceBase(Section):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,62}$")]
    enabled: bool = True
    interval_minutes: int = Field(default=15, ge=1, le=24 * 60)
    drop_non_indonesian: bool = False
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)


class DemoSource(SourceBase):
    type: Literal["demo"]
    path: str = "data/demo/posts.jsonl"
    max_posts_per_run: int | None = Field(default=None, ge=1)


class XSource(SourceBase):
    type: Literal["x"]
    query: str = Field(min_length=1, max_length=512)
    max_pages: int = Field(default=5, ge=1, le=1000)
    max_results: int = Field(default=100, ge=10, le=100)
    bearer_token_env: str = "X_BEARER_TOKEN"
    max_rate_limit_wait_seconds: int = Field(default=900, ge=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0, le=120)
    api_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(:\d+)?/?$")
    """Send API requests here instead of https://api.twitter.com (a loopback fake in tests, or a proxy)."""


class GooglePlaySource(SourceBase):
    type: Literal["google_play"]
    app_id: str = Field(min_length=3)
    lang: str = "id"
    country: str = "id"
    max_reviews: int = Field(default=1000, ge=1, le=100_000)
    page_size: int = Field(default=200, ge=1, le=200)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0, le=120)


class FileSource(SourceBase):
    type: Literal["file"]
    path: str
    format: Literal["auto", "jsonl", "csv"] = "auto"


SourceSettings = Annotated[DemoSource | XSource | GooglePlaySource | FileSource, Field(discriminator="type")]


class ClassifierSettings(Section):
    model_dir: str | None = None
    """Model directory to use when the registry names no current model; default: the shipped model."""
    base_model: str | None = None
    """Checkpoint `pantau train` fine-tunes: a Hugging Face model directory on disk."""
    threads: int = Field(default=2, ge=1, le=256)
    precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    """auto: bfloat16 where the CPU computes it in hardware (same labels as float32, ~1.4x faster), else float32;
    int8: dynamic quantisation (fastest; a post's scores can shift slightly with the posts batched beside it)."""
    quantize: bool = False
    """Shorthand for precision int8."""
    batch_size: int = Field(default=64, ge=1, le=4096)
    review_threshold: float = Field(default=0.6, ge=0, le=1)
    max_length: int = Field(default=128, ge=8, le=2048)
    models_dir: str = "data/models"
    """Where `pantau train` writes candidates and the registry keeps model versions."""
    promotion_tolerance: float = Field(default=0.02, ge=0, le=1)
    """How far a candidate's macro-F1 and each label's recall on the fixed test split may fall below the
    current model's and still be promoted without --force."""


class DriftSettings(Section):
    """When the weekly drift figure says "consider retraining" (reports/drift.py, shown in the digest)."""

    baseline_weeks: int = Field(default=4, ge=1, le=26)
    """The week is compared with this many weeks before it."""
    min_posts: int = Field(default=100, ge=1)
    """Weeks (or baselines) with fewer classified posts give no drift figure."""
    review_share_increase: float = Field(default=0.05, ge=0, le=1)
    """Flag when the share of posts below classifier.review_threshold rises by at least this (0.05 = 5 points)."""
    label_shift: float = Field(default=0.03, gt=0, le=1)
    """Flag when the Jensen-Shannon divergence (base 2, 0..1) between the week's label mix and the baseline's
    reaches this."""


class TaxonomyLabel(Section):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    display: str
    description: str = ""
    exclusive: bool = False
    """An exclusive label (e.g. not_complaint) never combines with another and is not a complaint."""


class ScheduleSettings(Section):
    classify_after_collect: bool = True
    alert_check_minutes: int = Field(default=60, ge=1, le=24 * 60)
    digest_time: time = time(7, 0)
    retention_days: int = Field(default=730, ge=1)
    retention_time: time = time(3, 30)
    misfire_grace_seconds: int = Field(default=3600, ge=1)
    jobstore_url: str | None = None
    """Where APScheduler persists jobs; default: the main database."""
    delivery_retry_minutes: int = Field(default=5, ge=1, le=24 * 60)
    """How often the scheduler retries deliveries that failed and are due again."""


class DigestSettings(Section):
    output_dir: str = "data/digests"
    formats: list[Literal["md", "html"]] = ["md", "html"]
    top_posts_per_label: int = Field(default=3, ge=0, le=50)
    trend_days: int = Field(default=14, ge=2, le=90)
    send: bool = False
    """Whether the scheduled digest is sent through the enabled channels (files are always written)."""
    recipients: list[str] = []


class EmailSettings(Section):
    enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str = "PANTAU_SMTP_PASSWORD"
    from_address: str = "pantau@localhost"
    timeout_seconds: float = Field(default=30.0, gt=0)
    ca_file: str | None = None
    """Extra CA certificate (PEM) to trust for STARTTLS, e.g. an internal relay's self-signed certificate."""


class WebhookSettings(Section):
    enabled: bool = False
    url_env: str = "PANTAU_WEBHOOK_URL"
    """Webhook URLs often embed a secret, so the URL itself is read from this environment variable."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_chars: int = Field(default=3500, ge=200, le=40_000)
    """Longer messages are cut with a pointer to the full file (Telegram allows 4096 characters)."""


class AlertSettings(Section):
    min_count: int = Field(default=5, ge=1)
    z_threshold: float = Field(default=3.0, gt=0)
    baseline_weeks: int = Field(default=4, ge=1, le=52)
    resolve_after_quiet_hours: int = Field(default=2, ge=1, le=72)
    recipients: list[str] = []
    max_delivery_attempts: int = Field(default=5, ge=1, le=50)
    """Attempts per delivery (alerts and digests) before it is marked failed; it stays in the database."""
    retry_backoff_seconds: int = Field(default=60, ge=1, le=24 * 3600)
    """Wait before the first retry; each further retry waits three times longer (capped at 6 hours)."""
    backfill_days: int = Field(default=60, ge=1, le=3650)
    """How far back from the newest post a check evaluates hours whose posts arrived late (imports)."""
    deliver_max_age_hours: int = Field(default=24, ge=1)
    """Alerts about hours older than this (found in a backfill) are stored but not pushed to channels."""
    sample_posts: int = Field(default=5, ge=1, le=50)


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_secret_env: str = "PANTAU_SESSION_SECRET"
    page_size: int = Field(default=50, ge=1, le=500)
    login_attempts_per_minute: int = Field(default=5, ge=1)
    """Failed logins allowed per username and client address in any 60 seconds; more answer 429."""
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = False
    """Mark the session cookie Secure; switch on when the app is served over HTTPS."""
    language: Literal["id", "en"] = "id"
    """Language of the web app's own labels; issue types always use their taxonomy display names."""
    dashboard_days: int = Field(default=28, ge=14, le=366)


class Settings(Section):
    timezone: str = "Asia/Jakarta"
    data_dir: str = "data"
    database: DatabaseSettings = DatabaseSettings()
    privacy: PrivacySettings = PrivacySettings()
    sources: list[SourceSettings] = []
    classifier: ClassifierSettings = ClassifierSettings()
    drift: DriftSettings = DriftSettings()
    taxonomy: list[TaxonomyLabel] = []
    schedule: ScheduleSettings = ScheduleSettings()
    digest: DigestSettings = DigestSettings()
    alerts: AlertSettings = AlertSettings()
    email: EmailSettings = EmailSettings()
    webhook: WebhookSettings = WebhookSettings()
    web: WebSettings = WebSettings()
    incidents: IncidentSettings = IncidentSettings()
    sla: SlaSettings = SlaSettings()
    adjusted: AdjustedSettings = AdjustedSettings()
    base_dir: Path = Field(default=PACKAGE_ROOT, exclude=True)
    """Directory relative paths in this file are resolved against (the config file's directory)."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value[:80]!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique, repeated: {', '.join(duplicates)}")
        keys = [label.key for label in self.taxonomy]
        if len(set(keys)) != len(keys):
            raise ValueError("taxonomy keys must be unique")
        if sum(label.exclusive for label in self.taxonomy) > 1:
            raise ValueError("at most one taxonomy label may be exclusive")
        unknown_sla = sorted(set(self.sla.targets) - set(keys)) if self.taxonomy else []
        if unknown_sla:
            raise ValueError(f"sla.targets names unknown issue type(s): {', '.join(unknown_sla)}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, value: str | Path) -> Path:
        """Resolve a path from the config against the config file's directory."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url

    @property
    def label_keys(self) -> list[str]:
        return [label.key for label in self.taxonomy]

    @property
    def exclusive_label(self) -> str | None:
        return next((label.key for label in self.taxonomy if label.exclusive), None)

    @property
    def complaint_labels(self) -> list[str]:
        return [label.key for label in self.taxonomy if not label.exclusive]

    def display_name(self, key: str) -> str:
        return next((label.display for label in self.taxonomy if label.key == key), key)

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(source.name for source in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in the config (known: {known})")

    def default_model_dir(self) -> Path:
        return self.path(self.classifier.model_dir) if self.classifier.model_dir else DEFAULT_MODEL_DIR


def config_path() -> Path:
    return Path(os.environ.get("PANTAU_CONFIG") or DEFAULT_CONFIG_PATH).expanduser().resolve()


def _location(loc: tuple[Any, ...], document: Any) -> str:
    """Render a pydantic error location as `sources[1].max_results`, naming sources by index."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in {"demo", "x", "google_play", "file"} and parts and parts[-1].startswith("["):
            continue
        else:
            key = str(item)
            parts.append(("." if parts else "") + (key if key.isprintable() and key.strip() == key else repr(key)))
    return "".join(parts) or "(top level)"


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (secrets such as tokens and passwords belong in environment variables)"
    if error["type"] == "union_tag_invalid":
        return "unknown source type; expected one of demo, x, google_play, file"
    if error["type"] == "union_tag_not_found":
        return "missing 'type' (one of demo, x, google_play, file)"
    return " ".join(str(error["msg"]).split())


def parse_settings(document: Any, *, source: Path, base_dir: Path | None = None) -> Settings:
    """Validate a parsed YAML document; raise ConfigError with one line naming the file and key."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping of sections at the top level")
    try:
        settings = Settings.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{source}: {_location(first['loc'], document)}: {_describe(first)}{suffix}") from None
    settings.base_dir = (base_dir or source.parent).resolve()
    env_url = os.environ.get("PANTAU_DATABASE_URL")
    if env_url:
        settings.database.url = env_url
    return settings


def load_settings(path: str | Path | None = None) -> Settings:
    """Load and validate the config file named by `path`, $PANTAU_CONFIG or the bundled config.yaml."""
    source = Path(path).expanduser().resolve() if path else config_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read config file: {exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}: invalid YAML{where}: {problem}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        # PyYAML builds dates and numbers itself: `2026-02-30` raises ValueError, deep nesting RecursionError.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{source}: invalid YAML: {reason}") from None
    return parse_settings(document, source=source)


def secret(name: str) -> str | None:
    """Read a secret from the environment; empty values count as missing."""
    value = os.environ.get(name, "").strip()
    return value or None

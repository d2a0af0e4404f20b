"""Every setting, read once from the environment and `.env`, validated at start-up."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from booking.smtp import check_address, parse_smtp_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/booking.db"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


class Settings(BaseSettings):
    """The product's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = Field(default=10, ge=1, le=200)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)

    business_id: int | None = Field(default=None, ge=1)
    staff_id: int | None = Field(default=None, ge=1)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_request_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (IPs or CIDRs); none by default,
    # so a client cannot pick the address the failed-authentication throttle counts against.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"

    livekit_url: str | None = None
    livekit_api_key: SecretStr | None = None
    livekit_api_secret: SecretStr | None = None
    google_api_key: SecretStr | None = None

    agent_name: str = "booking-receptionist"
    agent_health_port: int = Field(default=8081, ge=0, le=65535)
    gemini_model: str = "gemini-3.8-live"
    # Every tool blocks the model until it answers: a non-blocking tool lets the model say
    # "you're booked" before the booking exists. Kept as a setting only to refuse the other.
    gemini_tool_behavior: str = "blocking"
    # Vertex AI instead of an AI Studio key (Google Cloud's data-processing terms).
    google_genai_use_vertexai: bool = False
    google_cloud_project: str | None = None
    google_cloud_location: str = "us-central1"
    google_application_credentials: str | None = None
    # Gemini's own detection of the caller's speech, tuned for 8 kHz phone lines.
    speech_start_sensitivity: Literal["low", "high"] = "low"
    speech_end_sensitivity: Literal["low", "high"] = "high"
    speech_end_silence_ms: int = Field(default=700, ge=100, le=5000)
    speech_prefix_padding_ms: int = Field(default=200, ge=0, le=2000)
    gemini_voice: str = "Puck"
    gemini_temperature: float = Field(default=0.6, ge=0.0, le=2.0)
    agent_language: str | None = None
    # Where the Gemini Live client connects instead of Google; only the tests set it, to reach
    # their local stand-in. Leave unset in production.
    gemini_base_url: str | None = None
    transcription_notice: str = "This call is transcribed to help us serve you."
    transcript_retention_days: int = Field(default=30, ge=0, le=3650)
    tool_timeout_seconds: float = Field(default=8.0, gt=0, le=60)
    silence_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    model_stall_seconds: float = Field(default=6.0, gt=0, le=60)
    drain_timeout_seconds: float = Field(default=600.0, ge=0, le=3600)
    # Confirmations and reminders by email; neither set: no email.
    smtp_url: SecretStr | None = None
    mail_from: str | None = None
    # Confirmations, reminders and replies by text message; none: no texts.
    sms_provider: Literal["twilio", "telnyx", "none"] = "none"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    telnyx_api_key: SecretStr | None = None
    telnyx_public_key: str | None = None  # base64 ed25519 key that signs Telnyx's webhooks
    # The address the provider calls (https://host), when a proxy changes what the app sees:
    # Twilio signs the URL it called.
    sms_public_url: str | None = None
    # Where the provider clients connect instead of the providers; only the tests set them.
    twilio_base_url: str = "https://api.twilio.com"
    telnyx_base_url: str = "https://api.telnyx.com"
    # Webhooks and staff calendars may be on private, loopback or link-local addresses: for a
    # business that runs its own server (a Nextcloud) on its LAN. Off: public addresses only.
    outbound_allow_private: bool = False
    # Staff calendars (ICS feeds, CalDAV accounts): how often each is read, the largest answer
    # read (bytes), and how long one read may take in all.
    calendar_sync_minutes: int = Field(default=5, ge=1, le=1440)
    calendar_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    calendar_fetch_timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    @field_validator("transcription_notice")
    @classmethod
    def _notice_can_be_off(cls, value: str) -> str:
        # An empty variable means "default" here (env_ignore_empty), so "off" is how to skip it.
        return "" if value.strip().lower() in {"off", "none"} else value.strip()

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_readable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_address(cls, value: str | None) -> str | None:
        return check_address(value) if value is not None else None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("must be a comma-separated list of IP addresses or CIDR networks")
        return tuple(_network(str(item)) for item in items if str(item).strip())

    @field_validator("gemini_tool_behavior")
    @classmethod
    def _tools_block(cls, value: str) -> str:
        if value.strip().lower() != "blocking":
            raise ValueError(
                "must be blocking: with non-blocking tools the model may tell a caller they are "
                "booked before the booking exists"
            )
        return "blocking"

    @model_validator(mode="after")
    def _vertex_complete(self) -> Settings:
        if self.google_genai_use_vertexai:
            if not self.google_cloud_project:
                raise ValueError(
                    "GOOGLE_CLOUD_PROJECT is required when GOOGLE_GENAI_USE_VERTEXAI is true"
                )
            if not self.google_application_credentials:
                raise ValueError(
                    "GOOGLE_APPLICATION_CREDENTIALS (a service account key file) is required "
                    "when GOOGLE_GENAI_USE_VERTEXAI is true"
                )
            if not Path(self.google_application_credentials).is_file():
                raise ValueError(
                    f"GOOGLE_APPLICATION_CREDENTIALS: no file at "
                    f"{self.google_application_credentials}"
                )
        return self

    @model_validator(mode="after")
    def _email_complete(self) -> Settings:
        if (self.smtp_url is None) != (self.mail_from is None):
            missing = "SMTP_URL" if self.smtp_url is None else "MAIL_FROM"
            raise ValueError(f"{missing} is needed too: email needs both SMTP_URL and MAIL_FROM")
        return self

    @model_validator(mode="after")
    def _sms_complete(self) -> Settings:
        needed = {
            "twilio": {
                "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            },
            "telnyx": {
                "TELNYX_API_KEY": self.telnyx_api_key,
                "TELNYX_PUBLIC_KEY": self.telnyx_public_key,
            },
        }.get(self.sms_provider, {})
        missing = [name for name, value in needed.items() if value is None]
        if missing:
            raise ValueError(f"SMS_PROVIDER={self.sms_provider} needs {' and '.join(missing)}")
        return self

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL, so its folder can be created before connecting."""
        if not self.is_sqlite:
            return None
        raw = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return None if raw in ("", ":memory:") else Path(raw)

    def agent_settings_given(self) -> dict[str, bool]:
        """Which of the four settings the phone agent needs are present."""
        return {
            "LIVEKIT_URL": bool(self.livekit_url),
            "LIVEKIT_API_KEY": self.livekit_api_key is not None,
            "LIVEKIT_API_SECRET": self.livekit_api_secret is not None,
            "GOOGLE_API_KEY": self.google_api_key is not None or self.google_genai_use_vertexai,
        }


def _network(text: str) -> str:
    """One trusted proxy as a normalised network; a name or wildcard would trust nobody (or
    everybody) without a word, so it is refused."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"
        ) from None


def validate_timezone(name: str) -> ZoneInfo:
    """Resolve an IANA zone name or raise ValueError saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/London"
        ) from exc


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["loc"]:
                problems.append(f"{str(error['loc'][0]).upper()}: {message}")
            else:  # a rule over several settings names them itself
                problems.append(message)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()

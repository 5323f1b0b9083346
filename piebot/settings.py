"""Settings from the environment or a `.env` file, in one typed place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    # Pointing this at a local server is how the tests and the demo run the real bot offline.
    telegram_api_base_url: str = Field(default=TELEGRAM_API, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default="sqlite:///piebot.db", alias="DATABASE_URL")
    timezone: str = Field(default="Europe/London", alias="PIEBOT_TIMEZONE")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Signs deep links and peer-review codes. Falls back to one derived from the token,
    # so a single-variable set-up is still safe; set it explicitly to rotate tokens freely.
    signing_secret: SecretStr | None = Field(default=None, alias="PIEBOT_SIGNING_SECRET")
    webhook_url: str | None = Field(default=None, alias="PIEBOT_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="PIEBOT_WEBHOOK_SECRET")
    webhook_listen: str = Field(default="0.0.0.0", alias="PIEBOT_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, alias="PIEBOT_WEBHOOK_PORT")

    @field_validator("telegram_bot_token", "signing_secret", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        # `TELEGRAM_BOT_TOKEN= make run` should read as "no token", not as an empty one.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("signing_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # It keys the sealed ballots of anonymous answers and the keyed hashes that find them: a short
        # one could be guessed by whoever holds a copy of the database.
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes long (try: openssl rand -hex 32)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/London)") from exc
        return value

    @property
    def file_base_url(self) -> str:
        # Telegram serves files from /file/bot<token>/...; a local server mirrors that layout.
        base = self.telegram_api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    def secret_bytes(self) -> bytes:
        if self.signing_secret is not None:
            return self.signing_secret.get_secret_value().encode()
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else "piebot"
        import hashlib

        return hashlib.sha256(b"piebot-signing:" + token.encode()).digest()

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()

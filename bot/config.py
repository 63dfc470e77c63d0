"""The bot process's configuration (the operator's), read from environment variables only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from redis_access.settings import RedisSettings

MB = 1024 * 1024


class BotConfig(RedisSettings):
    """Every knob of the bot process; names are the environment variables, upper-cased (the
    Redis ones are ``RedisSettings``', shared with the worker)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"  # a self-hosted or fake Bot API server
    styles_dir: Path = Path("styles")  # preset style images; names come from the file names
    queue_cap: int = Field(default=200, ge=1)  # queued jobs beyond which users hear "busy"
    max_download_bytes: int = Field(default=20 * MB, ge=1)  # getFile's limit on the cloud API
    default_locale: str = "en"
    log_level: str = "INFO"
    delivery_consumer: str = "bot-1"  # consumer name in the delivery group; one bot replica
    polling_timeout: int = Field(default=10, ge=0)  # seconds of getUpdates long polling
    progress_interval: float = Field(default=1.0, gt=0)  # seconds between status updates
    photo_size: int = Field(default=512, ge=0)  # default shorter side of results from photos
    style_size: int = Field(default=512, ge=0)
    # Clips (animations, videos, video notes): longest accepted, frames' shorter side of the
    # result (0 keeps the source's), highest frame rate of the result.
    max_video_seconds: float = Field(default=15.0, gt=0)
    video_size: int = Field(default=360, ge=0)
    video_fps: int = Field(default=24, ge=1, le=60)
    # Webhook mode: the public HTTPS address Telegram posts updates to (its path is served);
    # unset, the bot uses long polling.
    webhook_url: str | None = None
    webhook_port: int = Field(default=8080, ge=1, le=65535)  # where this replica listens
    webhook_secret: SecretStr | None = None  # unset: one generated and kept in Redis
    # A chat the bot may post in (a private channel with the bot as an admin): guest mode and
    # inline presets upload each result there first, as an inline message can only show a
    # file Telegram already has. Unset, both say how to use the bot instead.
    media_chat_id: int | None = None
    # Seconds the updates in progress get after SIGTERM; below compose's stop_grace_period.
    shutdown_grace: float = Field(default=20.0, ge=0)

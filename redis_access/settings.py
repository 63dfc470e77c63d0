"""Where Redis is, as the bot and the worker both read it from their environment."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from redis_access.address import (
    DEFAULT_MASTER,
    DEFAULT_URL,
    RedisAddress,
    check_url,
    parse_sentinels,
)
from redis_access.replication import DEFAULT_TIMEOUT


class RedisSettings(BaseSettings):
    """Where Redis is, as the bot and the worker both read it (docs/worker.md, "Redis")."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    redis_url: str = DEFAULT_URL  # one Redis; unused when REDIS_SENTINELS is set
    redis_password: SecretStr | None = None  # any characters; replaces the URL's password
    # Sentinel: "host:port,host:port,…" of the sentinels, and the master's name they monitor.
    redis_sentinels: str | None = None
    redis_sentinel_master: str = Field(DEFAULT_MASTER, min_length=1)
    redis_sentinel_password: SecretStr | None = None
    # Acknowledged writes wait for this many connected replicas, at most this long (seconds).
    redis_wait_replicas: int = Field(1, ge=0)
    redis_wait_timeout: float = Field(DEFAULT_TIMEOUT, gt=0, le=30)

    @field_validator("redis_url")
    @classmethod
    def _a_redis_url(cls, url: str) -> str:
        return check_url(url)

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinels(cls, text: str | None) -> str | None:
        if text is not None and text.strip():
            parse_sentinels(text)
            return text
        return None

    def redis_address(self) -> RedisAddress:
        """What the clients connect to (``redis_access.clients``)."""
        secret = self.redis_password
        password = secret.get_secret_value() if secret else None
        if not self.redis_sentinels:
            return RedisAddress(url=self.redis_url, password=password or None)
        sentinel_secret = self.redis_sentinel_password
        return RedisAddress(
            password=password or None,
            sentinels=parse_sentinels(self.redis_sentinels),
            master=self.redis_sentinel_master,
            sentinel_password=sentinel_secret.get_secret_value() if sentinel_secret else None,
        )

"""The worker's configuration, from environment variables only (names: the fields, upper-case)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.redis_url import (
    DEFAULT_MASTER,
    DEFAULT_URL,
    RedisAddress,
    check_url,
    parse_sentinels,
)
from worker.replication import DEFAULT_TIMEOUT


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
        """What the clients connect to (``worker.redis_connection``)."""
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


class WorkerConfig(RedisSettings):
    """`python -m worker` reads these; see docs/worker.md for what each one changes.

    Nothing here imports torch, so that `python -m worker health` starts fast.
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    weights_dir: Path = Path("weights")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    metrics_port: int = Field(0, ge=0, le=65535)  # 0: no metrics endpoint
    worker_name: str | None = None  # RQ's worker name; default a random one
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    fast_path: bool = True  # false: the plain float32 networks (for comparison or debugging)
    # The CPU fast path's engine: auto = OpenVINO where installed (it measured faster), else
    # PyTorch; openvino refuses to start without it; torch = the fused PyTorch networks.
    cpu_engine: Literal["auto", "openvino", "torch"] = "auto"
    max_pixels: int | None = Field(None, gt=0)  # larger uploads: too_large; None: the model's
    jpeg_quality: int = Field(92, ge=1, le=95)
    max_video_seconds: float = Field(15.0, gt=0)  # longer clips get too_long (as the bot's)
    style_cache_size: int = Field(256, ge=0)  # style statistics kept (a few KB each)
    content_cache_size: int = Field(4, ge=0)  # content feature maps kept
    content_cache_mb: int = Field(512, ge=0)  # ... and their total size
    heartbeat_interval: int = Field(5, ge=1)  # seconds between heartbeats of a running job
    maintenance_interval: int = Field(10, ge=1)  # seconds between looks for abandoned jobs
    worker_ttl: int = Field(30, ge=16)  # seconds of silence after which a worker is not alive

    @model_validator(mode="after")
    def _heartbeats_fit_the_ttl(self) -> WorkerConfig:
        if 2 * self.heartbeat_interval > self.worker_ttl:
            raise ValueError(
                "HEARTBEAT_INTERVAL must be at most half of WORKER_TTL, "
                "or a busy worker would look dead to the health check"
            )
        return self

"""The worker's configuration, from environment variables only (names: the fields, upper-case)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from redis_access.settings import RedisSettings


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

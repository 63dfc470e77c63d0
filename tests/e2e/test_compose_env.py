"""The bot and a worker started with exactly the Redis settings docker-compose.yml gives them,
against a redis-server whose password holds every character that ends a part of a URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bot.harness import text
from tests.conftest import free_port
from tests.e2e.conftest import Stacks
from tests.e2e.users import photo

pytestmark = pytest.mark.e2e

REPO = Path(__file__).parents[2]
PASSWORD = "p/a#s?s@w:rd%"
REDIS_SETTINGS = ("REDIS_URL", "REDIS_PASSWORD", "LOG_LEVEL")


class ComposeLoader(yaml.SafeLoader):
    """YAML with Compose's `!reset` and `!override` tags (unused by the services read here)."""


ComposeLoader.add_constructor("!reset", lambda loader, node: None)
ComposeLoader.add_constructor("!override", lambda loader, node: None)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}`` and ``${VAR:-default}`` over ``env``."""

    def one(match: re.Match[str]) -> str:
        return env.get(match.group(1)) or (match.group(2) or "")

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", one, value)


def compose_redis_env(service: str, redis_port: int) -> dict[str, str]:
    """The service's Redis settings as compose resolves them with REDIS_PASSWORD in .env,
    the host ``redis`` being this test's redis-server."""
    compose: dict[str, Any] = yaml.load(
        (REPO / "docker-compose.yml").read_text(), Loader=ComposeLoader
    )
    environment = compose["services"][service]["environment"]
    env = {k: interpolate(str(environment[k]), {"REDIS_PASSWORD": PASSWORD})
           for k in REDIS_SETTINGS}  # fmt: skip
    env["REDIS_URL"] = env["REDIS_URL"].replace("//redis:6379/", f"//127.0.0.1:{redis_port}/")
    return env


def test_a_password_with_url_special_characters_serves_a_pair(make_stack: Stacks) -> None:
    stack = make_stack(redis_password=PASSWORD)
    port = stack.redis_server.port
    worker_env, bot_env = compose_redis_env("worker", port), compose_redis_env("bot", port)
    assert worker_env["REDIS_PASSWORD"] == bot_env["REDIS_PASSWORD"] == PASSWORD
    assert PASSWORD not in worker_env["REDIS_URL"]
    stack.start_workers("worker-a", METRICS_PORT=str(free_port()), **worker_env)
    stack.start_bot(**bot_env)
    api, chat = stack.api, 2401
    api.send_photo(chat, photo(96, 96, seed=1))
    stack.wait("the content to be taken", lambda: text("got-content") in api.texts(chat))
    api.send_photo(chat, photo(96, 96, seed=2))
    [result] = stack.wait("the result", lambda: api.results(chat), timeout=120)
    assert result.is_photo
    stack.check_alive()

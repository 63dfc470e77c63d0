"""The module maps in the docs list every module of the bot, the worker and the Redis code they
share, and nothing that is gone: a new module is written into its map, or this test fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def modules(package: str) -> set[str]:
    return {str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")}


def bot_map() -> set[str]:
    """The paths of the file list at the top of docs/bot.md: ``bot/x.py`` lines, and indented
    ``name.py`` lines under the ``bot/folder/`` line above them."""
    text = (ROOT / "docs" / "bot.md").read_text()
    block = re.search(r"^```\n(bot/.*?)^```", text, re.S | re.M)
    assert block, "docs/bot.md lost its module map"
    listed, folder = set(), ""
    for line in block.group(1).splitlines():
        name = line.split()[0] if line.strip() else ""
        if line.startswith("bot/") and name.endswith("/"):
            folder = name
        elif line.startswith("bot/"):
            listed.add(name)
        elif line.startswith("  ") and name.endswith(".py"):
            listed.add(folder + name)
    return listed


def worker_map() -> set[str]:
    """Every backquoted ``…/x.py`` path in the "Modules" section of docs/worker.md."""
    text = (ROOT / "docs" / "worker.md").read_text()
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`((?:worker|redis_access)/[\w/]+\.py)`", section))


@pytest.mark.parametrize(
    ("packages", "listed"),
    [(("bot",), bot_map), (("worker", "redis_access"), worker_map)],
    ids=["bot", "worker"],
)
def test_every_module_is_in_its_doc_map_and_nothing_else(
    packages: tuple[str, ...], listed: Callable[[], set[str]]
) -> None:
    present = set().union(*(modules(p) for p in packages))
    documented = listed()
    assert sorted(present - documented) == [], "modules missing from the doc map"
    assert sorted(documented - present) == [], "the doc map names modules that are gone"

"""Nothing in Redis grows forever: after many chats and button presses, every key the bot and
the workers wrote either expires or is one of a bounded few (a chat's state, per chat; queues,
registries and streams, per deployment), and both streams hold nothing already handled."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.users import photo

pytestmark = pytest.mark.e2e
CHATS = list(range(901, 931))  # thirty
PRESSES = CHATS[:10]
PER_DEPLOYMENT = 16  # queues, registries, the worker set, the two streams, …: not per chat


def family(key: str) -> str:
    """The key with its ids (chat, job, file, worker) replaced, to count keys by kind."""
    return re.sub(r"(?<=:)[^:]*\d[^:]*", "<id>", key)


def test_keys_without_a_ttl_are_one_per_chat_and_a_few_more(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    stack = make_stack()
    stack.start_workers("worker")
    stack.start_bot()
    api = stack.api
    for i, chat in enumerate(CHATS):
        api.send_photo(chat, photo(240, 160, seed=700 + i))
        api.send_photo(chat, photo(128, 128, seed=800 + i))
    for chat in CHATS:
        stack.wait(f"chat {chat}'s result", lambda c=chat: api.results(c), timeout=180)
    for chat in PRESSES:
        api.press_button(api.results(chat)[0], text("btn-stronger"))
    for chat in PRESSES:
        stack.wait(f"chat {chat}'s second result", lambda c=chat: len(api.results(c)) == 2)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)

    redis = stack.client
    keys = sorted(k.decode() for k in redis.scan_iter(count=1000))
    forever = [k for k in keys if redis.ttl(k) == -1]
    kinds = Counter(family(k) for k in forever)
    per_chat = kinds.pop("adain:fsm:<id>:<id>:data", 0)
    table = "\n".join(f"  {n:4d}  {kind}" for kind, n in sorted(kinds.items()))
    figure(f"keys after {len(CHATS)} chats and {len(PRESSES)} presses: {len(keys)} in all, "
           f"{len(forever)} without a TTL: {per_chat} chat states and\n{table}")  # fmt: skip
    assert per_chat == len(CHATS)
    assert sum(kinds.values()) <= PER_DEPLOYMENT, table
    assert all(n == 1 for n in kinds.values()), table  # none of them is per job or per chat
    # the streams hold only what is not handled yet: nothing
    assert redis.xlen("adain:bot:updates") == 0 and redis.xlen("adain:deliveries") == 0

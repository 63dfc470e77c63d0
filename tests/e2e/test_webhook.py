"""Webhook mode: two bot replicas behind one address, as docker-compose.webhook.yml runs them;
Telegram (the fake) posts each update once it is set, and retries until a 200."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from tests.bot.harness import text
from tests.conftest import free_port
from tests.e2e.conftest import Stacks
from tests.e2e.users import photo, size_of
from tests.fakes.round_robin import RoundRobinProxy

pytestmark = pytest.mark.e2e
CHATS = list(range(701, 721))  # twenty
PATH = "/telegram/webhook"


def post(url: str, body: dict[str, object], secret: str | None) -> int:
    """A POST to a replica, as Telegram (or anyone else) would send it; the answer's status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_two_replicas_handle_each_update_once_and_refuse_a_wrong_secret(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    stack = make_stack()
    api = stack.api
    ports = [free_port(), free_port()]
    replicas = [f"http://127.0.0.1:{port}" for port in ports]
    with RoundRobinProxy(replicas) as proxy:
        stack.start_workers("worker-a", "worker-b")
        for port in ports:
            stack.start_bot(WEBHOOK_URL=proxy.url + PATH, WEBHOOK_PORT=str(port))
        webhook = stack.wait("the webhook to be set", lambda: api.webhook)
        assert webhook.url == proxy.url + PATH and webhook.secret_token

        started = time.monotonic()
        for i, chat in enumerate(CHATS):
            api.send_photo(chat, photo(240, 160, seed=100 + i))
            api.send_photo(chat, photo(128, 128, seed=200 + i))
        for chat in CHATS:
            stack.wait(f"chat {chat}'s result", lambda c=chat: api.results(c), timeout=180)
        took = time.monotonic() - started
        stack.wait("every delivery to be acknowledged", stack.all_delivered)

        # Someone who is not Telegram posts an update straight to a replica.
        forged = {"update_id": 999_999, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/help",
            "chat": {"id": CHATS[0], "type": "private"},
            "from": {"id": CHATS[0], "is_bot": False, "first_name": "Eve"}}}  # fmt: skip
        wrong = [post(url + PATH, forged, secret) for url in replicas for secret in (None, "x")]
        time.sleep(2.0)  # time for a reply, should anyone handle it

        served = {f.target for f in proxy.served if f.status == 200}
    assert set(wrong) <= {401, 403}
    assert text("help") not in api.texts(CHATS[0])  # handled by nobody
    for chat in CHATS:
        assert len(api.results(chat)) == 1, api.transcript()
        assert api.texts(chat).count(text("got-content")) == 1  # each update handled once
        assert size_of(api.results(chat)[0].data) == (144, 96)
    assert served == set(replicas)  # both replicas took updates
    assert all(p.delivered for p in api.webhook_posts if p.update_id != 999_999)
    assert stack.client.xlen("adain:bot:updates") == 0  # nothing left unhandled
    figure(f"webhook: 2 replicas behind one address, {len(CHATS)} chats: every chat one "
           f"result in {took:.1f} s; {len(api.webhook_posts)} posts, "
           f"{sum(not p.delivered for p in api.webhook_posts)} retried")  # fmt: skip


def test_the_leader_killed_between_the_photos_and_the_styles(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    """Ten chats sent their photo; the leading replica is SIGKILLed; the styles reach the
    other replica, which takes the lead and answers every chat once."""
    stack = make_stack()
    api = stack.api
    ports = [free_port(), free_port()]
    replicas = [f"http://127.0.0.1:{port}" for port in ports]
    chats = CHATS[:10]
    with RoundRobinProxy(replicas) as proxy:
        stack.start_workers("worker")
        bots = [
            stack.start_bot(WEBHOOK_URL=proxy.url + PATH, WEBHOOK_PORT=str(port)) for port in ports
        ]
        stack.wait("the webhook to be set", lambda: api.webhook)
        for i, chat in enumerate(chats):
            api.send_photo(chat, photo(240, 160, seed=500 + i))
        for chat in chats:
            stack.wait(f"chat {chat}'s photo to be taken",
                       lambda c=chat: text("got-content") in api.texts(c))  # fmt: skip

        holder = stack.wait("a leader", lambda: stack.client.get("adain:bot:leader"))
        [leader] = [b for b in bots if holder.decode().endswith(f"-{b.proc.pid}")]
        [survivor] = [replicas[i] for i, b in enumerate(bots) if b is not leader]
        stack.kill_bot(leader)
        killed = time.monotonic()
        posts_before = len(proxy.served)
        for i, chat in enumerate(chats):
            api.send_photo(chat, photo(128, 128, seed=600 + i))
        for chat in chats:
            stack.wait(f"chat {chat}'s result", lambda c=chat: api.results(c), timeout=120)
        took = time.monotonic() - killed
        stack.wait("every delivery to be acknowledged", stack.all_delivered)
        time.sleep(1.0)  # time for a second answer, should one be on its way
        after = proxy.served[posts_before:]
    assert {f.target for f in after if f.status == 200} == {survivor}
    for chat in chats:
        assert len(api.results(chat)) == 1, api.transcript()
        assert api.texts(chat).count(text("got-content")) == 1
        assert size_of(api.results(chat)[0].data) == (144, 96)
    figure(f"webhook: the leader SIGKILLed after {len(chats)} chats' photos; the other replica "
           f"answered every chat once, the last {took:.1f} s after the kill")  # fmt: skip

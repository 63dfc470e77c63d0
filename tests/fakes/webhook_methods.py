"""Webhook mode as the Bot API shows it: setWebhook, deleteWebhook, getWebhookInfo.

The state lives here; :class:`tests.fakes.webhook_pusher.WebhookPusher` delivers the updates.
Where the fake departs from Telegram, on purpose:

- any ``http://`` or ``https://`` URL on any port is taken (Telegram wants HTTPS on 443, 80,
  88 or 8443), so that a receiver on loopback works;
- ``max_connections`` defaults to 1, not 40, so that delivery is strictly in order unless a
  test asks for more;
- ``allowed_updates`` filters the updates users make only while a webhook is set.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.bot_methods import Answer, BotMethods, error
from tests.fakes.telegram_types import WebhookConfig, WebhookPost

DEFAULT_MAX_CONNECTIONS = 1
WEBHOOK_URL = re.compile(r"https?://[^/\s]+(/\S*)?")
NOT_HTTPS = "An HTTPS URL must be provided for webhook"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Left out of the updates when allowed_updates is not given or empty, as on Telegram.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class WebhookMethods(BotMethods):
    """The bot's webhook: its settings, every delivery attempt, the last error."""

    def __init__(self, token: str, username: str) -> None:
        super().__init__(token, username)
        self._webhook: WebhookConfig | None = None
        self._webhook_posts: list[WebhookPost] = []
        self._webhook_error: tuple[int, str] | None = None  # (unix time, message)
        self.webhook_timeout = 10.0  # seconds a receiver has to answer a POST

    # ---- for tests -----------------------------------------------------------------------

    @property
    def webhook(self) -> WebhookConfig | None:
        """The webhook set now; None in getUpdates mode."""
        with self._lock:
            return self._webhook

    @property
    def webhook_posts(self) -> list[WebhookPost]:
        """Every attempt to deliver an update to a webhook, oldest first."""
        with self._lock:
            return list(self._webhook_posts)

    def wait_delivered(self, timeout: float = 10.0) -> None:
        """Block until every pending update was delivered (threaded mode only)."""
        try:
            self.wait_until(self._none_pending, timeout)
        except AssertionError as e:
            e.add_note(self._posts_report())
            raise

    async def until_delivered(self, timeout: float = 10.0) -> None:
        """Await until every pending update was delivered (either mode)."""
        try:
            await self.until(self._none_pending, timeout)
        except AssertionError as e:
            e.add_note(self._posts_report())
            raise

    def _none_pending(self) -> bool:
        return self.pending_updates() == 0

    def _posts_report(self) -> str:
        lines = [
            f"  update {p.update_id} → {p.url}: {p.error or p.status}" for p in self.webhook_posts
        ]
        pending = self.pending_updates()
        return "\n".join([f"{pending} update(s) pending; webhook POSTs:", *lines])

    # ---- for the pusher ------------------------------------------------------------------

    def _webhook_next(self, in_flight: set[int]) -> tuple[WebhookConfig, dict[str, Any]] | None:
        """The webhook and its oldest pending update not in flight, if one may be sent now."""
        with self._lock:
            config = self._webhook
            if config is None or len(in_flight) >= config.max_connections:
                return None
            update = next((u for u in self._updates if u["update_id"] not in in_flight), None)
            return None if update is None else (config, dict(update))

    def _webhook_attempted(self, post: WebhookPost) -> None:
        """Record the attempt; a delivered update leaves the queue."""
        with self._changed:
            self._webhook_posts.append(post)
            if post.delivered:
                self._updates = [u for u in self._updates if u["update_id"] != post.update_id]
            elif self._webhook is not None:  # a POST that outlived deleteWebhook says nothing
                self._webhook_error = (int(post.at), post.error or f"HTTP {post.status}")
            self._changed.notify_all()

    def _push_update(self, body: dict[str, Any]) -> None:
        with self._lock:
            config = self._webhook
        if config is not None and not _wanted(next(iter(body)), config.allowed_updates):
            return  # Telegram never makes an update the webhook did not subscribe to
        super()._push_update(body)

    # ---- the methods (run with the lock held) --------------------------------------------

    def _m_setwebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        url = str(params.get("url", ""))
        if not url:  # "Use an empty string to remove webhook integration."
            return self._m_deletewebhook(params, files)
        if not WEBHOOK_URL.fullmatch(url):
            return 400, error(400, f"Bad Request: bad webhook: {NOT_HTTPS}")
        secret = str(params.get("secret_token") or "") or None
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            return 400, error(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        previous = self._webhook
        config = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=_max_connections(params.get("max_connections")),
            # "If not specified, the previous setting will be used."
            allowed_updates=list(allowed)
            if isinstance(allowed, list)
            else (previous.allowed_updates if previous else None),
            custom_certificate="certificate" in files,
        )
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = config
        self._updates_arrived()  # the pusher starts; long polls end with 409
        said = "Webhook is already set" if config == previous else "Webhook was set"
        return 200, {"ok": True, "result": True, "description": said}

    def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        said = "Webhook was deleted" if self._webhook else "Webhook is already deleted"
        self._webhook, self._webhook_error = None, None
        self._updates_arrived()
        return 200, {"ok": True, "result": True, "description": said}

    def _m_getwebhookinfo(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        config = self._webhook
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": config.custom_certificate if config else False,
            "pending_update_count": len(self._updates),
        }
        if config is not None:
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
            info["max_connections"] = config.max_connections
            if config.allowed_updates is not None:
                info["allowed_updates"] = config.allowed_updates
        return 200, {"ok": True, "result": info}


def _wanted(kind: str, allowed: list[str] | None) -> bool:
    return kind in allowed if allowed else kind not in NOT_BY_DEFAULT


def _max_connections(value: Any) -> int:
    """1-100, as Telegram documents it; the fake's default is 1 (see above)."""
    return DEFAULT_MAX_CONNECTIONS if value is None else min(max(int(value), 1), 100)

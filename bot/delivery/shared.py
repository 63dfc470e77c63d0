"""The results each user may share: the photos Telegram keeps of what the bot sent them.

Inline mode (``@bot`` in any chat, or the "Share" button under a result) offers them again by
``file_id``, so nothing is uploaded twice; a user's list holds the latest ``KEEP`` and is
forgotten ``TTL`` after the last one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

SHARED_KEY = "adain:bot:shared:{}"  # by user id: a list of {"job", "file_id"}, newest first
KEEP = 20  # results per user (an inline answer shows up to 50)
TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class Shared:
    job: str  # the job that made it (the inline result's id)
    file_id: str  # the photo as Telegram keeps it


class SharedResults:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def remember(self, user: int, job: str, file_id: str) -> None:
        key = SHARED_KEY.format(user)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps({"job": job, "file_id": file_id}))
            pipe.ltrim(key, 0, KEEP - 1)
            pipe.expire(key, TTL)
            await pipe.execute()

    async def recent(self, user: int) -> list[Shared]:
        """The user's results, newest first."""
        found = []
        for raw in await self.redis.lrange(SHARED_KEY.format(user), 0, KEEP - 1):
            try:
                entry = json.loads(raw)
                found.append(Shared(job=str(entry["job"]), file_id=str(entry["file_id"])))
            except (KeyError, TypeError, ValueError):
                continue  # an entry of another version: skip it
        return found

"""A background loop stops when asked, even when a call below it swallows the cancellation."""

from __future__ import annotations

import asyncio

from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.health import beat_forever


class SwallowingRedis:
    """Turns a cancellation into a timeout error, as a timeout racing a cancel can."""

    def __init__(self) -> None:
        self.calls = 0
        self.swallow = True

    async def set(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if not self.swallow:
                raise
            raise RedisTimeoutError("Timeout reading from socket") from None


async def test_heartbeat_stops_although_its_redis_call_swallowed_the_cancel() -> None:
    redis = SwallowingRedis()
    task = asyncio.create_task(beat_forever(redis, interval=0.01))  # type: ignore[arg-type]
    while redis.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        await asyncio.wait({task}, timeout=5)
        assert task.done(), "the loop ran on after it was cancelled"
        assert task.cancelled()
        assert redis.calls == 1  # it did not go round again
    finally:
        redis.swallow = False  # let a loop that failed the test end, so the test run goes on
        task.cancel()
        await asyncio.wait({task}, timeout=5)

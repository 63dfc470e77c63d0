"""How the bot's background loops notice that they were asked to stop."""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError when this task's cancellation was swallowed further down.

    Libraries under the loops sometimes turn a cancellation that races a timeout into a
    timeout error (asyncio in Python 3.11, redis-py, aiohttp), which the loops treat as a
    passing outage; the task would then run on and shutdown would wait for it forever. Each
    loop calls this once a round, so a stop request is never lost.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError

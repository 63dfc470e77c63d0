"""JSON on both sides: nothing that needs pickle ever reaches the queue."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from decimal import Decimal

import pytest
from redis import Redis

from worker import contract
from worker.contract import JobRequest, ReplyContext, StyleRef


@pytest.mark.parametrize(
    "fields",
    [
        {"content_key": datetime(2024, 5, 1)},
        {"chat_id": Decimal("1.5")},
        {"reply": ReplyContext(locale={"en", "ru"})},  # a set: not JSON
    ],
    ids=["datetime", "decimal", "set"],
)
def test_arguments_that_would_need_pickle_are_refused_at_enqueue(
    redis: Redis, fields: dict[str, object]
) -> None:
    request = JobRequest(
        **({"chat_id": 1, "content_key": "c", "styles": (StyleRef("s"),)} | fields)
    )
    q = contract.queue(redis)

    with pytest.raises(TypeError, match="not JSON serializable"):
        contract.enqueue(q, request)
    assert q.count == 0


def test_a_queued_job_is_plain_json_naming_the_function_by_path(redis: Redis) -> None:
    request = JobRequest(
        chat_id=7, content_key="c", styles=(StyleRef("s1", 2.0), StyleRef("s2")), alpha=0.5,
        reply=ReplyContext(locale="ru", as_document=True),
    )  # fmt: skip
    job = contract.enqueue(contract.queue(redis), request)

    raw = json.loads(zlib.decompress(redis.hget(job.key, "data")))
    func, instance, args, kwargs = raw
    assert (func, instance, args) == (contract.JOB_FUNC, None, [])
    assert JobRequest.from_dict(kwargs["request"]) == request

"""RQ's command line on this deployment's Redis, wherever the processes find it:
``rq info -c worker.rq_settings`` (one Redis, or the master Sentinel names, with the password
kept apart as the processes read it)."""

from __future__ import annotations

import os

from redis_access.address import address_from_environ

_address = address_from_environ(os.environ)
if _address.sentinels:
    SENTINEL = {
        "INSTANCES": list(_address.sentinels),
        "MASTER_NAME": _address.master,
        "PASSWORD": _address.password,
        "SENTINEL_KWARGS": (
            {"password": _address.sentinel_password} if _address.sentinel_password else {}
        ),
    }
else:
    REDIS_URL = _address.url_with_password

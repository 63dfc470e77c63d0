"""The Redis address both processes use: ``REDIS_URL``, with ``REDIS_PASSWORD`` kept apart.

A password written into a URL must be percent-encoded (``/``, ``#``, ``?``, ``@``, ``:`` and
``%`` otherwise end the part they sit in), which compose's variable substitution cannot do. So
the password may come on its own, any characters, and is quoted into the URL here; set, it
replaces a password the URL carries. Only the standard library is imported: the health checks
use this module and must start fast.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEFAULT_URL = "redis://localhost:6379/0"
SCHEMES = ("redis", "rediss", "unix")
FORM = "redis://[:password@]host[:port][/db]"


class RedisUrlError(ValueError):
    """``REDIS_URL`` is not a Redis URL; the message never shows a password."""


def check_url(url: str) -> str:
    """``url`` unchanged when redis-py can connect with it; RedisUrlError (one sentence, to be
    prefixed with the variable's name) if not."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise RedisUrlError(f"not a Redis URL: expected {FORM}")
    if parts.scheme == "unix":
        return url
    try:
        parts.port  # noqa: B018 (parses the port, raising ValueError when it is not a number)
    except ValueError:
        raise RedisUrlError(
            f"not a Redis URL: its port is not a number (expected {FORM}; a "
            "password with characters such as / # ? @ : % goes in REDIS_PASSWORD instead)"
        ) from None
    if not parts.hostname:
        raise RedisUrlError(f"no host in the Redis URL: expected {FORM}")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise RedisUrlError(
            f"the Redis URL's database is not a number: expected {FORM} (a password with "
            "characters such as / # ? @ : % goes in REDIS_PASSWORD instead)"
        )
    return url


def with_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` quoted into it (unchanged when the password is empty)."""
    if not password:
        return url
    parts = urlsplit(url)
    user = quote(unquote(parts.username), safe="") if parts.username else ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def redacted(url: str) -> str:
    """The URL without its password, fit for logs and error lines."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

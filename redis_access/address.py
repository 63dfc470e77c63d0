"""The Redis address both processes use: ``REDIS_URL`` for one Redis, or ``REDIS_SENTINELS``
and ``REDIS_SENTINEL_MASTER`` for a master that Sentinel fails over; ``REDIS_PASSWORD`` (and
``REDIS_SENTINEL_PASSWORD``) kept apart.

A password written into a URL must be percent-encoded (``/``, ``#``, ``?``, ``@``, ``:`` and
``%`` otherwise end the part they sit in), which compose's variable substitution cannot do. So
the password may come on its own, any characters, and is quoted into the URL here; set, it
replaces a password the URL carries. Only the standard library is imported: the health checks
use this module and must start fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEFAULT_URL = "redis://localhost:6379/0"
DEFAULT_MASTER = "adain"  # the name the sentinels monitor the master under
SENTINEL_FORM = "host:port,host:port,… (the sentinels, e.g. sentinel-1:26379,sentinel-2:26379)"
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


def parse_sentinels(text: str) -> tuple[tuple[str, int], ...]:
    """``REDIS_SENTINELS`` as (host, port) pairs; RedisUrlError (one sentence) when malformed."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        host, colon, port = item.rpartition(":")
        host = host.strip("[]")  # [::1]:26379
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise RedisUrlError(f"{item!r} is not host:port: expected {SENTINEL_FORM}")
        pairs.append((host, int(port)))
    if not pairs:
        raise RedisUrlError(f"no sentinel given: expected {SENTINEL_FORM}")
    return tuple(pairs)


@dataclass(frozen=True)
class RedisAddress:
    """Where the processes find Redis: one server (``url``), or the master that ``sentinels``
    name ``master`` (then ``url`` is unused). Clients: ``redis_access.clients``."""

    url: str = DEFAULT_URL
    password: str | None = None
    sentinels: tuple[tuple[str, int], ...] = ()
    master: str = DEFAULT_MASTER
    sentinel_password: str | None = None

    @property
    def url_with_password(self) -> str:
        return with_password(self.url, self.password)

    def describe(self) -> str:
        """For logs and error lines, without a password."""
        if self.sentinels:
            names = ",".join(f"{host}:{port}" for host, port in self.sentinels)
            return f"Redis master {self.master!r} via sentinels {names}"
        return f"Redis at {redacted(self.url)}"


def address_from_environ(environ: Mapping[str, str]) -> RedisAddress:
    """The address the variables give, as both processes read them (for the health checks,
    which import no pydantic); RedisUrlError names the variable at fault."""
    sentinels = environ.get("REDIS_SENTINELS", "").strip()
    password = environ.get("REDIS_PASSWORD") or None
    if sentinels:
        try:
            pairs = parse_sentinels(sentinels)
        except RedisUrlError as e:
            raise RedisUrlError(f"REDIS_SENTINELS: {e}") from None
        return RedisAddress(
            password=password,
            sentinels=pairs,
            master=environ.get("REDIS_SENTINEL_MASTER") or DEFAULT_MASTER,
            sentinel_password=environ.get("REDIS_SENTINEL_PASSWORD") or None,
        )
    url = environ.get("REDIS_URL") or DEFAULT_URL
    try:
        check_url(url)
    except RedisUrlError as e:
        raise RedisUrlError(f"REDIS_URL: {e}") from None
    return RedisAddress(url=url, password=password)

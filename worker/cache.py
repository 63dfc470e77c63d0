"""A bounded least-recently-used cache, in memory, for one worker process.

Each entry has a cost in bytes (a tensor's size), so that a few full-resolution feature maps
cannot push the process out of memory however few entries they are.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """At most `max_items` entries and `max_bytes` bytes; the least recently used go first.

    An entry costlier than `max_bytes` on its own is not kept at all. `max_items` 0 turns the
    cache off.
    """

    def __init__(self, max_items: int, max_bytes: int, cost: Callable[[V], int]) -> None:
        if max_items < 0 or max_bytes < 0:
            raise ValueError("cache bounds must not be negative")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._cost = cost
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """Bytes held by the entries now."""
        return self._bytes

    def get(self, key: Hashable) -> V | None:
        """The value under `key`, now the most recently used, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: V) -> None:
        """Store `value`, evicting the least recently used entries beyond the bounds."""
        self.discard(key)
        cost = self._cost(value)
        if self.max_items == 0 or cost > self.max_bytes:
            return
        self._entries[key] = (value, cost)
        self._bytes += cost
        while len(self._entries) > self.max_items or self._bytes > self.max_bytes:
            _, (_, old_cost) = self._entries.popitem(last=False)
            self._bytes -= old_cost

    def discard(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[1]

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

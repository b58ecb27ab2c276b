"""What earlier builds in this process computed, so that an edit recomputes only what it touches.

Keys are the exact inputs of a result: a parsed piece is keyed by its text, a lowered tool by
its declaration's text and the text of every type declaration (see ARCHITECTURE.md,
"Incremental builds"). A cached result is shared, never changed by its users. The cache is
bounded: the least recently used entry goes first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")
_MISSING = object()
VERSIONS_KEPT = 4


class BuildCache:
    def __init__(self, size: int = 8000):  # about 20 large specs, some 60 MB
        self.size = size
        self._entries: dict[Hashable, object] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for `key`, made (and kept) on a miss."""
        with self._lock:
            value = self._entries.pop(key, _MISSING)
            if value is not _MISSING:
                self._entries[key] = value  # most recently used goes last
                self.hits += 1
                return value  # type: ignore[return-value]
        value = make()
        self._keep(key, value)
        return value

    def get_versioned(
        self, key: Hashable, make: Callable[[], tuple[V, tuple]], versions_of: Callable[[tuple], tuple]
    ) -> V:
        """For a value that depends on more than its key: `make()` returns the value and what it
        read; `versions_of(reads)` gives the present versions of those. A kept value is used
        while they are unchanged. The last few versions are kept, so undoing an edit is a hit."""
        with self._lock:
            kept = self._entries.pop(key, ())
            if kept:
                self._entries[key] = kept
        for value, reads, versions in kept:
            if versions_of(reads) == versions:
                with self._lock:
                    self.hits += 1
                return value
        value, reads = make()
        self._keep(key, ((value, reads, versions_of(reads)),) + kept[: VERSIONS_KEPT - 1])
        return value

    def _keep(self, key: Hashable, value) -> None:
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def no_memo(key: Hashable, make: Callable[[], V]) -> V:
    """The `memo(key, make)` of a build without a cache: always makes."""
    return make()

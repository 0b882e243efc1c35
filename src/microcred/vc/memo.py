"""Per-process memos of pure functions of a document's exact content: expansion, canonical N-Quads, JSON Schema
results, decoded status bitstrings.

What is memoised depends on nothing but the bytes of its input (and the context registry, which each memo is tied
to), so a memo can never be stale: a changed document is a different key. Time, key states and status bits are
never memoised here; the verifier checks them on every call. Each memo is a bounded LRU, thread-safe and safe to
lose. An outcome that raised is memoised too (the same error is raised again), so a tampered document repeated
many times costs its work once.

``disabled()`` turns every memo off for the block (the uncached baseline of ``make bench``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from microcred.vc.errors import VCError

V = TypeVar("V")

_all: list[Memo[Any]] = []
_all_lock = threading.Lock()
_disabled_everywhere = 0  # > 0 while some block runs with memos off (benchmarks): counted, process-wide
_disabled_lock = threading.Lock()


def content_key(*parts: Any) -> bytes | None:
    """SHA-256 of the exact JSON text of ``parts`` (member order kept), or None when a part is not plain JSON
    (such a document is simply not memoised)."""
    try:
        text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):  # not plain JSON, or nested too deep to hash: not memoised
        return None
    return hashlib.sha256(text.encode("utf-8")).digest()


def enabled() -> bool:
    return _disabled_everywhere == 0


@contextmanager
def disabled() -> Iterator[None]:
    """Run the block with every memo off (nothing read, nothing stored), in every thread."""
    global _disabled_everywhere
    with _disabled_lock:
        _disabled_everywhere += 1
    try:
        yield
    finally:
        with _disabled_lock:
            _disabled_everywhere -= 1


def clear() -> None:
    """Empty every memo of this process."""
    with _all_lock:
        memos = list(_all)
    for memo in memos:
        memo.clear()


@dataclass(frozen=True)
class MemoStats:
    name: str
    size: int
    hits: int
    misses: int


def stats() -> list[MemoStats]:
    with _all_lock:
        memos = list(_all)
    return [memo.stats() for memo in memos]


@dataclass(frozen=True)
class _Raised:
    error: BaseException


class Memo(Generic[V]):
    """A bounded LRU from content keys to values (or to the exception computing the value raised)."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self._size = size
        self._entries: OrderedDict[Any, V | _Raised] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        with _all_lock:
            _all.append(self)

    def get(self, key: Any, compute: Callable[[], V]) -> V:
        """The memoised value for ``key``, computing (and storing) it once; ``key`` None means "do not memoise"."""
        if key is None or not enabled():
            return compute()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self._hits += 1
        if found is None:
            try:
                found = compute()
            except (VCError, ValueError) as exc:  # what bad input raises; anything else is not memoised
                found = _Raised(exc)
            with self._lock:
                self._misses += 1
                self._entries[key] = found
                if len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        if isinstance(found, _Raised):
            raise found.error.with_traceback(None)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._hits = self._misses = 0

    def stats(self) -> MemoStats:
        with self._lock:
            return MemoStats(self.name, len(self._entries), self._hits, self._misses)

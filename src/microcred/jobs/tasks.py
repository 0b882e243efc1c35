"""The task registry: ``@task("name")`` turns a plain function into work a job can ask for.

A task is ``fn(session_factory, settings, **args)``: it opens its own units of work (``db.session_scope``) and
takes JSON arguments only (ids as text), so the same function runs on every backend, in a worker thread of
``microcred serve`` (SQLite) or in ``microcred worker`` processes (PostgreSQL, procrastinate).

A job may run more than once (a retry after a failure, or after its worker died mid-way): a task must be idempotent
by a key of the rows it acts on (e.g. "row 17 of batch B": do nothing when that row is already done).

Workers import the modules listed in ``TASK_MODULES`` (as ``db.models`` lists the model modules), so every worker
knows every task; a module defining tasks is added there.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from microcred.jobs.models import MAX_NAME_LENGTH

# Modules that define tasks, imported by every worker (`load_task_modules`).
TASK_MODULES: tuple[str, ...] = (
    "microcred.batches.tasks",
    "microcred.issuing.tasks",
    "microcred.ownership.tasks",
    "microcred.status.tasks",
)

DEFAULT_QUEUE = "default"
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 2

F = TypeVar("F", bound=Callable[..., Any])


class UnknownTask(LookupError):
    """A job names a task no loaded module registered."""


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its function, its queue and how failures are retried.

    ``max_attempts``: how many times it may run in all (a failed attempt is retried until then, a worker that died
    mid-way counts as one attempt); ``backoff_seconds``: retry ``n`` waits ``backoff_seconds ** n`` seconds
    (2 → 2 s, 4 s, 8 s…; 0 retries at once)."""

    name: str
    fn: Callable[..., Any]
    queue: str = DEFAULT_QUEUE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_seconds: int = DEFAULT_BACKOFF_SECONDS

    def retry_delay(self, ended_attempts: int) -> int:
        """Seconds before the next attempt, after ``ended_attempts`` attempts (procrastinate's exponential wait)."""
        return int(self.backoff_seconds ** ended_attempts) if self.backoff_seconds else 0

    def check_args(self, args: dict[str, Any]) -> None:
        """The arguments fit the function (after its ``session_factory`` and ``settings``): TypeError otherwise."""
        try:
            inspect.signature(self.fn).bind(None, None, **args)
        except TypeError as exc:
            raise TypeError(f"task {self.name!r} does not take these arguments: {exc}") from None


_REGISTRY: dict[str, TaskSpec] = {}


def _check_name(what: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"a {what} name must be 1 to {MAX_NAME_LENGTH} characters, got {value!r}")


def task(
    name: str,
    *,
    queue: str = DEFAULT_QUEUE,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff_seconds: int = DEFAULT_BACKOFF_SECONDS,
) -> Callable[[F], F]:
    """Register the decorated function as task ``name`` (the function itself is returned unchanged)."""
    _check_name("task", name)
    _check_name("queue", queue)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if backoff_seconds < 0:
        raise ValueError("backoff_seconds cannot be negative")

    def register(fn: F) -> F:
        existing = _REGISTRY.get(name)
        if existing is not None and _identity(existing.fn) != _identity(fn):
            raise ValueError(
                f"two functions are registered as task {name!r}: {_identity(existing.fn)} and {_identity(fn)}"
            )
        _REGISTRY[name] = TaskSpec(name, fn, queue, max_attempts, backoff_seconds)
        return fn

    return register


def _identity(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def get(name: str) -> TaskSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownTask(f"no task is registered as {name!r} (is its module in jobs.tasks.TASK_MODULES?)") from None


def find(name: str) -> TaskSpec | None:
    return _REGISTRY.get(name)


def registered() -> tuple[TaskSpec, ...]:
    return tuple(_REGISTRY[name] for name in sorted(_REGISTRY))


def load_task_modules(extra: Iterable[str] = ()) -> None:
    """Import every module defining tasks (``TASK_MODULES``, then ``extra``: e.g. a plugin's, `--import-tasks`)."""
    for module in (*TASK_MODULES, *extra):
        importlib.import_module(module)

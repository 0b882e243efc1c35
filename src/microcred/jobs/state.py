"""What both backends share: a job's status as callers see it, the errors of the API, how a failure is worded, and
the worker's timing."""

from __future__ import annotations

from dataclasses import dataclass

from microcred.errors import Conflict, DomainError
from microcred.jobs.models import MAX_ERROR_LENGTH, JobState


class AlreadyQueued(Conflict):
    """A job with this queueing lock is already waiting to run (nothing was enqueued)."""


@dataclass(frozen=True)
class JobStatus:
    """A job as `jobs.status` reports it, the same on both backends.

    ``attempts``: the attempts that ended (failed, succeeded, or cut short by a worker that died); ``error``: the
    last failed attempt's message (None when no attempt failed)."""

    id: int
    task: str
    state: JobState
    attempts: int
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class WorkerTiming:
    """How often a worker looks for work and proves it is alive, and when a silent worker's job is taken over.

    ``poll_interval``: seconds between looks for new or retried jobs when idle (PostgreSQL workers are also woken at
    once by LISTEN/NOTIFY, an embedded worker by a commit in its own process); ``heartbeat_interval``: seconds
    between heartbeats; ``stalled_after``: a job whose worker sent no heartbeat for that long is run again (or
    failed, when it has no attempt left); ``shutdown_timeout``: on stop, how long running jobs may take to finish."""

    poll_interval: float = 1.0
    heartbeat_interval: float = 10.0
    stalled_after: float = 30.0
    shutdown_timeout: float = 30.0

    def __post_init__(self) -> None:
        if min(self.poll_interval, self.heartbeat_interval, self.stalled_after) <= 0 or self.shutdown_timeout < 0:
            raise ValueError("worker intervals must be positive")
        if self.stalled_after < 2 * self.heartbeat_interval:
            raise ValueError(
                "the stalled timeout must be at least twice the heartbeat interval, or a live worker's job could be "
                "taken over"
            )


DEFAULT_TIMING = WorkerTiming()


@dataclass(frozen=True)
class WorkerOptions:
    """One worker's settings: how many jobs at once, which queues (None: all), its timing; ``until_idle`` stops it
    once no job is ready (`jobs.drain`); ``install_signal_handlers``: SIGINT/SIGTERM stop it gracefully (the
    command line's main thread only)."""

    concurrency: int = 1
    queues: tuple[str, ...] | None = None
    timing: WorkerTiming = DEFAULT_TIMING
    until_idle: bool = False
    install_signal_handlers: bool = False

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


def describe_error(exc: BaseException) -> str:
    """One plain line for a failed attempt: a domain error's own message, otherwise the kind of error and its text."""
    if isinstance(exc, DomainError):
        message = str(exc) or type(exc).__name__
    else:
        detail = str(exc).strip()
        message = f"unexpected error ({type(exc).__name__}{': ' + detail if detail else ''})"
    message = " ".join(message.split())
    return message if len(message) <= MAX_ERROR_LENGTH else message[: MAX_ERROR_LENGTH - 1] + "…"


def stalled_message(attempt: int) -> str:
    return f"the worker running attempt {attempt} stopped before it finished (it was killed or lost its database)"

"""`microcred worker`: run background jobs (docs/jobs.md); `microcred jobs status ID`: where one job is.

On PostgreSQL a procrastinate worker: start any number of them, on any number of machines, against one database; a
job runs in one of them, and the jobs of a worker that died are run again by the others. On SQLite the same tasks
run in worker threads (``microcred serve`` already runs them; this command is for the shell and scripts).

Exit codes: 0 stopped (SIGINT/SIGTERM, running jobs finished first) or, with --once, nothing left to run; 2 bad
input or an instance that is not ready (no job tables yet: run `microcred init`). `jobs status`: 0 the job exists
and has not failed, 1 it failed (all its attempts used), 2 no such job.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from microcred.cli import app
from microcred.cli._common import EXIT_FAILED, fail
from microcred.cli._runtime import errors, load_settings, read_session, session_factory

if TYPE_CHECKING:
    from microcred.jobs import WorkerTiming

jobs_app = typer.Typer(help="Background jobs: where a queued job is.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


def _timing(heartbeat: float, stalled_after: float) -> WorkerTiming:
    from microcred import jobs

    try:
        return jobs.WorkerTiming(heartbeat_interval=heartbeat, stalled_after=stalled_after)
    except ValueError as exc:
        fail(f"--heartbeat / --stalled-after: {exc}")


def _load_tasks(modules: list[str]) -> None:
    from microcred.jobs import tasks

    for module in modules:
        try:
            tasks.load_task_modules([module])
        except ImportError as exc:
            fail(f"--import-tasks {module}: cannot be imported ({exc})")
    tasks.load_task_modules()


@app.command("worker")
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at once by this worker (threads).")
    ] = 1,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="Run only jobs of this queue (repeatable; default: all).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Run what is ready now, then exit.")] = False,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", min=0.1, help="Seconds between this worker's heartbeats.")
    ] = 10.0,
    stalled_after: Annotated[
        float,
        typer.Option(
            "--stalled-after", min=0.2,
            help="Seconds without a heartbeat after which a worker's jobs are run again by another worker.",
        ),
    ] = 30.0,
    import_tasks: Annotated[
        list[str] | None,
        typer.Option("--import-tasks", help="Also load the tasks defined in this Python module (repeatable)."),
    ] = None,
) -> None:
    """Run background jobs until stopped (Ctrl-C or SIGTERM: running jobs finish first)."""
    from microcred import jobs

    settings = load_settings()
    timing = _timing(heartbeat, stalled_after)
    _load_tasks(import_tasks or [])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("microcred").setLevel(logging.INFO)
    with errors():
        factory = session_factory(settings, must_exist=True)
        jobs.check_ready(factory)
        queues = queue or None
        if once:
            ran = jobs.drain(settings, concurrency=concurrency, queues=queues, session_factory=factory, timing=timing)
            typer.echo(f"{ran} job attempt(s) run; nothing else is ready")
            return
        where = ", ".join(queues) if queues else "every queue"
        typer.echo(f"worker started: {concurrency} at a time, {where} (Ctrl-C stops it once running jobs finish)")
        jobs.run_worker(settings, concurrency, queues=queues, session_factory=factory, timing=timing)
    typer.echo("worker stopped")


@jobs_app.command("status")
def jobs_status(job_id: Annotated[int, typer.Argument(help="The job's id (printed when it was queued).")]) -> None:
    """A job's task, state (queued, doing, succeeded, failed, cancelled), attempts and last error. Exit 1 when it
    failed, 2 when there is no such job."""
    from microcred import jobs

    with read_session() as session:
        job = jobs.status(session, job_id)
    typer.echo(f"job {job.id} ({job.task}): {job.state.value}, {job.attempts} attempt(s) ended")
    if job.error:
        typer.echo(f"last error: {job.error}")
    if job.state == jobs.JobState.FAILED:
        raise typer.Exit(EXIT_FAILED)

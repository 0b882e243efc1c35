"""`microcred awards bulk FILE.csv`: issue a cohort from a CSV file (docs/bulk-issuance.md).

On SQLite the batch is issued by this command (a progress bar); on PostgreSQL it is queued for the job workers
(`microcred worker`), or issued here too with --wait.

Exit codes: 0 every row issued (or, with --dry-run, every row can be); 1 some rows were refused or failed (each
listed with its reason); 2 the file cannot be used at all (unreadable, empty, too large, another encoding, unknown
columns): nothing is issued from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microcred.cli._common import EXIT_FAILED, fail
from microcred.cli._runtime import actor, errors, load_settings, session_factory
from microcred.cli.domain_commands import awards_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from microcred.settings import Settings


def _read(path: Path, max_bytes: int) -> bytes:
    """The file, read up to one byte past the limit (the reader then says the file is too large)."""
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, expected a file")
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")


def _list_problems(session: Session, batch: Any, state: str) -> int:
    """Each row in ``state`` (refused by the dry run, or failed when issued) with its reason; how many."""
    from microcred.batches import services as batches

    problems = batches.rows(session, batch.id, states=(state,))
    for row in problems:
        typer.echo(f"row {row.row_number}: {row.state}: {row.error}")
    return len(problems)


def _dry_run(factory: sessionmaker[Session], settings: Settings, data: bytes, options: Any) -> None:
    """The dry run alone: every row's verdict, nothing stored (the transaction is rolled back)."""
    from microcred.audit.services import acting_as
    from microcred.batches import services as batches

    with errors(), acting_as(actor()), factory() as session:
        batch = batches.create_from_file(
            session, data, max_bytes=settings.max_bulk_file_bytes, base_url=settings.base_url, options=options
        )
        refused, total = _list_problems(session, batch, "refused"), batch.row_count
        session.rollback()
    typer.echo(f"dry run: {total - refused} of {total} row(s) can be issued; nothing was issued")
    if refused:
        raise typer.Exit(EXIT_FAILED)


def _run(factory: sessionmaker[Session], settings: Settings, batch_id: Any, pending: int) -> str:
    """Run the batch here, with a progress bar of every row done (by this process or by any job worker)."""
    from microcred.batches import run
    from microcred.batches import services as batches

    def done() -> int:
        with factory() as session:
            found = batches.counts(session, batch_id)
        return found["issued"] + found["failed"]

    console = Console(stderr=True, highlight=False)
    with (
        errors(),
        Progress(TextColumn("issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)
        as progress,
    ):
        task = progress.add_task("issue", total=pending)
        return run.run_batch(factory, settings, batch_id, progress=lambda _r: progress.update(task, completed=done()))


@awards_app.command("bulk")
def awards_bulk(
    file: Annotated[Path | None, typer.Argument(help="The CSV file (UTF-8; comma, semicolon or tab).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what each row would become; store and issue nothing.")
    ] = False,
    achievement: Annotated[
        str | None, typer.Option("--achievement", help="Achievement id or code for rows that name none.")
    ] = None,
    notify: Annotated[bool, typer.Option("--notify", help="Mail each earner their award.")] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Issue here until every row is done (progress bar); always so on SQLite."),
    ] = False,
    template: Annotated[bool, typer.Option("--template", help="Print the CSV template and exit.")] = False,
) -> None:
    """Issue awards from a CSV file: one row per award (earner, achievement, results, evidence, transcript
    fields). A dry run checks every row first; rows it refuses are listed and never issued."""
    from microcred.batches import csvfile
    from microcred.batches import services as batches

    if template:
        typer.echo(csvfile.template(), nl=False)
        return
    if file is None:
        fail("give the CSV file to issue from (or --template to print one)")
    settings = load_settings()
    data = _read(file, settings.max_bulk_file_bytes)
    factory = session_factory(settings, must_exist=True)
    options = batches.Options(achievement=achievement, notify=notify, created_by=actor(), file_name=file.name)
    if dry_run:
        _dry_run(factory, settings, data, options)
        return
    _issue(factory, settings, data, options, wait=wait)


def _issue(factory: sessionmaker[Session], settings: Settings, data: bytes, options: Any, *, wait: bool) -> None:
    from microcred.audit.services import acting_as
    from microcred.batches import services as batches
    from microcred.db import session_scope

    with errors(), acting_as(actor()), session_scope(factory) as session:
        batch = batches.create_from_file(
            session, data, max_bytes=settings.max_bulk_file_bytes, base_url=settings.base_url, options=options
        )
        refused = _list_problems(session, batch, "refused")
        if batch.state == batches.BatchState.DRY_RUN_OK:
            batches.start(session, batch.id)
        batch_id, total = batch.id, batch.row_count
    if refused == total:
        typer.echo(f"batch {batch_id}: none of the {total} row(s) can be issued; nothing was issued")
        raise typer.Exit(EXIT_FAILED)
    if not wait and factory.kw["bind"].dialect.name == "postgresql":
        typer.echo(
            f"batch {batch_id} queued: {total - refused} row(s) to issue by the job workers (`microcred worker`); "
            f"{refused} refused by the dry run"
        )
        raise typer.Exit(EXIT_FAILED if refused else 0)
    # SQLite, or --wait: issued here (the job queued with it finds nothing left, or shares the rows with this run)
    state = _run(factory, settings, batch_id, total - refused)
    with errors(), factory() as session:
        batch = batches.get_batch(session, batch_id)
        found = batches.counts(session, batch_id)
        failed = _list_problems(session, batch, "failed")
    typer.echo(
        f"batch {batch_id} {state}: {found['issued']} issued, {refused} refused by the dry run, {failed} failed, "
        f"{found['pending']} pending"
    )
    if found["issued"] != total:
        raise typer.Exit(EXIT_FAILED)

"""Integrity from the shell: `awards revoke|suspend|reinstate|renew|reissue`, `keys list|rotate|compromised|
export-public`, `audit verify|export`.

Exit codes: 0 ok; 1 `audit verify` found a broken chain; 2 bad input, unknown ids, or a change the award's state
does not allow (e.g. suspending a revoked award). Private key material is never printed or exported.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from microcred.cli import app
from microcred.cli._common import EXIT_FAILED, fail, write_output
from microcred.cli._runtime import actor, errors, load_settings, read_session, session_factory, unit_of_work
from microcred.cli.domain_commands import awards_app
from microcred.cli.vc_commands import keys_app

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _award_line(award: Any, verb: str) -> None:
    from microcred.urls import credential_url

    typer.echo(f"award {award.id} {verb} ({credential_url(award.id, load_settings().base_url)})")


# -- awards: status ----------------------------------------------------------------------------------
Reason = Annotated[str, typer.Option("--reason", help="Why (kept privately; never published).")]


@awards_app.command("revoke")
def awards_revoke(award_id: Annotated[str, typer.Argument(help="The award's id.")], reason: Reason) -> None:
    """Revoke an award for good: its revocation bit is set in the public status list."""
    from microcred.awards import lifecycle as award_lifecycle
    with unit_of_work() as session:
        award = award_lifecycle.revoke_award(session, award_id, reason=reason)
    _award_line(award, "revoked")


@awards_app.command("suspend")
def awards_suspend(award_id: Annotated[str, typer.Argument(help="The award's id.")], reason: Reason) -> None:
    """Suspend an award (reversible with `reinstate`)."""
    from microcred.awards import lifecycle as award_lifecycle
    with unit_of_work() as session:
        award = award_lifecycle.suspend_award(session, award_id, reason=reason)
    _award_line(award, "suspended")


@awards_app.command("reinstate")
def awards_reinstate(
    award_id: Annotated[str, typer.Argument(help="The award's id.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept privately).")] = None,
) -> None:
    """Lift a suspension (a revoked award cannot be reinstated)."""
    from microcred.awards import lifecycle as award_lifecycle
    with unit_of_work() as session:
        award = award_lifecycle.reinstate_award(session, award_id, reason=reason)
    _award_line(award, "reinstated")


@awards_app.command("renew")
def awards_renew(award_id: Annotated[str, typer.Argument(help="The award's id.")]) -> None:
    """Issue a new credential for the same achievement and earner, valid from now; the old one is kept and linked."""
    from microcred.issuers import keystore

    settings = load_settings()
    with unit_of_work() as session:
        from microcred import issuing
        new = issuing.renew_award(
            session, award_id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
        )
        old_id = new.replaces_id
    typer.echo(f"award {old_id} renewed as {new.id}")
    _award_line(new, "issued")


@awards_app.command("reissue")
def awards_reissue(
    signed_with: Annotated[
        str | None, typer.Option("--signed-with", help="Key id or publicKeyMultibase whose credentials to re-issue.")
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Re-sign, in place, every endorsement and award stored in an earlier form (same ids and status "
            "entries) so that any conformant verifier reads it. Idempotent and resumable: run it again to finish.",
        ),
    ] = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Queue the work as a job (run by `microcred worker`, or `microcred serve` on SQLite) and print its "
            "id, instead of doing it now.",
        ),
    ] = False,
) -> None:
    """Re-issue every award signed with a key (--signed-with: new awards linked to the old ones, with the current
    key), or re-sign every credential in an earlier form in place (--all). Each one is its own transaction."""
    if (signed_with is None) == (not all_):
        typer.echo("give exactly one of --signed-with KEY or --all", err=True)
        raise typer.Exit(2)
    if background:
        _queue_maintenance(signed_with)
        return
    if all_:
        _resign_all()
        return
    assert signed_with is not None
    _reissue_signed_with(signed_with)


def _job_line(job_id: int, what: str) -> str:
    return f"queued job {job_id} ({what}): microcred worker runs it; `microcred jobs status {job_id}`"


def _queue_maintenance(signed_with: str | None) -> None:
    """`awards reissue --background`: the job, queued; its id printed."""
    from microcred.issuers import services as issuers
    from microcred.issuing import tasks as issuing_tasks

    with unit_of_work() as session:
        if signed_with is None:
            job_id = issuing_tasks.enqueue_resign_all(session, actor=actor())
            line = _job_line(job_id, "re-sign every earlier form in place")
        else:
            key_id = issuers.find_any_signing_key(session, signed_with).id
            job_id = issuing_tasks.enqueue_reissue(session, key_id, actor=actor())
            line = _job_line(job_id, f"re-issue the awards signed with key {key_id}")
    typer.echo(line)


def _progress(verb: str) -> Progress:
    console = Console(stderr=True, highlight=False)
    return Progress(TextColumn(verb), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def _resign_all() -> None:
    from microcred.audit.services import acting_as
    from microcred.issuers import keystore
    from microcred.issuing import maintenance
    from microcred.issuing.pipeline import Signing

    settings = load_settings()
    factory = session_factory(settings, must_exist=True)
    with errors():
        todo = maintenance.resign_plan(factory)
    if not todo:
        typer.echo("every award and endorsement is already in the current form: nothing to re-sign")
        return
    signing = Signing(settings.base_url, keystore.load_master_key(settings))
    with errors(), acting_as(actor()), _progress("re-signing") as progress:
        task = progress.add_task("resign", total=len(todo))
        counts = maintenance.resign_items(factory, todo, signing, lambda: progress.advance(task))
    typer.echo(
        f"re-signed {counts.awards} award(s) and {counts.endorsements} endorsement(s) in the current form "
        "(same ids and status entries)"
    )


def _reissue_signed_with(signed_with: str) -> None:
    from microcred.audit.services import acting_as
    from microcred.issuers import keystore
    from microcred.issuing import maintenance
    from microcred.issuing.pipeline import Signing

    settings = load_settings()
    factory = session_factory(settings, must_exist=True)
    with errors():
        key_id, todo = maintenance.reissue_plan(factory, signed_with)
    if not todo:
        typer.echo(f"no award signed with key {key_id} needs re-issuing")
        return
    signing = Signing(settings.base_url, keystore.load_master_key(settings))
    with errors(), acting_as(actor()), _progress("re-issuing") as progress:
        task = progress.add_task("reissue", total=len(todo))
        done = maintenance.reissue_awards(factory, key_id, todo, signing, lambda: progress.advance(task))
    for old_id, new_id in done:
        typer.echo(f"{old_id} -> {new_id}")
    typer.echo(f"re-issued {len(done)} award(s) signed with key {key_id}")


# -- keys ---------------------------------------------------------------------------------------------
OrgArg = Annotated[str, typer.Argument(help="The organisation's id.")]


@keys_app.command("list")
def keys_list(org: OrgArg) -> None:
    """An organisation's signing keys (public parts and status only)."""
    from microcred.issuers import services as issuers

    settings = load_settings()
    with read_session(settings) as session:
        organisation = issuers.get_organisation(session, org)
        rows = issuers.list_signing_keys(session, organisation)
        table = Table(title=f"keys of {organisation.name}")
        for column in ("id", "publicKeyMultibase", "status", "created", "compromised since"):
            table.add_column(column, overflow="fold")
        for key in rows:
            since = key.compromised_since.isoformat() if key.compromised_since else ""
            table.add_row(str(key.id), key.public_key_multibase, key.status, key.created_at.isoformat(), since)
    Console(highlight=False).print(table)


Reissue = Annotated[
    bool,
    typer.Option(
        "--reissue",
        help="Also queue the re-issue of what the old key signed (a job, as `awards reissue --signed-with "
        "KEY --background`).",
    ),
]


def _queue_after_rotation(
    session: Session, org_id: uuid.UUID, reissue_key_ids: list[uuid.UUID], *, reissue: bool
) -> list[str]:
    """In the rotation's transaction: the jobs of `issuing.maintenance.queue_after_rotation`; the lines that say
    so."""
    from microcred.issuing import maintenance

    queued = maintenance.queue_after_rotation(session, org_id, reissue_key_ids, reissue=reissue, actor=actor())
    lines = []
    resign_ids = [job.job_id for job in queued if job.kind == "resign_status_lists"]
    if resign_ids:
        ids = ", ".join(str(job_id) for job_id in resign_ids)
        lines.append(f"queued {len(resign_ids)} status list re-signing job(s): {ids}")
    for job in queued:
        if job.kind == "reissue":
            lines.append(_job_line(job.job_id, f"re-issue the awards signed with key {job.key_id}"))
    return lines


@keys_app.command("rotate")
def keys_rotate(org: OrgArg, reissue: Reissue = False) -> None:
    """Make a new active key; the old one is retired but stays in the DID document (old credentials verify).
    The organisation's status lists are queued for re-signing with the new key."""
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    settings = load_settings()
    with unit_of_work() as session:
        organisation = issuers.get_organisation(session, org)
        old_ids = [key.id for key in issuers.list_signing_keys(session, organisation) if key.status == "active"]
        new = issuers.rotate_signing_key(session, organisation, master_key=keystore.load_master_key(settings))
        lines = [f"new active key {new.id} ({new.public_key_multibase}); earlier keys retired, still published"]
        lines += _queue_after_rotation(session, new.organisation_id, old_ids, reissue=reissue)
    for line in lines:
        typer.echo(line)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(f"--since: not an ISO 8601 date-time: {text!r}")
    if moment.tzinfo is None:
        fail("--since: give a time zone, e.g. 2026-01-31T12:00:00Z")
    return moment


@keys_app.command("compromised")
def keys_compromised(
    org: OrgArg,
    key_id: Annotated[str, typer.Argument(help="The key's id or publicKeyMultibase.")],
    since: Annotated[str, typer.Option("--since", help="ISO 8601 time from which its signatures are distrusted.")],
    reissue: Reissue = False,
) -> None:
    """Mark a key compromised: what it signed at or after --since fails verification; earlier credentials still
    verify. A compromised active key is replaced by a new one (re-issue with `awards reissue --signed-with`, or
    --reissue to queue it now). The organisation's status lists are queued for re-signing."""
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    moment = _instant(since)
    settings = load_settings()
    with unit_of_work() as session:
        record = issuers.compromise_key(
            session, org, key_id, since=moment, master_key=keystore.load_master_key(settings)
        )
        active = issuers.active_signing_key(session, record.organisation_id)
        lines = [f"key {record.id} marked compromised since {moment.isoformat()}"]
        if active is not None:
            lines.append(f"active key: {active.id} ({active.public_key_multibase})")
        if not reissue:
            lines.append(f"re-issue what it signed: microcred awards reissue --signed-with {record.id}")
        lines += _queue_after_rotation(session, record.organisation_id, [record.id], reissue=reissue)
    for line in lines:
        typer.echo(line)


@keys_app.command("export-public")
def keys_export_public(
    org: OrgArg,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The organisation's public keys with their status, and its DID document (never private keys)."""
    from microcred.issuers import services as issuers

    settings = load_settings()
    with read_session(settings) as session:
        document = issuers.public_keys_export(session, org, settings.base_url)
    write_output(json.dumps(document, indent=2, ensure_ascii=False), out)


# -- audit --------------------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain. Exit 0 when intact, 1 naming the first broken entry."""
    from microcred.audit.services import verify_chain

    settings = load_settings()
    with read_session(settings) as session:
        report = verify_chain(session)
    if report.intact:
        typer.echo(f"audit log intact: {report.reason}")
        return
    Console(stderr=True, highlight=False).print(f"[bold red]audit log broken:[/] {report.reason}", soft_wrap=True)
    raise typer.Exit(EXIT_FAILED)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path | None, typer.Option("--out", help="Write JSON Lines to this file instead of stdout.")] = None,
) -> None:
    """The audit log as JSON Lines (one entry per line, oldest first, with prev_hash and hash)."""
    from microcred.audit.services import export_lines

    settings = load_settings()
    with read_session(settings) as session:
        if out is None:
            for line in export_lines(session):
                typer.echo(line)
            return
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as fh:
                count = 0
                for line in export_lines(session):
                    fh.write(line + "\n")
                    count += 1
        except OSError as exc:
            fail(f"{out}: cannot be written ({exc.strerror})")
    typer.echo(f"{count} audit entries written to {out}")

"""Integrity from the shell: `awards revoke|suspend|reinstate|renew|reissue`, `keys list|rotate|compromised|
export-public`, `audit verify|export`.

Exit codes: 0 ok; 1 `audit verify` found a broken chain; 2 bad input, unknown ids, or a change the award's state
does not allow (e.g. suspending a revoked award). Private key material is never printed or exported.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from microcred.cli import app
from microcred.cli._common import EXIT_FAILED, fail, write_output
from microcred.cli._runtime import actor, errors, load_settings, read_session, session_factory, unit_of_work
from microcred.cli.domain_commands import awards_app
from microcred.cli.vc_commands import keys_app

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
) -> None:
    """Re-issue every award signed with a key (--signed-with: new awards linked to the old ones, with the current
    key), or re-sign every credential in an earlier form in place (--all). Each one is its own transaction."""
    if (signed_with is None) == (not all_):
        typer.echo("give exactly one of --signed-with KEY or --all", err=True)
        raise typer.Exit(2)
    if all_:
        _resign_all()
        return
    assert signed_with is not None
    _reissue_signed_with(signed_with)


def _resign_all() -> None:
    from microcred.audit.services import acting_as
    from microcred.awards import queries as award_queries
    from microcred.db import session_scope
    from microcred.issuers import keystore
    from microcred.partners import services as partners

    settings = load_settings()
    factory = session_factory(settings, must_exist=True)
    with errors(), factory() as session:
        endorsements = partners.endorsements_to_resign(session)
        award_ids = award_queries.awards_to_resign(session)
    todo = [("endorsement", e) for e in endorsements] + [("award", a) for a in award_ids]
    if not todo:
        typer.echo("every award and endorsement is already in the current form: nothing to re-sign")
        return
    master = keystore.load_master_key(settings)
    counts = {"endorsement": 0, "award": 0}
    console = Console(stderr=True, highlight=False)
    with (
        errors(),
        acting_as(actor()),
        Progress(
            TextColumn("re-signing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("resign", total=len(todo))
        for kind, item_id in todo:  # endorsements first: awards embed their re-signed documents
            with session_scope(factory) as session:
                if kind == "endorsement":
                    changed = partners.resign_endorsement(
                        session, item_id, base_url=settings.base_url, master_key=master
                    )
                else:
                    from microcred import issuing
                    changed = issuing.resign_award(session, item_id, base_url=settings.base_url, master_key=master)
            counts[kind] += int(changed)
            progress.advance(task)
    typer.echo(
        f"re-signed {counts['award']} award(s) and {counts['endorsement']} endorsement(s) in the current form "
        "(same ids and status entries)"
    )


def _reissue_signed_with(signed_with: str) -> None:
    from microcred.audit.services import acting_as
    from microcred.awards import queries as award_queries
    from microcred.db import session_scope
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    settings = load_settings()
    factory = session_factory(settings, must_exist=True)
    with errors(), factory() as session:
        key = issuers.find_any_signing_key(session, signed_with)
        key_id = key.id
        todo = award_queries.awards_signed_with(session, key_id)
    if not todo:
        typer.echo(f"no award signed with key {key_id} needs re-issuing")
        return
    master = keystore.load_master_key(settings)
    done: list[tuple[Any, Any]] = []
    console = Console(stderr=True, highlight=False)
    with (
        errors(),
        acting_as(actor()),
        Progress(
            TextColumn("re-issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("reissue", total=len(todo))
        for award_id in todo:
            with session_scope(factory) as session:
                from microcred import issuing
                new = issuing.reissue_award(session, award_id, base_url=settings.base_url, master_key=master)
                done.append((award_id, new.id))
            progress.advance(task)
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


@keys_app.command("rotate")
def keys_rotate(org: OrgArg) -> None:
    """Make a new active key; the old one is retired but stays in the DID document (old credentials verify)."""
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    settings = load_settings()
    with unit_of_work() as session:
        new = issuers.rotate_signing_key(session, org, master_key=keystore.load_master_key(settings))
        line = f"new active key {new.id} ({new.public_key_multibase}); earlier keys retired, still published"
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
) -> None:
    """Mark a key compromised: what it signed at or after --since fails verification; earlier credentials still
    verify. A compromised active key is replaced by a new one (re-issue with `awards reissue --signed-with`)."""
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
        lines.append(f"re-issue what it signed: microcred awards reissue --signed-with {record.id}")
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

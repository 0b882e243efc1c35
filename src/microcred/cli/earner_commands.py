"""`microcred earners export|erase|offer|email`: the earner-ownership operations from the shell (issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from microcred.cli import app
from microcred.cli._common import fail, write_bytes
from microcred.cli._runtime import load_settings, unit_of_work

earners_app = typer.Typer(help="Earner ownership: data export, erasure, wallet offers, emailed awards.",
                          no_args_is_help=True)
app.add_typer(earners_app, name="earners")


@earners_app.command("export")
def earners_export(
    earner: Annotated[str, typer.Argument(help="The earner's email or id.")],
    out: Annotated[Path, typer.Option("--out", help="The ZIP file to write.")],
) -> None:
    """Everything of an earner in one ZIP: every credential in every format, profile, evidence, manifest.json."""
    from microcred.assessments.storage import folder_store
    from microcred.ownership import portability
    from microcred.transcripts.clr import find_earner

    settings = load_settings()
    with unit_of_work(settings, attributed=False) as session:
        data = portability.build_archive(session, find_earner(session, earner).id, base_url=settings.base_url,
                                         store=folder_store(settings.data_dir))
        write_bytes(data, out)  # inside the transaction: a file that cannot be written undoes the export
    typer.echo(f"wrote {out} ({len(data)} bytes)")


@earners_app.command("erase")
def earners_erase(
    earner: Annotated[str, typer.Argument(help="The earner's email or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Erase an earner's personal data; keep only each award's id, achievement, status entries and identity hash."""
    from microcred.assessments.storage import folder_store
    from microcred.ownership import erasure
    from microcred.transcripts.clr import find_earner

    if not yes:
        fail("erasure cannot be undone: add --yes")
    settings = load_settings()
    with unit_of_work(settings, attributed=False) as session:
        report = erasure.erase_earner(session, find_earner(session, earner).id, store=folder_store(settings.data_dir))
    typer.echo(f"erased earner {report.earner_id}: {report.awards_kept} award(s) kept as ledger entries, "
               f"{sum(report.rows_deleted.values())} row(s) and {report.files_deleted} file(s) deleted")


@earners_app.command("offer")
def earners_offer(
    award_id: Annotated[str, typer.Argument(help="The award to deliver to a wallet.")],
    no_tx_code: Annotated[bool, typer.Option("--no-tx-code", help="No transaction code (PIN).")] = False,
) -> None:
    """An OpenID4VCI credential offer (pre-authorized code) for an award: the deep link and its transaction code."""
    from microcred.awards import queries as awards
    from microcred.ownership import oid4vci

    settings = load_settings()
    with unit_of_work(settings, attributed=False) as session:
        try:
            offer = oid4vci.create_offer(session, awards.get_award(session, award_id), base_url=settings.base_url,
                                         with_tx_code=not no_tx_code)
        except oid4vci.OAuthError as exc:
            fail(exc.description)
    typer.echo(offer.deep_link)
    if offer.tx_code:
        typer.echo(f"transaction code: {offer.tx_code}")


@earners_app.command("email")
def earners_email(
    award_id: Annotated[str, typer.Argument(help="The award to email to its earner.")],
    lang: Annotated[str, typer.Option("--lang", help="en or fr")] = "en",
) -> None:
    """Email an award to its earner with a claim link (SMTP: MICROCRED_SMTP_HOST/PORT)."""
    from microcred.awards import queries as awards
    from microcred.ownership import delivery

    settings = load_settings()
    with unit_of_work(settings, attributed=False) as session:
        sent = delivery.send_award(session, settings, awards.get_award(session, award_id), language=lang)
    if not sent:
        fail(f"the SMTP server {settings.smtp_host}:{settings.smtp_port} did not accept the message")
    typer.echo("sent")

"""`microcred transcripts clr|pdf|csv|add-external` and `microcred pathways create|list|progress|approve`.

EARNER is an email address or an earner id. Exit codes: 0 ok; 2 bad input, unknown earner, a credential that does
not verify (each reason printed), or a pathway that cannot be approved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from microcred.cli import app
from microcred.cli._common import fail, read_text, write_output
from microcred.cli._runtime import load_settings, session_factory, unit_of_work

transcripts_app = typer.Typer(help="CLR 2.0 and registrar transcripts (PDF, CSV).", no_args_is_help=True)
pathways_app = typer.Typer(help="Stackable pathways: define, follow progress, approve.", no_args_is_help=True)
if TYPE_CHECKING:
    from microcred.transcripts.registrar import Transcript

app.add_typer(transcripts_app, name="transcripts")
app.add_typer(pathways_app, name="pathways")

Earner = Annotated[str, typer.Argument(help="The earner's email address or id.")]
Lang = Annotated[str, typer.Option("--lang", help="en or fr.")]


def _gettext(lang: str) -> tuple[str, Callable[[str], str]]:
    from microcred.i18n import LANGUAGES, translations

    if lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)} (got {lang!r})")
    return lang, translations(lang).gettext


@transcripts_app.command("clr")
def transcripts_clr(
    earner: Earner,
    out: Annotated[Path | None, typer.Option("--out", help="Write the ClrCredential here (default: stdout).")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Sign as this organisation (id).")] = None,
) -> None:
    """A signed CLR 2.0 ClrCredential with every current credential of the earner and their associations."""
    from microcred.transcripts import clr

    with unit_of_work() as session:
        document = clr.issue_clr(session, earner, base_url=load_settings().base_url, issuer_id=issuer)
    write_output(json.dumps(document, ensure_ascii=False, indent=2), out)
    if out is not None:
        count = len(document["credentialSubject"]["verifiableCredential"])
        typer.echo(f"CLR {document['id']} with {count} credential(s) written to {out}")


def _transcript(earner: str) -> Transcript:
    from microcred.transcripts import clr, registrar

    with unit_of_work() as session:
        person = clr.find_earner(session, earner)
        return registrar.transcript(session, person, base_url=load_settings().base_url)


def _write(out: Path, content: bytes | str) -> None:
    """Write a transcript file (making its folder); a failure is bad input with the reason."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            out.write_bytes(content)
        else:
            out.write_text(content, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")


@transcripts_app.command("pdf")
def transcripts_pdf(
    earner: Earner,
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write.")],
    lang: Lang = "en",
) -> None:
    """A printable transcript (PDF): each credential as a course line with its verification URL and QR code."""
    from microcred.transcripts import registrar

    language, gettext = _gettext(lang)
    data = _transcript(earner)
    _write(out, registrar.to_pdf(data, lang=language, gettext=gettext))
    typer.echo(f"transcript ({len(data.rows)} credential(s), {language}) written to {out}")


@transcripts_app.command("csv")
def transcripts_csv(
    earner: Earner,
    out: Annotated[Path | None, typer.Option("--out", help="The CSV file (default: stdout).")] = None,
    lang: Lang = "en",
) -> None:
    """The same rows as CSV for a student information system (ISO dates, PESC credit unit codes)."""
    from microcred.transcripts import registrar

    language, gettext = _gettext(lang)
    text = registrar.to_csv(_transcript(earner), lang=language, gettext=gettext)
    if out is None:
        typer.echo(text, nl=False)
        return
    _write(out, text)
    typer.echo(f"CSV written to {out}")


@transcripts_app.command("add-external")
def transcripts_add_external(
    earner: Earner, path: Annotated[Path, typer.Argument(help="A third-party OB 3.0 credential (JSON-LD or JWT).")]
) -> None:
    """Verify a third-party credential and add it to the earner's backpack (it may count toward pathways)."""
    from microcred.transcripts import clr
    from microcred.verification import instance_verifier

    text = read_text(path).strip()
    try:
        source: dict[str, Any] | str = json.loads(text) if text.startswith("{") else text
    except json.JSONDecodeError as exc:
        fail(f"{path} is not valid JSON: {exc}")
    settings = load_settings()
    verifier = instance_verifier(session_factory(settings, must_exist=True), settings)
    with unit_of_work() as session:
        person = clr.find_earner(session, earner)
        from microcred import issuing
        row = issuing.add_external_credential(
            session, person.id, source, verify=verifier.verify, base_url=settings.base_url
        )
    typer.echo(f"external credential {row.id} ({row.achievement_name}, {row.issuer_name}) added")


# -- pathways ------------------------------------------------------------------------------------------
@pathways_app.command("create")
def pathways_create(
    achievement: Annotated[str, typer.Argument(help="The pathway credential's achievement id.")],
    component: Annotated[list[str], typer.Option("--component", help="A component achievement id (repeat).")],
    rule: Annotated[str, typer.Option("--rule", help="all_of or n_of_m.")] = "all_of",
    required: Annotated[int | None, typer.Option("--required", help="N for n_of_m.")] = None,
    min_credits: Annotated[float | None, typer.Option("--min-credits")] = None,
    ordered: Annotated[bool, typer.Option("--ordered", help="Components must be earned in order.")] = False,
    approval: Annotated[bool, typer.Option("--approval", help="Queue for approval instead of issuing.")] = False,
) -> None:
    """Define a pathway credential from component achievements."""
    from microcred.transcripts import pathways

    with unit_of_work() as session:
        pathway = pathways.create_pathway(
            session,
            achievement_id=achievement,
            components=component,
            rule=rule,
            required_count=required,
            min_credits=min_credits,
            ordered=ordered,
            issue_mode="approval" if approval else "auto",
        )
    typer.echo(f"pathway {pathway.id} created")


@pathways_app.command("list")
def pathways_list() -> None:
    """Every pathway, and the completions waiting for approval."""
    from microcred.catalog import services as catalog
    from microcred.transcripts import pathways

    table = Table("id", "credential", "rule", "components", "min credits", "ordered", "issue")
    with unit_of_work() as session:
        for p in pathways.list_pathways(session):
            rule = p.rule if p.rule == "all_of" else f"{p.required_count} of {len(p.components)}"
            table.add_row(
                str(p.id),
                catalog.get_achievement(session, p.achievement_id).name,
                rule,
                str(len(p.components)),
                "" if p.min_credits is None else f"{p.min_credits:g}",
                "yes" if p.ordered else "no",
                p.issue_mode,
            )
        pending = pathways.list_completions(session, status="pending")
    Console().print(table)
    for c in pending:
        typer.echo(f"pending approval: completion {c.id} (pathway {c.pathway_id}, earner {c.earner_id})")


@pathways_app.command("progress")
def pathways_progress(
    earner: Earner, as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False
) -> None:
    """The earner's progress toward each pathway."""
    from microcred.transcripts import clr, pathways

    with unit_of_work() as session:
        person = clr.find_earner(session, earner)
        states = [s.to_json() for s in pathways.earner_progress(session, person.id, load_settings().base_url)]
    if as_json:
        typer.echo(json.dumps(states, indent=2, ensure_ascii=False))
        return
    for s in states:
        typer.echo(
            f"{s['name']}: {s['completed']}/{s['required']} components, {s['credits']:g} credits — {s['status']}"
        )
        for c in s["components"]:
            typer.echo(f"  [{'x' if c['done'] else ' '}] {c['label']}")


@pathways_app.command("approve")
def pathways_approve(completion: Annotated[str, typer.Argument(help="The pending completion's id.")]) -> None:
    """Issue a pathway credential that was queued for approval."""

    with unit_of_work() as session:
        from microcred import issuing
        award = issuing.approve_pathway_completion(session, completion, base_url=load_settings().base_url)
    typer.echo(f"pathway credential issued: award {award.id}")

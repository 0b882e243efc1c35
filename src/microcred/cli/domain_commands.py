"""`microcred init | demo | serve | awards list | awards export`: the instance from the shell.

Exit codes: 0 ok, 2 bad input or an instance that is not ready (one line on stderr, never a traceback).
Key material (master key, private keys, API token) is never printed: only where it is kept.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from microcred.cli import app
from microcred.cli._common import fail, write_bytes, write_output
from microcred.cli._runtime import ensure_api_token, errors, load_settings, migrate, read_session, session_factory
from microcred.private_files import private_dir

if TYPE_CHECKING:
    import uvicorn

awards_app = typer.Typer(help="Issued awards (signed credentials).", no_args_is_help=True)
app.add_typer(awards_app, name="awards")


class ExportFormat(StrEnum):
    di = "di"
    jwt = "jwt"
    png = "png"
    svg = "svg"
    pdf = "pdf"


def _safe_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("init")
def init() -> None:
    """Create the data folder, master key, database (migrations) and API token file. Harmless to run twice."""
    from microcred.issuers import keystore

    settings = load_settings()
    out = Console(highlight=False)
    with errors():
        private_dir(settings.data_dir)  # 0700: it holds personal data and keys
        if settings.master_key:
            keystore.load_master_key(settings)  # validates it, creates nothing
            master = "from MICROCRED_MASTER_KEY"
        else:
            path, created = keystore.ensure_master_key_file(settings)
            keystore.load_master_key(settings)
            master = f"{path} ({'created' if created else 'kept'})"
        migrate(settings)
        token_path, token_created = ensure_api_token(settings)
    token = "from MICROCRED_API_TOKEN"
    if token_path is not None:
        token = f"{token_path} ({'created' if token_created else 'kept'})"
    out.print(f"data folder : {settings.data_dir.resolve()}")
    out.print(f"database    : {_safe_db_url(settings.resolved_database_url)} (migrations applied)")
    out.print(f"master key  : {master}")
    out.print(f"API token   : {token}")
    out.print(f"base URL    : {settings.base_url}")


@app.command("demo")
def demo() -> None:
    """Seed demo data (an Ontario college, an employer, three micro-credentials, earners, signed awards)."""
    from microcred.db import session_scope
    from microcred.demo import seed_demo

    settings = load_settings()
    with errors():
        migrate(settings)
        factory = session_factory(settings)
        with session_scope(factory) as session:
            from microcred.assessments.storage import folder_store

            result = seed_demo(
                session,
                base_url=settings.base_url,
                evidence_store=folder_store(settings.data_dir),
                import_taxonomy=True,  # ESCO v1.1.1 once (≈ 6-9 s), so alignments are checked against it
            )
            from microcred.demo import seed_demo_users

            links = seed_demo_users(session, base_url=settings.base_url)
            from microcred.demo import seed_ownership_demo

            ownership = seed_ownership_demo(session, base_url=settings.base_url)
            from microcred.awards import queries as award_queries

            featured = award_queries.get_award(session, result.featured_award_id)
            tour = _console_tour(settings.base_url, featured.earner_id, featured.achievement_id)
        if result.bulk_batch_id is not None:
            from microcred.demo.bulk import run_cohort

            run_cohort(factory, settings, result.bulk_batch_id)  # its chunks act as the batch's maker, "demo"
    from microcred.urls import credential_url

    typer.echo("one-time sign-in links (valid for 7 days; `microcred demo` prints new ones):")
    for role, label in (("org_admin", "staff"), ("partner_reviewer", "partner"), ("earner", "earner")):
        if role in links:
            typer.echo(f"  {label:<12} {links[role]}")
    if ownership is not None:
        typer.echo(f"wallet (OpenID4VCI) offer for the demo earner, valid 24 h: {ownership.offer.deep_link}")
        typer.echo(f"  the demo earner's bound DID: {ownership.did}")
    typer.echo("the console (staff sign-in), with the demo's data:")
    for label, url in tour:
        typer.echo(f"  {label:<24} {url}")
    made = ", ".join(f"{n} {what}" for what, n in result.created.items() if n) or "nothing new (already seeded)"
    typer.echo(f"demo data: {made}")
    if result.bulk_batch_id is not None:
        typer.echo(
            f"bulk issuance: a cohort CSV issued as batch {result.bulk_batch_id} "
            f"({settings.base_url}/console/awards/bulk/{result.bulk_batch_id}, staff sign-in)"
        )
    # the credential URLs come last: scripts take the last line
    typer.echo(f"verify a demo credential at: {credential_url(result.featured_award_id, settings.base_url)}")
    for name, award_id in result.lifecycle.items():
        typer.echo(f"  {name:<12} {credential_url(award_id, settings.base_url)}")


def _console_tour(base_url: str, earner_id: object, achievement_id: object) -> list[tuple[str, str]]:
    """Where the console shows what the demo seeded: the featured credential's earner and achievement."""
    base = f"{base_url}/console"
    return [
        ("an earner's record", f"{base}/earners/{earner_id}"),
        ("occupations, coverage", f"{base}/achievements/{achievement_id}/occupations"),
        ("assessment results", f"{base}/assessments/{achievement_id}/results"),
        ("pathways", f"{base}/pathways"),
        ("partners, endorsements", f"{base}/partners"),
        ("analytics", f"{base}/analytics"),
        ("audit log", f"{base}/audit"),
    ]


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (each a copy of the app; caches are per process).", min=1)
    ] = 1,
) -> None:
    """Run the web app (uvicorn, microcred.web.app:create_app). Applies pending migrations first."""
    import uvicorn

    settings = load_settings()
    with errors():
        migrate(settings)
    if workers == 1:  # uvicorn's single-process server, as before
        uvicorn.run("microcred.web.app:create_app", factory=True, host=host, port=port)
        return
    _serve_workers(uvicorn.Config("microcred.web.app:create_app", factory=True, host=host, port=port, workers=workers))


def _serve_workers(config: uvicorn.Config) -> None:
    """uvicorn's supervisor and ``config.workers`` processes (each builds its own app; caches are per process) on
    one listening socket, as `uvicorn.run` does, but with TCP_NODELAY set on that socket (connections accepted
    from it inherit it on Linux). uvicorn's own multi-worker path leaves Nagle's algorithm on, which holds every
    keep-alive response body until the client's delayed ACK: about 40 ms more per request (Kludex/uvicorn#3149)."""
    import socket

    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


@awards_app.command("list")
def awards_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List issued awards, newest first."""
    from microcred.awards import queries as awards

    settings = load_settings()
    with read_session(settings) as session:
        rows = awards.award_summaries(session)
    if as_json:
        typer.echo(json.dumps([row.to_json(settings.base_url) for row in rows], indent=2))
        return
    table = Table(title=f"{len(rows)} award(s)")
    for column in ("id", "micro-credential", "earner", "issuer", "issued", "format"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.achievement_name,
            row.earner_name,
            row.issuer_name,
            row.issued_at.strftime("%Y-%m-%d %H:%M UTC"),
            row.format,
        )
    Console(highlight=False).print(table)


@awards_app.command("export")
def awards_export(
    award_id: Annotated[str, typer.Argument(help="The award's id.")],
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="di (JSON-LD), jwt (VC-JOSE), png / svg (baked badge), pdf (certificate)."),
    ] = ExportFormat.di,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the PDF certificate (en or fr).")] = "en",
) -> None:
    """Print (or write) a credential: as issued (di, jwt), baked into a badge image (png, svg), or a PDF certificate.

    Binary formats (png, pdf) need --out, unless stdout is not a terminal (a pipe or a file)."""
    import sys

    from microcred.awards import exports
    from microcred.awards import queries as awards

    if lang not in ("en", "fr"):
        fail("--lang must be en or fr")
    if fmt.value in exports.BINARY_FORMATS and out is None and sys.stdout.isatty():
        fail(f"--format {fmt.value} is binary: give --out FILE (or redirect stdout to a file)")
    settings = load_settings()
    with read_session(settings) as session:
        if fmt.value in ("di", "jwt"):
            text = awards.export_award(awards.get_award(session, award_id), fmt.value)
            write_output(text, out)
            return
        from microcred.i18n import translations

        exported = exports.export_file(
            session, awards.get_award(session, award_id), fmt.value, base_url=settings.base_url, lang=lang,
            gettext=translations(lang).gettext,
        )
    if out is None:
        sys.stdout.buffer.write(exported.data)
        sys.stdout.buffer.flush()
        return
    write_bytes(exported.data, out)

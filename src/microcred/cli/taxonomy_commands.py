"""`microcred taxonomy import esco|case|csv`, `search`, `show`, `suggest`, `frameworks`.

Exit codes: 0 ok, 2 bad input (unreadable path, malformed file, unknown concept, database not ready).
An import is one transaction: on any error nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from microcred.cli import app
from microcred.cli._runtime import NO_TAXONOMY_TABLES, errors, load_settings, session_factory
from microcred.taxonomy.loader import ImportReport

taxonomy_app = typer.Typer(help="Competency frameworks (ESCO shipped offline, CASE, CSV).", no_args_is_help=True)
import_app = typer.Typer(help="Import a competency framework.", no_args_is_help=True)
taxonomy_app.add_typer(import_app, name="import")
app.add_typer(taxonomy_app, name="taxonomy")


class SearchType(StrEnum):
    knowledge = "knowledge"
    skill = "skill"
    transversal = "transversal"


class SuggestKind(StrEnum):
    knowledge = "knowledge"
    skill = "skill"
    attitude = "attitude"
    transversal = "transversal"


def _errors() -> AbstractContextManager[None]:
    """The CLI's error mapping, with the taxonomy's own hint for a database that was never migrated."""
    return errors(no_tables=NO_TAXONOMY_TABLES)


def _factory(*, migrate: bool) -> sessionmaker[Session]:
    """Sessions on the instance database; an import migrates first (its tables may not exist yet)."""
    settings = load_settings()
    if not migrate:
        return session_factory(settings, must_exist=True)
    with _errors():
        return session_factory(settings, migrated=True)


def _run_import(kind: str, as_json: bool, **kwargs: Any) -> None:
    from microcred.db import session_scope
    from microcred.taxonomy import services

    factory = _factory(migrate=True)
    functions: dict[str, Callable[..., ImportReport]] = {
        "esco": services.import_esco,
        "case": services.import_case,
        "csv": services.import_csv,
    }
    console = Console(stderr=True, highlight=False)
    with (
        _errors(),
        Progress(
            TextColumn("[bold]{task.description:<32}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=as_json,
            disable=as_json,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            phase = "reading" if stage.startswith("read") or stage == "classify" else "writing"
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total, description=f"{phase}: {stage}")

        with session_scope(factory) as session:
            report = functions[kind](session, progress=progress, **kwargs)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    out = Console(highlight=False)
    verdict = "imported" if report.changed else "already up to date, nothing changed"
    out.print(f"{report.framework} {report.version}: {verdict} in {report.seconds:.1f} s")
    out.print(
        f"concepts    : {report.concepts} ({report.concepts_inserted} new, {report.concepts_updated} updated)\n"
        f"occupations : {report.occupations} ({report.occupations_inserted} new,"
        f" {report.occupations_updated} updated)\n"
        f"relations   : +{report.relations_added} −{report.relations_removed}"
        + (
            f" ({report.skipped_relations} skipped: they name a URI the data does not hold)"
            if report.skipped_relations
            else ""
        )
    )
    if report.withdrawn_flagged:
        out.print(f"withdrawn   : {report.withdrawn_flagged} concepts/occupations of earlier versions flagged")


@import_app.command("esco")
def import_esco(
    path: Annotated[
        Path | None, typer.Argument(help="Folder of the Commission's ESCO CSVs (gz or not); default: shipped v1.1.1")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="e.g. v1.2.0 (default: from the folder name)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False,
) -> None:
    """Import ESCO (skills, knowledge, groups, hierarchy, collections, occupations). Idempotent; versioned."""
    _run_import("esco", as_json, path=path, version=version)


@import_app.command("case")
def import_case(
    file: Annotated[Path, typer.Argument(help="1EdTech CASE JSON (a CFPackage).")],
    framework: Annotated[str | None, typer.Option("--framework", help="Name (default: the CFDocument title).")] = None,
    version: Annotated[str | None, typer.Option("--version")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a competency framework from CASE JSON (CFDocument + CFItems + isChildOf CFAssociations)."""
    _run_import("case", as_json, path=file, framework=framework, version=version)


@import_app.command("csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV with columns uri,label,type,description,broader_uri.")],
    framework: Annotated[str, typer.Option("--framework", help="The framework's name.")],
    version: Annotated[str, typer.Option("--version")] = "1",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a competency framework from a simple CSV."""
    _run_import("csv", as_json, path=file, framework=framework, version=version)


def _print_results(results: list[Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
        return
    if not results:
        Console(stderr=True).print("no matching concept")
        return
    table = Table("label", "kind", "K/S/A", "reuse level", "uri", box=None, highlight=False)
    for r in results:
        label = r.label + (f" [dim](withdrawn in {r.withdrawn_in})[/]" if r.withdrawn_in else "")
        table.add_row(label, r.kind, r.ksa or "", r.reuse_level or "", r.uri)
    Console(highlight=False).print(table)


@taxonomy_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words of a preferred or alternative label.")],
    type_: Annotated[SearchType | None, typer.Option("--type", help="knowledge | skill | transversal")] = None,
    reuse_level: Annotated[str | None, typer.Option("--reuse-level")] = None,
    framework: Annotated[str | None, typer.Option("--framework", help="Framework key, e.g. esco.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Full-text search over concept labels (current versions), ranked."""
    from microcred.taxonomy import services

    factory = _factory(migrate=False)
    with _errors(), factory() as session:
        results = services.search_concepts(
            session,
            text,
            type=type_.value if type_ else None,
            reuse_level=reuse_level,
            framework=framework,
            limit=limit,
        )
    _print_results(results, as_json)


@taxonomy_app.command("suggest")
def suggest(
    text: Annotated[str, typer.Argument(help="A learning outcome, in free text.")],
    kind: Annotated[
        SuggestKind | None, typer.Option("--kind", help="knowledge | skill | attitude | transversal")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Suggest framework concepts for a learning outcome (offline full-text ranking)."""
    from microcred.taxonomy import services

    factory = _factory(migrate=False)
    with _errors(), factory() as session:
        results = services.suggest_concepts(session, text, kind.value if kind else None, limit)
    _print_results(results, as_json)


@taxonomy_app.command("show")
def show(
    uri: Annotated[str, typer.Argument(help="Concept URI.")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One concept: labels, type, broader/narrower, occupations it is essential/optional for."""
    from microcred.taxonomy import services

    factory = _factory(migrate=False)
    with _errors(), factory() as session:
        detail = services.get_concept(session, uri, version=version)
    if as_json:
        typer.echo(json.dumps(detail.as_dict(), indent=2, ensure_ascii=False))
        return
    c = detail.concept
    out = Console(highlight=False)
    out.print(f"[bold]{c.label}[/]  ({c.framework} {c.version})")
    out.print(f"uri         : {c.uri}")
    out.print(
        f"kind        : {c.kind} (K/S/A: {c.ksa or '-'}; skill type {c.skill_type or '-'}; "
        f"reuse level {c.reuse_level or '-'})"
    )
    if c.withdrawn_in:
        out.print(f"[yellow]withdrawn in {c.withdrawn_in}[/]")
    if detail.alt_labels:
        out.print(f"alt labels  : {'; '.join(detail.alt_labels)}")
    if detail.collections:
        out.print(f"collections : {', '.join(detail.collections)}")
    if c.description:
        out.print(f"description : {c.description}")
    for title, links in (("broader", detail.broader), ("narrower", detail.narrower)):
        if links:
            out.print(f"{title}:")
            for link in links:
                out.print(f"  - {link.label} [dim]{link.uri}[/]")
    for title, links, count in (
        ("essential for", detail.essential_for, detail.essential_for_count),
        ("optional for", detail.optional_for, detail.optional_for_count),
    ):
        if count:
            more = f" (first {len(links)})" if count > len(links) else ""
            out.print(f"{title} {count} occupations{more}: " + ", ".join(link.label for link in links))


@taxonomy_app.command("frameworks")
def frameworks(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Imported frameworks and versions."""
    from microcred.taxonomy import services

    factory = _factory(migrate=False)
    with _errors(), factory() as session:
        infos = services.list_frameworks(session)
    if as_json:
        typer.echo(json.dumps([i.as_dict() for i in infos], indent=2))
        return
    for i in infos:
        current = " (current)" if i.is_current else ""
        typer.echo(f"{i.framework} {i.version}{current}: {i.concepts} concepts, {i.occupations} occupations")

"""Summative assessment from the shell: `assessments define|show|record|evidence`.

Exit codes: 0 ok; 2 bad input (unknown ids, a rubric or result that does not fit, a file too large or of a type
that is not allowed): nothing is written then.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from microcred.cli import app
from microcred.cli._common import fail, read_bytes, read_json
from microcred.cli._runtime import actor, load_settings, unit_of_work

assessments_app = typer.Typer(
    help="Assessment designs (rubrics), per-outcome results and evidence.", no_args_is_help=True
)
app.add_typer(assessments_app, name="assessments")


def _outcome(value: str | None) -> Any:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


@assessments_app.command("define")
def define(
    achievement_id: Annotated[str, typer.Argument(help="A draft achievement.")],
    rubrics_file: Annotated[
        Path,
        typer.Option(
            "--rubrics",
            help='JSON list, one per outcome: {"outcome": 1, "levels": ["Beginning", "Proficient"], '
            '"required_level": "Proficient"} or {"outcome": 2, "score": {"min": 0, "max": 100, "required": 70}}.',
        ),
    ],
    method: Annotated[str, typer.Option(help="project, exam, observed_performance, portfolio, practical, ...")],
    identity_verified: Annotated[bool, typer.Option("--identity-verified/--identity-not-verified")] = False,
    description: Annotated[str | None, typer.Option(help="How the assessment runs.")] = None,
) -> None:
    """Set the assessment of a draft achievement (a rubric for every outcome)."""
    from microcred.assessments import services as assessments

    rubrics = read_json(rubrics_file)
    if not isinstance(rubrics, list):
        fail(f"{rubrics_file}: expected a JSON list of rubrics")
    with unit_of_work() as session:
        design = assessments.define_assessment(
            session,
            achievement_id,
            method=method,
            rubrics=rubrics,
            identity_verified=identity_verified,
            description=description,
        )
        typer.echo(f"assessment defined: {design.method}, {len(design.criteria)} rubric(s)")


@assessments_app.command("show")
def show(achievement_id: str) -> None:
    """The assessment of an achievement as JSON (null: none)."""
    from microcred.assessments import services as assessments
    from microcred.catalog import services as catalog

    with unit_of_work() as session:
        catalog.get_achievement(session, achievement_id)
        typer.echo(json.dumps(assessments.design_json(assessments.get_design(session, achievement_id)), indent=2))


@assessments_app.command("record")
def record(
    achievement_id: str,
    earner_id: str,
    outcome: Annotated[str, typer.Option(help="The outcome's id or 1-based position.")],
    level: Annotated[str | None, typer.Option(help="The rubric level achieved (name or number).")] = None,
    score: Annotated[float | None, typer.Option(help="The score (for a scored outcome).")] = None,
    assessor: Annotated[str | None, typer.Option(help="Who assessed (default: the CLI user).")] = None,
) -> None:
    """Record (or replace) an earner's result on one outcome."""
    from microcred.assessments import services as assessments

    with unit_of_work() as session:
        row = assessments.record_result(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            outcome=_outcome(outcome),
            level=_outcome(level),
            score=score,
            assessor=assessor or actor(),
        )
        typer.echo(f"result recorded: {'passed' if row.passed else 'NOT passed'}")


@assessments_app.command("evidence")
def evidence(
    achievement_id: str,
    earner_id: str,
    visibility: Annotated[str, typer.Option(help="public (shown to verifiers) or private (earner and issuer).")],
    outcome: Annotated[str | None, typer.Option(help="The outcome it supports (id or position).")] = None,
    name: Annotated[str | None, typer.Option()] = None,
    narrative: Annotated[str | None, typer.Option()] = None,
    url: Annotated[str | None, typer.Option()] = None,
    file: Annotated[Path | None, typer.Option(help="PDF, PNG, JPEG or plain text (checked by content).")] = None,
    genre: Annotated[str | None, typer.Option()] = None,
    audience: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add an evidence item (narrative, URL or file) for an earner's assessment."""
    from microcred.assessments import services as assessments
    from microcred.assessments.storage import folder_store

    settings = load_settings()
    upload = None
    if file is not None:
        upload = assessments.FileUpload(read_bytes(file, settings.max_evidence_bytes + 1), file.name)
    with unit_of_work() as session:
        row = assessments.add_evidence(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            visibility=visibility,
            outcome=_outcome(outcome),
            name=name,
            narrative=narrative,
            url=url,
            genre=genre,
            audience=audience,
            file=upload,
            store=folder_store(settings.data_dir),
            max_bytes=settings.max_evidence_bytes,
        )
        typer.echo(f"evidence {row.id} added ({row.visibility}{', ' + row.file_type if row.file_type else ''})")

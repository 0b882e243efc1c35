"""The HTTP API and the CLI spell some vocabularies out where they are declared (a `Literal` keeps the OpenAPI
document inline; a Typer choice must exist before the command's imports run, and the CLI starts without importing
SQLAlchemy). Each must stay equal to the one definition in its owner: this test binds them."""

from __future__ import annotations

import inspect
import typing
from enum import Enum
from typing import Any

import pytest

from microcred.assessments.models import ASSESSMENT_METHODS, VISIBILITIES
from microcred.awards.exports import EXPORT_FORMATS
from microcred.awards.models import AWARD_FORMATS
from microcred.cli import domain_commands, taxonomy_commands, vc_commands
from microcred.i18n import LANGUAGES
from microcred.issuers.models import ORGANISATION_KINDS
from microcred.taxonomy.services import SEARCH_TYPES, SUGGEST_KINDS
from microcred.vc.outcomes import OUTCOME_KINDS, RESULT_STATUSES
from microcred.web.routes.api import assessments, awards, catalog, issuers, ownership
from microcred.web.routes.backpack import ownership as backpack_ownership
from microcred.web.routes.backpack import transcripts as backpack_transcripts
from microcred.web.routes.public import taxonomy


def _literal(annotation: Any) -> tuple[str, ...]:
    """The strings of a Literal, also inside Optional / Annotated."""
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _literal(arg)
        if found:
            return found
    return ()


def _field(model: Any, name: str) -> tuple[str, ...]:
    return _literal(model.model_fields[name].annotation)


def _param(function: Any, name: str) -> tuple[str, ...]:
    hints = typing.get_type_hints(function, include_extras=True)
    return _literal(hints[name])


EDGES = [
    ("api result status", lambda: _field(awards.ResultIn, "status"), RESULT_STATUSES),
    ("api award format", lambda: _field(awards.AwardIn, "format"), AWARD_FORMATS),
    ("api organisation kind", lambda: _field(issuers.OrganisationIn, "kind"), ORGANISATION_KINDS),
    ("api assessment method", lambda: _field(assessments.AssessmentIn, "method"), ASSESSMENT_METHODS),
    ("api evidence visibility", lambda: _field(assessments.EvidenceItemIn, "visibility"), VISIBILITIES),
    ("api outcome kind", lambda: _field(catalog.OutcomeIn, "kind"), OUTCOME_KINDS),
    ("api mail language", lambda: _field(ownership.EmailRequest, "language"), LANGUAGES),
    ("backpack export format", lambda: _literal(backpack_ownership.Format), EXPORT_FORMATS),
    ("backpack language", lambda: _literal(backpack_transcripts.Lang), LANGUAGES),
    ("taxonomy search type", lambda: _param(taxonomy.search, "type"), SEARCH_TYPES),
    ("taxonomy suggest kind", lambda: _param(taxonomy.suggest, "kind"), SUGGEST_KINDS),
]


@pytest.mark.parametrize(("edge", "declared", "owner"), EDGES, ids=[e[0] for e in EDGES])
def test_http_vocabularies_equal_their_owners(edge: str, declared: Any, owner: tuple[str, ...]) -> None:
    assert set(declared()) == set(owner), edge


def _choices(enum: type[Enum]) -> set[str]:
    return {str(member.value) for member in enum}


def test_cli_choices_equal_their_owners() -> None:
    assert _choices(domain_commands.ExportFormat) == set(EXPORT_FORMATS)
    assert _choices(vc_commands.SignFormat) == set(AWARD_FORMATS)
    assert _choices(taxonomy_commands.SearchType) == set(SEARCH_TYPES)
    assert _choices(taxonomy_commands.SuggestKind) == set(SUGGEST_KINDS)
    assert inspect.isclass(domain_commands.ExportFormat)

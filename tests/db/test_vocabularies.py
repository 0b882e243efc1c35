"""Vocabularies are StrEnums defined once; the tuples derived from them stay plain strings, so check constraints,
`one_of` messages and documents read exactly as they did when the tuples were written out by hand."""

from __future__ import annotations

from enum import StrEnum

import pytest

from microcred.db.base import value_in
from microcred.db.models import import_all_models


class _Colour(StrEnum):
    RED = "red"
    DARK_BLUE = "dark blue"


def test_value_in_writes_the_values_as_plain_sql_text() -> None:
    expected = "colour IN ('red', 'dark blue')"
    assert value_in("colour", _Colour) == expected
    assert value_in("colour", tuple(c.value for c in _Colour)) == expected


@pytest.mark.parametrize(
    ("table", "constraint", "sql"),
    [
        ("awards", "format", "format IN ('di', 'jwt')"),
        ("awards", "status", "status IN ('active', 'suspended', 'revoked')"),
        ("status_lists", "purpose", "purpose IN ('revocation', 'suspension')"),
        ("users", "role", "role IN ('org_admin', 'issuer_staff', 'assessor', 'partner_reviewer', 'earner')"),
    ],
)
def test_check_constraints_read_as_the_migrations_wrote_them(table: str, constraint: str, sql: str) -> None:
    from sqlalchemy import CheckConstraint

    from microcred.db.base import Base

    import_all_models()
    checks = {
        str(c.name).removeprefix(f"ck_{table}_"): str(c.sqltext)
        for c in Base.metadata.tables[table].constraints
        if isinstance(c, CheckConstraint)
    }
    assert checks[constraint] == sql


def test_derived_vocabularies_are_plain_strings_and_subsets_of_their_sets() -> None:
    from microcred.accounts.models import ROLES, STAFF_ROLES, Role
    from microcred.awards.exports import BINARY_FORMATS, EXPORT_FORMATS
    from microcred.awards.models import AWARD_FORMATS
    from microcred.status.models import STATUS_PURPOSES
    from microcred.taxonomy.models import CONCEPT_KINDS
    from microcred.taxonomy.services import SEARCH_TYPES
    from microcred.vc.statuslist import PURPOSES

    for values in (ROLES, STAFF_ROLES, EXPORT_FORMATS, BINARY_FORMATS, AWARD_FORMATS, STATUS_PURPOSES, SEARCH_TYPES):
        assert all(type(value) is str for value in values)
    assert tuple(r for r in ROLES if r != Role.EARNER) == STAFF_ROLES
    assert set(AWARD_FORMATS) | set(BINARY_FORMATS) < set(EXPORT_FORMATS)
    assert set(STATUS_PURPOSES) < set(PURPOSES)
    assert SEARCH_TYPES == ("knowledge", "skill", "transversal") and set(SEARCH_TYPES) < set(CONCEPT_KINDS)

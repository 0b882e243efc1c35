"""issuers.update_organisation: the profile fields given change, checked as on creation, all or nothing; what
really changed is audited (nothing when nothing changed); the kind cannot be changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit.models import AuditEntry
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers


def _changes(session: Session, org_id: Any) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "organisation.changed", AuditEntry.subject == f"organisation:{org_id}")
        .order_by(AuditEntry.seq)
    )
    return [json.loads(row.details) for row in rows]


def test_update_checks_saves_and_audits(session: Session, make_org: Callable[..., Any]) -> None:
    org = make_org(session)
    issuers.update_organisation(
        session, org.id, name="  Lakeshore College ", url=None, email="Info@Lakeshore.example", country="ca"
    )
    again = issuers.get_organisation(session, org.id)
    assert (again.name, again.url, again.email, again.country) == (
        "Lakeshore College", None, "info@lakeshore.example", "CA"
    )  # fmt: skip
    assert again.legal_name == "The Test College of Applied Arts and Technology"  # not given: kept
    assert _changes(session, org.id) == [
        {"changed": {"name": "Lakeshore College", "url": None, "email": "info@lakeshore.example"}}
    ]
    issuers.update_organisation(session, org.id, name="Lakeshore College", country="CA")
    assert len(_changes(session, org.id)) == 1  # nothing changed: nothing recorded


BAD = [
    ({"name": " "}, "name is required"),
    ({"country": "Canada"}, "ISO 3166-1 alpha-2"),
    ({"url": "ftp://college.example"}, "must be an http"),
    ({"email": "nobody"}, "not an email address"),
    ({"region": "x" * 101}, "region is too long"),
    ({"kind": "employer"}, "kind: not a profile field"),
]


def test_bad_values_change_nothing(session: Session, make_org: Callable[..., Any]) -> None:
    org = make_org(session)
    for changes, message in BAD:
        with pytest.raises(InvalidInput, match=message):
            issuers.update_organisation(session, org.id, description="New description", **changes)
        again = issuers.get_organisation(session, org.id)
        assert (again.description, again.kind) == ("A test college.", "institution"), changes
    assert _changes(session, org.id) == []

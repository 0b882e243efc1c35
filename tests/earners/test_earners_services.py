"""earners: creation, unique (normalised) email, random salts, optional DID."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput, NotFound


def test_create_and_lookup(session: Session) -> None:
    a = earners.create_earner(session, name="Amara Okafor", email=" Amara@Example.ORG ")
    b = earners.create_earner(session, name="Liam", email="liam@example.org", did="did:key:z6MkExample")
    assert a.email == "amara@example.org"
    assert len(a.salt) == 32 and a.salt != b.salt
    assert earners.get_earner(session, a.id) is a
    assert earners.find_earner_by_email(session, "AMARA@example.org") is a
    assert earners.list_earners(session) == [a, b]
    assert "amara" not in repr(a).lower()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "X", "email": ""}, InvalidInput, "email is required"),
        ({"name": "X", "email": "nope"}, InvalidInput, "not an email"),
        ({"name": "", "email": "x@example.org"}, InvalidInput, "name is required"),
        ({"name": "X", "email": "x@example.org", "did": "https://not-a-did"}, InvalidInput, "must be a DID"),
        ({"name": "Dup", "email": "DUP@example.org"}, Conflict, "already exists"),
    ],
)
def test_validation(session: Session, kwargs: dict[str, str], error: type[Exception], message: str) -> None:
    earners.create_earner(session, name="Dup", email="dup@example.org")
    with pytest.raises(error, match=message):
        earners.create_earner(session, **kwargs)


def test_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        earners.get_earner(session, uuid.uuid4())


def test_an_extra_address_finds_its_earner_once_verified(session: Session) -> None:
    from microcred.db.base import utcnow

    a = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
    b = earners.create_earner(session, name="Liam", email="liam@example.org")
    pending = earners.add_email_row(session, a.id, "amara@personal.example")
    earners.add_email_row(session, b.id, "amara@personal.example")  # claimed elsewhere, never verified
    session.flush()
    assert earners.find_earner_by_email(session, "amara@personal.example") is None
    pending.verified_at = utcnow()
    earners.settle_address(session, "amara@personal.example", verified_for=a.id)
    session.flush()
    assert earners.find_earner_by_email(session, "AMARA@personal.example") is a
    assert [e.email for e in earners.emails(session, a.id)] == ["amara@personal.example"]
    assert earners.emails(session, b.id) == []

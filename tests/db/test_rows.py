"""db.rows.get_row: the one get-or-NotFound every subsystem's ``get_<thing>`` goes through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from microcred.db.rows import get_row
from microcred.errors import NotFound
from microcred.issuers.models import Organisation


def test_get_row_returns_the_row_by_uuid_or_its_text(session: Session, make_org: Callable[..., Any]) -> None:
    org = make_org(session)
    assert get_row(session, Organisation, org.id, "organisation") is org
    assert get_row(session, Organisation, f" {org.id} ", "organisation") is org


def test_get_row_missing_and_malformed_ids_are_not_found_in_one_shape(session: Session) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=rf"^no signing key with id {re.escape(str(missing))}$"):
        get_row(session, Organisation, missing, "signing key")
    with pytest.raises(NotFound, match=r"^no organisation with id 'nope'$"):
        get_row(session, Organisation, "nope", "organisation")

"""Staff around an issued award, shared by the console award-page tests: an administrator of its college
(staff@college.example), another college with its own administrator (staff@other.example), and a partner reviewer
(reviewer@council.example), all with ``password``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued

from microcred.accounts import services as accounts


def add_staff(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any], password: str) -> Issued:
    from microcred.partners import services as partners

    with factory() as session:
        accounts.create_user(
            session, email="staff@college.example", name="Sam Staff", role="org_admin",
            organisation_id=issued.org_id, password=password,
        )  # fmt: skip
        other = make_org(session, name="Other College", registration_id="ON-OTHER-002", email="r@other.example")
        accounts.create_user(
            session, email="staff@other.example", name="Olga Other", role="org_admin",
            organisation_id=other.id, password=password,
        )  # fmt: skip
        partner, _key = partners.create_partner(session, partner_type="industry", name="Sector Council", country="CA")
        accounts.create_user(
            session, email="reviewer@council.example", name="Rita Reviewer", role="partner_reviewer",
            organisation_id=partner.id, password=password,
        )  # fmt: skip
        session.commit()
    return issued

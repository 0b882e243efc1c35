"""The console's awards list filtered by day of issue (`issued_from`, `issued_to`: ISO dates, inclusive, UTC days;
issue 16), on SQLite and PostgreSQL: the bounds are whole days at both ends, in the awards query itself; they
combine with the other filters and never show another organisation's awards; a date that is not one, or an end
before the start, is a 400 with the mistake on its field and no list; French."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import sign_in_with_password

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.awards import lifecycle
from microcred.awards import queries as award_queries
from microcred.earners import services as earners
from microcred.issuers import keystore
from microcred.settings import Settings

PASSWORD = "awards filter password 1"
HTML = {"Accept": "text/html"}
# earner -> moment of issue: two on the edges of March 2026, two just outside it
ISSUED = {
    "Ada Lovelace": datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
    "Grace Hopper": datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC),
    "Katherine Johnson": datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
    "Mary Jackson": datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC),
}


@pytest.fixture
def awards(
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> dict[str, uuid.UUID]:
    """Four awards of the college, issued at the moments of ISSUED (Grace's revoked), and one of another college
    in mid-March; an administrator of the first college. Returns the award ids by earner."""
    master_key = keystore.load_master_key(settings)
    ids: dict[str, uuid.UUID] = {}
    with factory() as session:
        college = make_org(session)
        other = make_org(session, name="Other College", registration_id="ON-TEST-002")
        accounts.create_user(
            session, email="admin@college.example", name="Admin", role="org_admin",
            organisation_id=college.id, password=PASSWORD,
        )  # fmt: skip
        mine = make_achievement(session, college.id)
        theirs = make_achievement(session, other.id, name="Knife Skills")
        moments = {**ISSUED, "Other Earner": datetime(2026, 3, 15, 12, 0, tzinfo=UTC)}
        for name, moment in moments.items():
            earner = earners.create_earner(session, name=name, email=name.split()[0].lower() + "@example.org")
            achievement = theirs if name == "Other Earner" else mine
            award = issuing.issue_award(
                session, achievement_id=achievement.id, earner_id=earner.id, base_url=settings.base_url,
                master_key=master_key,
            )  # fmt: skip
            session.execute(
                update(award_queries.Award).where(award_queries.Award.id == award.id).values(issued_at=moment)
            )
            ids[name] = award.id
        lifecycle.revoke_award(session, ids["Grace Hopper"], reason="Issued in error.")
        session.commit()
    return ids


@pytest.fixture
def client(app: FastAPI, awards: dict[str, uuid.UUID]) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        sign_in_with_password(client, "admin@college.example", PASSWORD)
        yield client


def _listed(page: str) -> list[str]:
    """The earners of the listed awards, in the table's order (newest first)."""
    return re.findall(r'<th scope="row"><a href="/console/awards/[0-9a-f-]{36}">([^<]+)</a></th>', page)


def _field_error(page: str, name: str) -> str:
    field = re.search(rf'<input id="{name}" [^>]*>', page)
    assert field is not None, f"no field {name}"
    assert 'aria-invalid="true"' in field[0] and f"{name}-error" in field[0], field[0]
    error = re.search(rf'<p id="{name}-error" class="field-error">(.*?)</p>', page, re.S)
    assert error is not None
    return re.sub(r"<[^>]+>", "", error[1]).strip().removeprefix("Error: ")  # the prefix: for screen readers


def test_the_dates_are_inclusive_whole_days(client: TestClient) -> None:
    page = client.get("/console/awards")
    assert page.status_code == 200
    assert _listed(page.text) == ["Mary Jackson", "Katherine Johnson", "Grace Hopper", "Ada Lovelace"]
    assert '<label for="issued_from">Issued from</label>' in page.text
    assert re.search(r'<input id="issued_from" name="issued_from" type="date" value=""', page.text)
    assert re.search(r'<input id="issued_to" name="issued_to" type="date" value=""', page.text)

    march = client.get("/console/awards?issued_from=2026-03-01&issued_to=2026-03-31")
    assert march.status_code == 200
    assert _listed(march.text) == ["Katherine Johnson", "Grace Hopper"]  # not the other college's mid-March award
    assert "2 awards" in march.text
    assert 'value="2026-03-01"' in march.text and 'value="2026-03-31"' in march.text  # the filter is kept
    one_day = client.get("/console/awards?issued_from=2026-03-31&issued_to=2026-03-31").text
    assert _listed(one_day) == ["Katherine Johnson"]
    from_only = client.get("/console/awards?issued_from=2026-03-02").text
    assert _listed(from_only) == ["Mary Jackson", "Katherine Johnson"]
    to_only = client.get("/console/awards?issued_to=2026-02-28").text
    assert _listed(to_only) == ["Ada Lovelace"]
    none = client.get("/console/awards?issued_from=2027-01-01").text
    assert _listed(none) == [] and "No award matches." in none


def test_the_dates_combine_with_the_other_filters(client: TestClient) -> None:
    revoked = client.get("/console/awards?issued_from=2026-03-01&issued_to=2026-03-31&status=revoked").text
    assert _listed(revoked) == ["Grace Hopper"]
    active = client.get("/console/awards?issued_from=2026-03-01&issued_to=2026-03-31&status=active").text
    assert _listed(active) == ["Katherine Johnson"]
    searched = client.get("/console/awards?issued_to=2026-03-31&q=ada").text
    assert _listed(searched) == ["Ada Lovelace"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("issued_from=yesterday", "issued_from", "Enter a date as year-month-day, such as 2027-06-30."),
        ("issued_to=2026-02-30", "issued_to", "Enter a date as year-month-day, such as 2027-06-30."),
        ("issued_from=2026-3-1", "issued_from", "Enter a date as year-month-day, such as 2027-06-30."),
        (
            "issued_from=2026-04-01&issued_to=2026-03-01",
            "issued_to",
            "The “issued to” date must be on or after the “issued from” date (2026-04-01).",
        ),
    ],
)
def test_a_bad_date_is_a_400_and_no_list(client: TestClient, query: str, field: str, message: str) -> None:
    page = client.get(f"/console/awards?{query}", headers=HTML)
    assert page.status_code == 400
    assert _field_error(page.text, field) == message
    assert re.search(rf'id="error-summary">.*?<a href="#{field}">', page.text, re.S)
    assert _listed(page.text) == [] and "<table>" not in page.text  # not the whole list, as if it were filtered
    assert "No award is listed until the dates are corrected" in page.text


def test_extreme_dates_are_no_500(client: TestClient) -> None:
    assert _listed(client.get("/console/awards?issued_to=9999-12-31").text)[-1] == "Ada Lovelace"
    assert client.get("/console/awards?issued_from=0001-01-01").status_code == 200
    assert client.get("/console/awards?issued_from=" + "9" * 500).status_code == 400


def test_the_query_bounds_the_moment_of_issue(factory: sessionmaker[Session], awards: dict[str, uuid.UUID]) -> None:
    """`awards.queries.list_awards` filters in the database: from inclusive, before exclusive."""
    with factory() as session:
        found = award_queries.list_awards(
            session,
            issued_from=datetime(2026, 3, 1, tzinfo=UTC),
            issued_before=datetime(2026, 4, 1, tzinfo=UTC),
        )
    assert {a.id for a in found} == {awards["Grace Hopper"], awards["Katherine Johnson"], awards["Other Earner"]}


def test_in_french(client: TestClient) -> None:
    client.get("/language/fr?next=/console/awards")
    page = client.get("/console/awards?issued_from=demain")
    assert page.status_code == 400 and 'lang="fr"' in page.text
    assert "Délivrées à partir du" in page.text and "Délivrées jusqu’au" in page.text
    assert "Aucune attestation n’est affichée tant que les dates ne sont pas corrigées" in page.text

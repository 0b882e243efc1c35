"""The console's partners page `/console/partners` (issue 16, point 4), on SQLite and PostgreSQL, over the demo
seed: the demo's partner and the signed endorsements of the college's achievements with their states and links to
the public documents; withdrawing one after a confirmation step (stored state and page change), a second withdrawal
refused, someone without the right refused, a form without its CSRF token refused; French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.demo.ids import COLLEGE_ID, EMPLOYER_ID
from microcred.partners import services as partners
from microcred.settings import Settings

PASSWORD = "partners page password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def demo(factory: sessionmaker[Session], settings: Settings) -> dict[str, str]:
    """The demo, plus an administrator and an issuer staff member of the college, and a partner reviewer;
    returns the demo's current endorsement (id) of food safety and its achievement's name."""
    from microcred import demo as demo_seed
    from microcred.db import session_scope
    from microcred.issuers import keystore

    with session_scope(factory) as session:
        demo_seed.seed_demo(session, base_url=settings.base_url, master_key=keystore.load_master_key(settings))
        for email, role, org in (
            ("admin@college.example", "org_admin", COLLEGE_ID),
            ("staff@college.example", "issuer_staff", COLLEGE_ID),
            ("reviewer@partner.example", "partner_reviewer", EMPLOYER_ID),
        ):
            accounts.create_user(
                session, email=email, name=email.split("@")[0], role=role, organisation_id=org, password=PASSWORD
            )
        rows = partners.list_endorsements(session, issuer_id=COLLEGE_ID)
        current = next(r for r in rows if partners.endorsement_state(r) == "current")
        summary = partners.endorsement_summary(session, current)
        expired = next(r for r in rows if partners.endorsement_state(r) == "expired")
    return {
        "id": summary["id"],
        "achievement": summary["achievement"],
        "expired_id": str(expired.id),
        "count": str(len(rows)),
    }


@pytest.fixture
def client(app: FastAPI, demo: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _revoke(client: TestClient, endorsement_id: str, **data: str) -> Any:
    token = form_token(client, "/console/partners")
    return client.post(
        f"/console/partners/endorsements/{endorsement_id}/revoke",
        data={"csrf_token": token, **data},
        headers=HTML,
        follow_redirects=False,
    )


def _state(factory: sessionmaker[Session], endorsement_id: str) -> tuple[str, str | None]:
    with factory() as session:
        row = partners.get_endorsement(session, endorsement_id)
        return partners.endorsement_state(row), row.revocation_reason


def _row(page: str, endorsement_id: str) -> str:
    """The endorsements table's row of this endorsement (found by its document link)."""
    match = re.search(r"<tr>((?:(?!</tr>).)*?/endorsements/" + endorsement_id + r".*?)</tr>", page, re.S)
    assert match is not None, f"no row for {endorsement_id}"
    return match.group(1)


def test_the_page_lists_partners_and_endorsements_and_an_administrator_withdraws_one_once(
    client: TestClient, demo: dict[str, str], factory: sessionmaker[Session]
) -> None:
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    page = client.get("/console/partners")
    assert page.status_code == 200
    text = page.text
    assert "Great Lakes Hospitality Group" in text and "Employer" in text and "Hospitality" in text
    assert 'href="/console/partners" aria-current="page"' in text
    assert len(re.findall(r'href="[^"]*/endorsements/[0-9a-f-]{36}" type="application/ld\+json"', text)) == int(
        demo["count"]
    )
    current = _row(text, demo["id"])
    assert demo["achievement"] in current and "Current" in current and "Withdraw" in current
    assert "Expired" in _row(text, demo["expired_id"])

    asked = _revoke(client, demo["id"])
    assert asked.status_code == 200
    assert "Withdraw this endorsement?" in asked.text and "no longer embed this endorsement" in asked.text
    assert _state(factory, demo["id"]) == ("current", None)  # nothing done before confirming

    no_reason = _revoke(client, demo["id"], confirm="yes")
    assert no_reason.status_code == 400 and 'href="#reason"' in no_reason.text
    assert _state(factory, demo["id"]) == ("current", None)

    done = _revoke(client, demo["id"], confirm="yes", reason="The course no longer matches our kitchens.")
    assert done.status_code == 303 and done.headers["location"] == "/console/partners?done=revoked"
    assert _state(factory, demo["id"]) == ("revoked", "The course no longer matches our kitchens.")
    after = client.get(done.headers["location"]).text
    assert "The endorsement was withdrawn" in after
    row = _row(after, demo["id"])
    assert "Revoked" in row and "Withdraw" not in row

    again = _revoke(client, demo["id"], confirm="yes", reason="twice")
    assert again.status_code == 400 and "already withdrawn" in again.text
    assert _state(factory, demo["id"]) == ("revoked", "The course no longer matches our kitchens.")

    client.get("/language/fr?next=/console/partners")
    french = client.get("/console/partners").text
    assert 'lang="fr"' in french and "Organisations partenaires" in french and "Révoquée" in french


def test_refusals_leave_the_endorsement_current(
    client: TestClient, demo: dict[str, str], factory: sessionmaker[Session]
) -> None:
    sign_in_with_password(client, "staff@college.example", PASSWORD)
    assert demo["achievement"] in client.get("/console/partners").text  # issuer staff see it...
    refused = _revoke(client, demo["id"], confirm="yes", reason="not mine to withdraw")
    assert refused.status_code == 403 and "Only an administrator" in refused.text  # ...but may not withdraw
    missing = _revoke(client, "00000000-0000-0000-0000-000000000000", confirm="yes", reason="x")
    assert missing.status_code == 404 and "No endorsement with this id" in missing.text
    assert _revoke(client, "not-an-id").status_code == 404
    no_csrf = client.post(
        f"/console/partners/endorsements/{demo['id']}/revoke",
        data={"confirm": "yes", "reason": "no token"},
        headers=HTML,
        follow_redirects=False,
    )
    assert no_csrf.status_code == 403
    assert _state(factory, demo["id"]) == ("current", None)

    client.post("/sign-out", data={"csrf_token": form_token(client, "/console/partners")})
    sign_in_with_password(client, "reviewer@partner.example", PASSWORD)  # the partner that signed it may
    page = client.get("/console/partners").text
    assert "Endorsements your organisation signed" in page and "Withdraw" in _row(page, demo["id"])
    done = _revoke(client, demo["id"], confirm="yes", reason="Our needs changed.")
    assert done.status_code == 303
    assert _state(factory, demo["id"]) == ("revoked", "Our needs changed.")

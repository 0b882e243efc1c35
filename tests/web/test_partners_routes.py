"""Issue 7 over HTTP (SQLite and PostgreSQL): the issuer requests an endorsement in the console -> the partner's
reviewer is emailed, reviews (errors tied to fields), endorses -> the issuer sees the answers -> the next award
embeds the endorsement and its public page lists the endorser with its own verification result; the JSON API
(endorsements, relevance, revoke) and the public endorsement document."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred.accounts import services as accounts
from microcred.earners import services as earners
from microcred.partners import services as partners
from web.conftest import TOKEN, form_token, make_settings

PASSWORD = "a long enough password 1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def world(
    tmp_path: Path, factory: sessionmaker[Session], mailbox: Any, make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> Iterator[dict[str, Any]]:  # fmt: skip
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "instance", MICROCRED_SMTP_HOST=mailbox.host, MICROCRED_SMTP_PORT=mailbox.port)
    with factory() as session:
        college = make_org(session)
        partner, _ = partners.create_partner(
            session, partner_type="industry", name="Hospitality Sector Council", country="CA"
        )
        for email, role, org in (
            ("staff@college.example", "org_admin", college),
            ("reviewer@council.example", "partner_reviewer", partner),
        ):
            accounts.create_user(
                session, email=email, name=email.split("@")[0].title(), role=role, organisation_id=org.id,
                password=PASSWORD,
            )  # fmt: skip
        achievement = make_achievement(session, college.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@learner.example")
        partners.set_policy(session, college.id, require_endorsement=True)
        session.commit()
        ids = {"college": college.id, "partner": partner.id, "achievement": achievement.id, "earner": earner.id}
        ids["outcomes"] = [str(o.id) for o in achievement.outcomes]
    app = create_app(settings=settings, session_factory=factory)
    with TestClient(app, base_url="https://testserver") as staff, TestClient(app, base_url="https://testserver") as rev:
        yield {"staff": staff, "reviewer": rev, "mailbox": mailbox, **ids}


def _sign_in(client: TestClient, email: str) -> None:
    response = client.post(
        "/sign-in/password",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(client, "/sign-in")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _post(client: TestClient, path: str, page: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": form_token(client, page), **data}, follow_redirects=False)


def test_console_workflow_then_award_page_lists_the_verified_endorser(world: dict[str, Any]) -> None:
    staff, reviewer = world["staff"], world["reviewer"]
    _sign_in(staff, "staff@college.example")
    _sign_in(reviewer, "reviewer@council.example")
    issue = {"achievement_id": str(world["achievement"]), "earner_id": str(world["earner"])}
    issue["results"] = [{"outcome_id": o} for o in world["outcomes"]]  # type: ignore[assignment]
    refused = staff.post("/api/awards", json=issue, headers=AUTH)
    assert refused.status_code == 422 and "no current partner endorsement" in refused.json()["error"]

    page = staff.get("/console/endorsements")
    assert page.status_code == 200 and "Labour-market relevance" in page.text and "Not reviewed" in page.text
    response = _post(
        staff,
        "/console/endorsements/requests",
        "/console/endorsements",
        {"achievement": str(world["achievement"]), "partner": str(world["partner"]), "message": "Fall intake."},
    )
    assert response.status_code == 303
    request_path = response.headers["location"].split("?")[0]
    mail = world["mailbox"].wait_for("reviewer@council.example")
    body = mail.get_payload(decode=True).decode()
    assert "Endorsement request" in str(mail["Subject"]) and request_path.split("/")[-1] in body

    listing = reviewer.get("/console/endorsements")
    assert "Awaiting the partner" in listing.text and request_path in listing.text
    review = reviewer.get(request_path)
    assert "Learning outcomes and alignments" in review.text and "comply with food safety and hygiene" in review.text
    bad = _post(reviewer, f"{request_path}/answer", request_path, {"in_demand": "yes", "decision": "endorse"})
    assert bad.status_code == 400
    assert 'id="reflects-error"' in bad.text and 'id="rationale-error"' in bad.text
    done = _post(
        reviewer,
        f"{request_path}/answer",
        request_path,
        {
            "in_demand": "yes",
            "rationale": "Sector survey: 300 openings.",
            "reflects": "yes",
            "comment": "The practical is a real shift.",
            "endorsement_comment": "Endorsed by the council.",
            "decision": "endorse",
        },
    )
    assert done.status_code == 303
    assert "recorded" in reviewer.get(done.headers["location"]).text
    answers = staff.get(request_path).text
    assert "Sector survey: 300 openings." in answers and "Endorsed" in answers
    assert "Hospitality Sector Council" in str(world["mailbox"].wait_for("staff@college.example")["Subject"])
    assert staff.get(request_path.replace("/requests/", "/requests/") + "x").status_code == 404

    award = staff.post("/api/awards", json=issue, headers=AUTH)
    assert award.status_code == 201, award.text
    public = staff.get(f"/credentials/{award.json()['id']}", headers={"Accept": "text/html"})
    text = re.sub(r"\s+", " ", public.text)
    assert "Endorsed by" in text and "Hospitality Sector Council" in text and "Endorsement verified" in text

    endorsements = staff.get("/api/endorsements", headers=AUTH).json()
    assert [e["state"] for e in endorsements] == ["current"]
    document = staff.get(f"/endorsements/{endorsements[0]['id']}")
    assert document.headers["content-type"].startswith("application/ld+json")
    assert staff.post("/credentials/verify", json={"verifiableCredential": document.json()}).status_code == 200
    relevance = staff.get("/api/relevance", headers=AUTH).json()
    assert [(r["state"], r["issuable"]) for r in relevance] == [("current", True)]
    revoked = staff.post(
        f"/api/endorsements/{endorsements[0]['id']}/revoke", json={"reason": "Withdrawn."}, headers=AUTH
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert staff.post("/credentials/verify", json={"verifiableCredential": document.json()}).status_code == 400
    assert staff.post("/api/awards", json=issue, headers=AUTH).status_code == 422
    fr = staff.get("/console/endorsements", headers={"Accept-Language": "fr"})
    assert "Pertinence pour le marché du travail" in fr.text


def test_occupations_and_requests_api(world: dict[str, Any]) -> None:
    client = world["staff"]
    achievement = str(world["achievement"])
    put = client.put(
        f"/api/achievements/{achievement}/occupations",
        json={"noc": [{"code": "63200", "title": "Cooks"}], "cip": {"code": "12.0500", "title": "Culinary Arts"}},
        headers=AUTH,
    )
    assert put.status_code == 200 and [c["scheme"] for c in put.json()] == ["cip_2021", "noc_2021"]
    bad = client.put(
        f"/api/achievements/{achievement}/occupations", json={"noc": [{"code": "1", "title": "x"}]}, headers=AUTH
    )
    assert bad.status_code == 422 and "five digits" in bad.json()["error"]
    assert client.get(f"/api/achievements/{achievement}/coverage", headers=AUTH).json() == []
    created = client.post(
        "/api/endorsement-requests",
        json={"achievement_id": achievement, "partner_id": str(world["partner"])},
        headers=AUTH,
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    again = client.post(
        "/api/endorsement-requests",
        json={"achievement_id": achievement, "partner_id": str(world["partner"])},
        headers=AUTH,
    )
    assert again.status_code == 409
    assert [p["partner_type"] for p in client.get("/api/partners", headers=AUTH).json()] == ["industry"]
    assert client.get("/api/endorsements").status_code == 401

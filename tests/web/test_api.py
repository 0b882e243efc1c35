"""The authenticated JSON API, end to end: organisation -> achievement -> publish -> earner -> award -> verify."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ESCO_SKILL = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def _achievement_body(issuer_id: str, *, aligned: bool = True) -> dict[str, Any]:
    alignments = [{"target_url": ESCO_SKILL, "target_name": "apply digital literacy"}] if aligned else []
    return {
        "issuer_id": issuer_id,
        "name": "Digital Skills for the Workplace",
        "description": "Use common office software and online tools safely.",
        "criteria_narrative": "A portfolio of three workplace tasks, assessed against a rubric.",
        "workload_hours": 30,
        "credits": 1.0,
        "outcomes": [
            {"statement": "Use spreadsheets to organise data.", "kind": "skill", "alignments": alignments},
            {"statement": "Explain safe password practice.", "kind": "knowledge", "alignments": alignments},
        ],
        "confirm_warnings": True,  # ESCO is not imported here: the alignments' concepts are unknown (a warning)
    }


def test_create_award_fetch_and_verify(client: TestClient, auth: dict[str, str]) -> None:
    org = client.post(
        "/api/organisations",
        json={
            "name": "Lakeshore College",
            "legal_name": "Lakeshore College of Applied Arts and Technology",
            "country": "CA",
            "region": "ON",
            "url": "https://lakeshore.example",
        },
        headers=auth,
    )
    assert org.status_code == 201, org.text
    org_json = org.json()
    assert org_json["did"].startswith("did:web:credentials.example.edu:issuers:")
    assert len(org_json["keys"]) == 1 and org_json["keys"][0]["status"] == "active"

    draft = client.post("/api/achievements", json=_achievement_body(org_json["id"]), headers=auth)
    assert draft.status_code == 201, draft.text
    achievement = draft.json()
    assert achievement["status"] == "draft"
    assert [o["kind"] for o in achievement["outcomes"]] == ["skill", "knowledge"]
    assert achievement["outcomes"][0]["alignments"][0]["target_framework"] == "ESCO v1.1.1"

    published = client.post(f"/api/achievements/{achievement['id']}/publish", headers=auth)
    assert published.status_code == 200 and published.json()["status"] == "published"

    earner = client.post("/api/earners", json={"name": "Grace Hopper", "email": "grace@example.org"}, headers=auth)
    assert earner.status_code == 201, earner.text

    award = client.post(
        "/api/awards",
        json={
            "achievement_id": achievement["id"],
            "earner_id": earner.json()["id"],
            "evidence": [{"name": "Portfolio", "narrative": "Three tasks, all at proficient level."}],
            "results": [{"outcome_id": achievement["outcomes"][0]["id"], "status": "Completed", "value": "Proficient"}],
            "valid_until": "2035-01-01T00:00:00Z",
        },
        headers=auth,
    )
    assert award.status_code == 201, award.text
    body = award.json()
    assert body["id"] and body["credential_url"] == f"https://credentials.example.edu/credentials/{body['id']}"
    assert body["credential"]["id"] == body["credential_url"]
    assert body["credential"]["validUntil"] == "2035-01-01T00:00:00Z"

    fetched = client.get(f"/credentials/{body['id']}", headers={"Accept": "application/ld+json"})
    assert fetched.json() == body["credential"]
    verified = client.post("/credentials/verify", json={"verifiableCredential": fetched.json()})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True

    page = client.get(f"/credentials/{body['id']}", headers={"Accept": "text/html"}).text
    assert "Lakeshore College of Applied Arts and Technology" in page
    assert '<span class="muted">Result:</span> Completed · Proficient' in page and "Portfolio" in page
    assert f'href="{ESCO_SKILL}">apply digital literacy</a>' in page

    # the GETs
    assert client.get(f"/api/awards/{body['id']}", headers=auth).json()["credential"] == body["credential"]
    assert [a["id"] for a in client.get("/api/awards", headers=auth).json()] == [body["id"]]
    assert client.get(f"/api/earners/{earner.json()['id']}", headers=auth).json()["name"] == "Grace Hopper"
    assert len(client.get("/api/earners", headers=auth).json()) == 1
    assert client.get(f"/api/achievements/{achievement['id']}", headers=auth).json()["status"] == "published"
    assert len(client.get("/api/achievements", headers=auth).json()) == 1
    assert client.get("/api/organisations", headers=auth).json()[0]["name"] == "Lakeshore College"


def test_validation_messages(client: TestClient, auth: dict[str, str]) -> None:
    missing = client.post("/api/organisations", json={"country": "CA"}, headers=auth)
    assert missing.status_code == 422
    assert "name: this field is required" in missing.json()["error"]
    bad_kind = client.post("/api/organisations", json={"name": "X", "country": "CA", "kind": "club"}, headers=auth)
    assert bad_kind.status_code == 422 and "kind:" in bad_kind.json()["error"]
    bad_country = client.post("/api/organisations", json={"name": "X", "country": "c1"}, headers=auth)
    assert bad_country.status_code == 422
    assert "ISO 3166-1" in bad_country.json()["error"]
    extra = client.post("/api/earners", json={"name": "A", "email": "a@example.org", "age": 3}, headers=auth)
    assert extra.status_code == 422 and "age:" in extra.json()["error"]
    bad_email = client.post("/api/earners", json={"name": "A", "email": "not-an-email"}, headers=auth)
    assert bad_email.status_code == 422 and "not an email address" in bad_email.json()["error"]
    malformed = client.post(
        "/api/earners", content=b"{name: 'A'}", headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "not valid JSON" in malformed.json()["error"]


def test_domain_errors_are_actionable(client: TestClient, auth: dict[str, str]) -> None:
    org = client.post("/api/organisations", json={"name": "College", "country": "CA"}, headers=auth).json()
    no_outcomes = client.post("/api/achievements", json={**_achievement_body(org["id"]), "outcomes": []}, headers=auth)
    assert no_outcomes.status_code == 422 and "outcomes:" in no_outcomes.json()["error"]
    unaligned = client.post("/api/achievements", json=_achievement_body(org["id"], aligned=False), headers=auth)
    assert unaligned.status_code == 201
    publish = client.post(f"/api/achievements/{unaligned.json()['id']}/publish", headers=auth)
    assert publish.status_code == 422
    assert "has no alignment" in publish.json()["error"]
    earner = client.post("/api/earners", json={"name": "A", "email": "a@example.org"}, headers=auth).json()
    duplicate = client.post("/api/earners", json={"name": "B", "email": "a@example.org"}, headers=auth)
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["error"]
    draft_award = client.post(
        "/api/awards", json={"achievement_id": unaligned.json()["id"], "earner_id": earner["id"]}, headers=auth
    )
    assert draft_award.status_code == 422 and "not published" in draft_award.json()["error"]
    unknown_issuer = client.post(
        "/api/achievements", json=_achievement_body("00000000-0000-4000-8000-000000000000"), headers=auth
    )
    assert unknown_issuer.status_code == 404 and "no organisation" in unknown_issuer.json()["error"]
    naive = client.post(
        "/api/awards",
        json={"achievement_id": unaligned.json()["id"], "earner_id": earner["id"], "valid_from": "2025-01-01T00:00:00"},
        headers=auth,
    )
    assert naive.status_code == 422 and "valid_from" in naive.json()["error"]
    for path in ("/api/organisations/x", "/api/achievements/x", "/api/earners/x", "/api/awards/x"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.json()["error"].startswith("no ")

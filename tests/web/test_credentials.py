"""GET /credentials/{id} content negotiation and the public verification page; VC-API issue and verify."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import outcome_dicts
from tests.web.conftest import Issued


def _path(issued: Issued) -> str:
    return f"/credentials/{issued.award_id}"


# -- content negotiation ---------------------------------------------------------------------------------
def test_json_by_accept_header(client: TestClient, issued: Issued) -> None:
    for accept in ("application/ld+json", "application/vc+ld+json", "application/json"):
        response = client.get(_path(issued), headers={"Accept": accept})
        assert response.status_code == 200, accept
        assert response.headers["content-type"].startswith("application/ld+json")
        assert "Accept" in response.headers["vary"]
        doc = response.json()
        assert doc["id"] == issued.credential_url
        assert doc["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_json_by_query_parameter_and_default(client: TestClient, issued: Issued) -> None:
    by_query = client.get(_path(issued), params={"format": "json"}, headers={"Accept": "text/html"})
    assert by_query.headers["content-type"].startswith("application/ld+json")
    assert by_query.json()["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    anything = client.get(_path(issued), headers={"Accept": "*/*"})
    assert anything.headers["content-type"].startswith("application/ld+json")


def test_jwt_by_accept_and_query(client: TestClient, issued: Issued) -> None:
    by_accept = client.get(_path(issued), headers={"Accept": "application/vc+jwt"})
    assert by_accept.status_code == 200
    assert by_accept.headers["content-type"].startswith("application/vc+jwt")
    token = by_accept.text
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    by_query = client.get(_path(issued), params={"format": "jwt"})
    assert by_query.text == token


def test_unknown_format_and_unacceptable_type(client: TestClient, issued: Issued) -> None:
    bad = client.get(_path(issued), params={"format": "pdf"})
    assert bad.status_code == 422
    assert "format must be one of" in bad.json()["error"]
    unacceptable = client.get(_path(issued), headers={"Accept": "image/png"})
    assert unacceptable.status_code == 406
    assert "application/ld+json" in unacceptable.json()["error"]


def test_browser_gets_the_verification_page(client: TestClient, issued: Issued) -> None:
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(_path(issued), headers={"Accept": browser_accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept, Accept-Language, Cookie"  # shared caches keep each language apart
    html = response.text
    assert '<html lang="en">' in html
    # verdict first: the verdict heading comes before every other section
    assert html.index("✓</span> Verified") < html.index('id="checks-heading"') < html.index('id="issuer-heading"')
    assert "Not verified" not in html
    assert html.count('class="pass"') >= 4 and 'class="fail"' not in html
    # issuer: name, legal name, country/region, URL
    assert "Test College" in html
    assert "The Test College of Applied Arts and Technology" in html
    assert "CA · ON" in html
    assert 'href="https://college.example"' in html
    # achievement, criteria and type
    assert "Food Safety Fundamentals" in html and "Food safety for kitchen staff." in html
    assert "Pass a written test and a practical kitchen assessment." in html
    assert "Micro credential" in html
    # outcomes with their kind and ESCO alignments linked to the concept URI
    for kind in ("knowledge", "skill", "attitude"):
        assert f'<span class="kind">{kind}</span>' in html
    for outcome in outcome_dicts():
        assert outcome["statement"] in html
        for alignment in outcome["alignments"]:
            assert f'href="{alignment["target_url"]}">{alignment["target_name"]}</a>' in html
    # evidence, dates, QR code of the page's own URL
    assert "Practical kitchen assessment" in html and 'href="https://college.example/evidence/123"' in html
    assert "Valid from" in html and "no expiry" in html
    assert '<svg role="img"' in html and "qrline" in html
    assert f"QR code linking to {issued.credential_url}" in html


def test_tampered_stored_credential_shows_not_verified(client: TestClient, issued: Issued, factory: Any) -> None:
    from microcred.awards import queries as awards
    with factory() as session:
        award = awards.get_award(session, issued.award_id)
        doc = json.loads(award.credential_json)
        doc["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
        award.credential_json = json.dumps(doc)
        session.commit()
    html = client.get(_path(issued), headers={"Accept": "text/html"}).text
    assert "✗</span> Not verified" in html
    assert "Signature (proof):" in html
    assert 'class="fail"' in html


def test_unknown_credential_is_404_json_and_html(client: TestClient) -> None:
    missing = "/credentials/00000000-0000-4000-8000-000000000000"
    as_json = client.get(missing, headers={"Accept": "application/ld+json"})
    assert as_json.status_code == 404
    assert "no award" in as_json.json()["error"]
    as_html = client.get(missing, headers={"Accept": "text/html"})
    assert as_html.status_code == 404
    assert as_html.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in as_html.text
    not_a_uuid = client.get("/credentials/not-a-uuid", headers={"Accept": "application/json"})
    assert not_a_uuid.status_code == 404


# -- VC-API ---------------------------------------------------------------------------------------------
def _unsigned(issuer_did: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:4f0b1c2e-8d5a-4f5e-9a51-0c1d2e3f4a5b",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Workshop participation",
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Test College"},
        "validFrom": "2025-01-15T09:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:0a9b8c7d-6e5f-4a3b-9c1d-2e3f4a5b6c7d",
                "type": ["Achievement"],
                "name": "Workshop participation",
                "description": "Took part in a one-day workshop.",
                "criteria": {"narrative": "Attend the whole workshop."},
            },
        },
    }


def _org_did(client: TestClient, auth: dict[str, str], issued: Issued) -> str:
    did: str = client.get(f"/api/organisations/{issued.org_id}", headers=auth).json()["did"]
    return did


def test_issue_then_verify(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    did = _org_did(client, auth, issued)
    response = client.post("/credentials/issue", json={"credential": _unsigned(did), "options": {}}, headers=auth)
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["proof"][0]["verificationMethod"].startswith(did + "#")
    verified = client.post("/credentials/verify", json={"verifiableCredential": signed})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True and body["errors"] == []
    assert {c["check"] for c in body["checks"]} >= {"proof", "issuer", "schema"}
    assert all(c["passed"] for c in body["checks"])


def test_issue_requires_the_token(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    payload = {"credential": _unsigned(_org_did(client, auth, issued))}
    missing = client.post("/credentials/issue", json=payload)
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["error"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = client.post("/credentials/issue", json=payload, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid API token"


def test_issue_rejects_foreign_issuer_and_bad_documents(
    client: TestClient, issued: Issued, auth: dict[str, str]
) -> None:
    foreign = client.post(
        "/credentials/issue", json={"credential": _unsigned("did:web:elsewhere.example")}, headers=auth
    )
    assert foreign.status_code == 400
    assert "not an organisation of this instance" in foreign.json()["error"]
    did = _org_did(client, auth, issued)
    broken = _unsigned(did)
    del broken["credentialSubject"]["achievement"]["criteria"]
    invalid = client.post("/credentials/issue", json={"credential": broken}, headers=auth)
    assert invalid.status_code == 400
    assert "JSON Schema" in invalid.json()["error"]
    options = client.post("/credentials/issue", json={"credential": _unsigned(did), "options": {"x": 1}}, headers=auth)
    assert options.status_code == 400 and "unsupported option" in options.json()["error"]
    no_credential = client.post("/credentials/issue", json={"options": {}}, headers=auth)
    assert no_credential.status_code == 422
    assert "credential: this field is required" in no_credential.json()["error"]


def test_verify_stored_credential_json_and_jwt(client: TestClient, issued: Issued) -> None:
    doc = client.get(_path(issued), params={"format": "json"}).json()
    ok = client.post("/credentials/verify", json={"verifiableCredential": doc})
    assert ok.status_code == 200 and ok.json()["verified"] is True
    token = client.get(_path(issued), params={"format": "jwt"}).text
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt," + token,
    }
    ok_enveloped = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert ok_enveloped.status_code == 200 and ok_enveloped.json()["verified"] is True
    assert ok_enveloped.json()["format"] == "jwt"
    bare = client.post("/credentials/verify", json={"verifiableCredential": token})  # VC-API takes objects only
    assert bare.status_code == 400 and "EnvelopedVerifiableCredential" in bare.json()["error"]


def test_verify_tampered_credential_is_400(client: TestClient, issued: Issued) -> None:
    doc = client.get(_path(issued), params={"format": "json"}).json()
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Brain Surgery"
    response = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    failed = [c for c in body["checks"] if not c["passed"]]
    assert [c["check"] for c in failed] == ["proof"]
    assert body["errors"] and body["errors"][0].startswith("proof: ")


def test_verify_malformed_json_is_400_with_a_clear_message(client: TestClient) -> None:
    response = client.post(
        "/credentials/verify",
        content=b'{"verifiableCredential": {"id": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("the request body is not valid JSON")
    wrong_shape = client.post("/credentials/verify", json={"verifiableCredential": 42})
    assert wrong_shape.status_code == 400
    assert "verifiableCredential must be a JSON object" in wrong_shape.json()["error"]
    missing = client.post("/credentials/verify", json={"options": {}})
    assert missing.status_code == 422 and "verifiableCredential" in missing.json()["error"]
    garbage = client.post("/credentials/verify", json={"verifiableCredential": "not a jwt"})
    assert garbage.status_code == 400
    assert garbage.json()["verified"] is False

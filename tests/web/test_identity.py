"""DID documents (instance and organisation) and OB 3.0 issuer profiles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.web.conftest import Issued


def _org(client: TestClient, auth: dict[str, str], org_id: Any) -> dict[str, Any]:
    response = client.get(f"/api/organisations/{org_id}", headers=auth)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_organisation_did_document_lists_its_keys(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    org = _org(client, auth, issued.org_id)
    response = client.get(f"/issuers/{issued.org_id}/did.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/did+json")
    doc = response.json()
    assert doc["id"] == org["did"] == f"did:web:credentials.example.edu:issuers:{issued.org_id}"
    listed = {m["publicKeyMultibase"] for m in doc["verificationMethod"]}
    assert listed == {k["public_key_multibase"] for k in org["keys"]} and listed
    for method in doc["verificationMethod"]:
        assert method["type"] == "Multikey" and method["controller"] == doc["id"]
        assert method["id"] in doc["assertionMethod"]
    # the credential's proof names one of these verification methods
    credential = client.get(f"/credentials/{issued.award_id}", params={"format": "json"}).json()
    assert credential["proof"][0]["verificationMethod"] in {m["id"] for m in doc["verificationMethod"]}


def test_instance_did_document(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    org = _org(client, auth, issued.org_id)
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["id"] == "did:web:credentials.example.edu"
    assert doc["alsoKnownAs"][0] == org["did"]
    keys = {m["publicKeyMultibase"] for m in doc["verificationMethod"]}
    assert keys == {k["public_key_multibase"] for k in org["keys"]}
    assert all(m["id"].startswith("did:web:credentials.example.edu#") for m in doc["verificationMethod"])
    assert doc["service"][0]["serviceEndpoint"] == org["profile_url"]


def test_instance_did_document_without_organisations_is_404(client: TestClient) -> None:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 404
    assert "no issuing organisation" in response.json()["error"]


def test_profile(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    org = _org(client, auth, issued.org_id)
    response = client.get(f"/issuers/{issued.org_id}")
    assert response.status_code == 200
    profile = response.json()
    assert profile["id"] == org["did"]
    assert profile["type"] == ["Profile"]
    assert profile["name"] == "Test College"
    assert profile["url"] == "https://college.example"
    assert profile["address"]["addressCountry"] == "CA" and profile["address"]["addressRegion"] == "ON"
    assert profile["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    from microcred.vc.schema import PROFILE_SCHEMA, schema_errors

    assert schema_errors(profile, PROFILE_SCHEMA) == []


def test_unknown_organisation_is_404(client: TestClient) -> None:
    for path in ("/issuers/00000000-0000-4000-8000-000000000000", "/issuers/nope/did.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert "no organisation" in response.json()["error"]

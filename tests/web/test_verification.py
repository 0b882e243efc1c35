"""Key resolution for verification: pinned keys from settings; foreign credentials on the page; app defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings

from microcred.vc import Ed25519Key, sign_data_integrity

FOREIGN_DID = "did:web:partner.example"


def _foreign_credential(key: Ed25519Key, name: str = "Partner badge") -> dict[str, Any]:
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7d3c4b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": FOREIGN_DID, "type": ["Profile"], "name": "Partner <b>Org</b>", "url": "javascript:x()"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:someone",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:2b3c4d5e-6f70-4a1b-9c2d-3e4f5a6b7c8d",
                "type": ["Achievement"],
                "name": name,
                "description": "<script>alert(1)</script>",
                "criteria": {"narrative": "Attend."},
            },
        },
    }
    return sign_data_integrity(unsigned, key, f"{FOREIGN_DID}#key-1")


def _app(tmp_path: Path, factory: sessionmaker[Session], **overrides: Any) -> TestClient:
    from microcred.web.app import create_app

    return TestClient(
        create_app(settings=make_settings(tmp_path / "inst", **overrides), session_factory=factory),
        base_url="https://testserver",
    )


def test_pinned_keys_from_settings_verify_foreign_credentials(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    key = Ed25519Key.generate()
    credential = _foreign_credential(key)
    unpinned = _app(tmp_path, factory).post("/credentials/verify", json={"verifiableCredential": credential})
    assert unpinned.status_code == 400
    assert any(c["check"] == "issuer" or c["check"] == "proof" for c in unpinned.json()["checks"] if not c["passed"])

    pinned_file = tmp_path / "trusted.json"
    pinned_file.write_text(json.dumps({f"{FOREIGN_DID}#key-1": key.public_multibase}))
    client = _app(tmp_path, factory, MICROCRED_TRUSTED_KEYS=pinned_file)
    pinned = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert pinned.status_code == 200, pinned.text
    # the page shows a foreign credential safely: markup escaped, no javascript: link
    page = client.post("/verify", data={"csrf_token": form_token(client), "credential": json.dumps(credential)}).text
    assert "✓</span> Verified" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "Partner &lt;b&gt;Org&lt;/b&gt;" in page and "javascript:" not in page


def test_unusable_trusted_keys_file_is_ignored(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    key = Ed25519Key.generate()
    for content in ("not json", "[1, 2]"):
        broken = tmp_path / "broken.json"
        broken.write_text(content)
        client = _app(tmp_path, factory, MICROCRED_TRUSTED_KEYS=broken)
        response = client.post("/credentials/verify", json={"verifiableCredential": _foreign_credential(key)})
        assert response.status_code == 400 and response.json()["verified"] is False
    missing = _app(tmp_path, factory, MICROCRED_TRUSTED_KEYS=tmp_path / "absent.json")
    assert missing.post("/credentials/verify", json={"verifiableCredential": {}}).status_code == 400


def test_create_app_opens_the_configured_database(tmp_path: Path) -> None:
    from microcred.db import upgrade
    from microcred.web.app import create_app

    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    settings = make_settings(tmp_path / "inst", DATABASE_URL=url)
    with TestClient(create_app(settings=settings)) as client:
        response = client.get("/api/organisations", headers={"Authorization": "Bearer test-api-token-0123456789"})
        assert response.status_code == 200 and response.json() == []


def test_unexpected_errors_are_500_json_without_details(app: Any) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error; the event was logged"}

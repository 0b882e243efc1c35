"""Assessment over HTTP: confirmation of K/S/A warnings, rubrics, results, uploads (413/415), the issuance gate,
and what verifiers see: results and public evidence outcome by outcome, never private evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred.demo import ATTEND_TO_DETAIL, COMPLY_FOOD_SAFETY, FOOD_SAFETY_STANDARDS, alignment
from web.conftest import make_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PRIVATE = "PRIVATE-NOTE: second attempt after a retake"


@pytest.fixture
def client(tmp_path: Path, factory: sessionmaker[Session]) -> Any:
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "instance", MICROCRED_MAX_EVIDENCE_BYTES=4096)
    with TestClient(create_app(settings=settings, session_factory=factory), base_url="https://testserver") as c:
        yield c


def _achievement(issuer_id: str) -> dict[str, Any]:
    return {
        "issuer_id": issuer_id,
        "name": "Food Safety",
        "description": "Food safety for kitchens.",
        "criteria_narrative": "Observed practical and a written exam.",
        "workload_hours": 20,
        "outcomes": [
            {
                "statement": "Explain food safety standards.",
                "kind": "knowledge",
                "alignments": [alignment(FOOD_SAFETY_STANDARDS)],
            },
            {"statement": "Handle food hygienically.", "kind": "skill", "alignments": [alignment(COMPLY_FOOD_SAFETY)]},
            {"statement": "Attend to detail.", "kind": "attitude", "alignments": [alignment(ATTEND_TO_DETAIL)]},
        ],
    }


def _setup(client: TestClient, auth: dict[str, str]) -> tuple[dict[str, Any], str]:
    org = client.post("/api/organisations", json={"name": "Lakeshore College", "country": "CA"}, headers=auth).json()
    body = _achievement(org["id"])
    # ESCO is not imported in this database: every alignment is "unknown", a warning to confirm
    refused = client.post("/api/achievements", json=body, headers=auth)
    assert refused.status_code == 422, refused.text
    assert len(refused.json()["warnings"]) == 3 and "not a concept of any imported framework" in refused.text
    assert client.get("/api/achievements", headers=auth).json() == []
    created = client.post("/api/achievements", json={**body, "confirm_warnings": True}, headers=auth)
    assert created.status_code == 201, created.text
    achievement = created.json()
    assert len(achievement["warnings"]) == 3
    rubric = {
        "method": "observed_performance",
        "identity_verified": True,
        "rubrics": [
            {"outcome": 1, "score": {"min": 0, "max": 100, "required": 70, "result_type": "Percent"}},
            {"outcome": 2, "levels": ["Beginning", "Proficient", "Exemplary"], "required_level": "Proficient"},
            {"outcome": 3, "levels": ["Not yet", "Consistently"], "required_level": 2},
        ],
    }
    bad = client.post(
        f"/api/achievements/{achievement['id']}/assessment",
        json={**rubric, "rubrics": rubric["rubrics"][:2]},
        headers=auth,
    )
    assert bad.status_code == 422 and "missing: outcome 3" in bad.json()["error"]
    defined = client.post(f"/api/achievements/{achievement['id']}/assessment", json=rubric, headers=auth)
    assert defined.status_code == 200, defined.text
    assert client.post(f"/api/achievements/{achievement['id']}/publish", headers=auth).status_code == 200
    frozen = client.post(f"/api/achievements/{achievement['id']}/assessment", json=rubric, headers=auth)
    assert frozen.status_code == 422
    earner = client.post("/api/earners", json={"name": "Amara Okafor", "email": "amara@example.org"}, headers=auth)
    return achievement, earner.json()["id"]


def test_assessed_award_over_http_shows_results_and_only_public_evidence(
    client: TestClient, auth: dict[str, str]
) -> None:
    achievement, earner_id = _setup(client, auth)
    ids = {"achievement_id": achievement["id"], "earner_id": earner_id}
    award_body = {**ids}
    gate = client.post("/api/awards", json=award_body, headers=auth)
    assert gate.status_code == 422 and "outcome 1 (" in gate.json()["error"] and "outcome 3 (" in gate.json()["error"]

    # all or nothing: one bad result and nothing of the record is written
    record = {
        **ids,
        "assessor": "J. Chef",
        "results": [
            {"outcome": 1, "score": 88},
            {"outcome": 2, "level": "Exemplary"},
            {"outcome": 3, "level": "Consistently"},
        ],
        "evidence": [
            {"visibility": "public", "outcome": 1, "name": "Written exam", "narrative": "Scored 88%.", "genre": "Exam"},
            {"visibility": "private", "outcome": 3, "name": "Assessor notes", "narrative": PRIVATE},
            {"visibility": "public", "outcome": 2, "name": "Kitchen video", "url": "https://video.example/amara"},
        ],
    }
    broken = {**record, "results": [*record["results"][:2], {"outcome": 3, "level": "Heroic"}]}
    assert client.post("/api/assessments/records", json=broken, headers=auth).status_code == 422
    empty = client.get("/api/assessments/records", params=ids, headers=auth).json()
    assert empty == {"results": [], "evidence": []}
    recorded = client.post("/api/assessments/records", json=record, headers=auth)
    assert recorded.status_code == 200, recorded.text
    assert all(r["passed"] for r in recorded.json()["results"])

    def upload(data: bytes, name: str, visibility: str, outcome: str = "2") -> Any:
        return client.post(
            "/api/assessments/evidence",
            data={**ids, "visibility": visibility, "outcome": outcome, "name": name, "genre": "Photograph"},
            files={"file": (name, data, "application/pdf")},  # the declared type is ignored: the bytes decide
            headers=auth,
        )

    assert upload(b"MZ\x90\x00" + b"\x00" * 60, "report.pdf", "public").status_code == 415
    assert upload(b"%PDF-" + b"x" * 5000, "big.pdf", "public").status_code == 413
    public = upload(PNG, "Temperature log", "public")
    private = upload(b"%PDF-1.4 id check", "Photo ID check", "private", "1")
    assert public.status_code == 201 and private.status_code == 201, public.text
    public_url = public.json()["file"]["url"]
    assert public.json()["file"]["content_type"] == "image/png" and private.json()["file"]["url"] is None
    assert (
        client.post("/api/assessments/evidence", data={**ids, "visibility": "public"}, headers=auth).status_code == 422
    )

    issued = client.post("/api/awards", json=award_body, headers=auth)
    assert issued.status_code == 201, issued.text
    credential = issued.json()["credential"]
    text = str(credential) + issued.json()["credential_jwt"]
    assert PRIVATE not in text and "Photo ID check" not in text and private.json()["id"] not in text
    assert [e["name"] for e in credential["evidence"]] == [
        "Written exam",
        "Kitchen video",
        "Temperature log",
        "Summative assessment",  # the assessment method (OB has no property for it: an Evidence entry)
    ]
    assert "https://microcred.org/contexts/ob-extensions/v1.jsonld" not in credential["@context"]  # standard only

    verified = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 200, verified.text

    page = client.get(
        issued.json()["credential_url"].replace("https://credentials.example.edu", ""), headers={"Accept": "text/html"}
    )
    assert page.status_code == 200
    html = page.text
    assert PRIVATE not in html and "Photo ID check" not in html
    assert "<strong>Exemplary</strong>" in html and "Consistently" in html and "Required to pass:" in html
    assert "88" in html and "70 (0–100)" in html
    assert f'href="{FOOD_SAFETY_STANDARDS.uri}"' in html and FOOD_SAFETY_STANDARDS.label in html
    assert "Kitchen video" in html and public_url in html and "Evidence for this outcome" in html
    assert '<span class="kind">attitude</span>' in html

    # public endpoints: the public file only; the issuer's API sees private files
    path = public_url.replace("https://credentials.example.edu", "")
    served = client.get(path)
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/evidence/{private.json()['id']}").status_code == 404
    assert client.get("/evidence/not-a-uuid").status_code == 404
    private_file = f"/api/assessments/evidence/{private.json()['id']}/file"
    assert client.get(private_file).status_code == 401
    assert client.get(private_file, headers=auth).content == b"%PDF-1.4 id check"
    everything = client.get("/api/assessments/records", params=ids, headers=auth).json()
    assert {e["visibility"] for e in everything["evidence"]} == {"public", "private"}


def test_extension_context_is_served_at_a_stable_path(client: TestClient) -> None:
    response = client.get("/contexts/ob-extensions/v1.jsonld")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    assert "outcomeKind" in response.json()["@context"]

"""Transcript routes: the served extension context, achievement pages with prerequisites, and the staff API for
records, prerequisites, pathways, CLR, PDF/CSV transcripts and external credentials (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from tests.web.conftest import Issued

from microcred.vc import ContextRegistry


def test_extension_context_is_served_as_bundled(client: TestClient) -> None:
    response = client.get("/contexts/ob-extensions/v1.jsonld")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == ContextRegistry.default().get("https://microcred.org/contexts/ob-extensions/v1.jsonld")


def test_records_prerequisites_pathways_clr_and_transcripts_over_the_api(
    client: TestClient, auth: dict[str, str], issued: Issued, make_achievement: Any, factory: Any
) -> None:
    with factory() as session:
        cert = make_achievement(session, issued.org_id, name="Kitchen Certificate", achievement_type="Certificate")
        advanced = make_achievement(session, issued.org_id, name="Advanced Food Safety")
        session.commit()
        cert_id, advanced_id = str(cert.id), str(advanced.id)
    base = f"/api/achievements/{issued.achievement_id}"
    bad = client.put(f"{base}/transcript-record", json={"eqf_level": 12}, headers=auth)
    assert bad.status_code == 422 and "eqf_level" in bad.text
    ok = client.put(
        f"{base}/transcript-record",
        json={"human_code": "FS-100", "credit_unit": "Semester", "eqf_level": 4, "grading_scheme": "pass_fail"},
        headers=auth,
    )
    assert ok.status_code == 200 and ok.json()["record"]["human_code"] == "FS-100"
    prereq = client.put(
        f"/api/achievements/{advanced_id}/prerequisites", json={"requires": [str(issued.achievement_id)]}, headers=auth
    )
    assert prereq.json()["prerequisites"][0]["name"] == "Food Safety Fundamentals"
    page = client.get(f"/achievements/{advanced_id}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Prerequisites" in page.text and "Food Safety Fundamentals" in page.text
    french = client.get(f"/achievements/{advanced_id}", headers={"accept": "text/html", "accept-language": "fr"})
    assert "Préalables" in french.text

    created = client.post(
        "/api/pathways",
        json={
            "achievement_id": cert_id,
            "components": [{"achievement_id": str(issued.achievement_id)}, {"achievement_id": advanced_id}],
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    earner = "ada@example.org"
    progress = client.get(f"/api/earners/{earner}/pathways", headers=auth).json()
    assert progress[0]["completed"] == 1 and progress[0]["required"] == 2 and progress[0]["met"] is False
    awarded = client.post(
        "/api/awards", json={"achievement_id": advanced_id, "earner_id": str(issued.earner_id)}, headers=auth
    )
    assert awarded.status_code == 201, awarded.text
    progress = client.get(f"/api/earners/{earner}/pathways", headers=auth).json()
    assert progress[0]["status"] == "issued" and progress[0]["award_id"]

    document = client.get(f"/api/earners/{issued.earner_id}/clr", headers=auth)
    assert document.headers["content-type"].startswith("application/ld+json")
    clr = document.json()
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 3
    verified = client.post("/credentials/verify", json={"verifiableCredential": clr})
    assert verified.status_code == 200, verified.text

    csv_fr = client.get(f"/api/earners/{earner}/transcript.csv", params={"lang": "fr"}, headers=auth)
    assert csv_fr.text.splitlines()[0].startswith("Code,Titre,Session,Heures")
    assert "FS-100" in csv_fr.text
    pdf = client.get(f"/api/earners/{earner}/transcript.pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Kitchen Certificate" in text and "FS-100" in text

    refused = client.post(
        f"/api/earners/{earner}/external-credentials", json={"@context": [], "type": "x"}, headers=auth
    )
    assert refused.status_code == 422 and refused.json()["reasons"]
    assert client.get("/api/earners/nobody@example.org/clr", headers=auth).status_code == 404

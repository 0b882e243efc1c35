"""Staff downloads on the console's award page (issue 16, gap 4), on SQLite and PostgreSQL: the badge image with the
signed credential baked in (PNG, SVG) and the PDF certificate, the same files the earner downloads in the backpack
(`awards.exports`), counted as downloads the same way; only for staff who can see the award (another organisation:
404; a partner reviewer: 403); an unknown format is a 404 with a message; an erased earner's award has no copy to
give (400); the certificate in French."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, sign_in_with_password
from tests.web.staffing import add_staff

from microcred.analytics import services as analytics
from microcred.ownership import erasure
from microcred.vc.baking import PNG_SIGNATURE, unbake

PASSWORD = "award downloads password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def staffed(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> Issued:
    """The college of `issued` with an administrator; another college with its own; a partner reviewer."""
    return add_staff(issued, factory, make_org, PASSWORD)


@pytest.fixture
def staff(app: FastAPI, staffed: Issued) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, "staff@college.example", PASSWORD)


def _url(issued: Issued, fmt: str) -> str:
    return f"/console/awards/{issued.award_id}/download/{fmt}"


def _downloads(client: TestClient, factory: sessionmaker[Session], issued: Issued) -> dict[str, int]:
    """The download counts of the award's achievement, once the app's tally of counts is stored (it holds reading
    requests' counts for a second, `web.counting.Tally`)."""
    client.app.state.tally.flush()  # type: ignore[attr-defined]
    with factory() as session:
        counts = analytics.totals(analytics.day_counts(session, achievement_ids=[issued.achievement_id]))
    return {channel or "": n for (kind, channel), n in counts.items() if kind == "download"}


def _verified(client: TestClient, name: str, data: bytes, media_type: str) -> bool:
    checked = client.post("/credentials/verify", files={"file": (name, data, media_type)})
    assert checked.status_code == 200, checked.text
    return bool(checked.json()["verified"])


def test_the_page_links_the_three_downloads(staff: TestClient, staffed: Issued) -> None:
    page = staff.get(f"/console/awards/{staffed.award_id}", headers=HTML).text
    for fmt, label in (
        ("png", "Download the badge image (PNG, with the signed credential inside)"),
        ("svg", "Download the badge image (SVG, with the signed credential inside)"),
        ("pdf", "Download the certificate (PDF)"),
    ):
        assert f'<a href="{_url(staffed, fmt)}"' in page and label in page, fmt
    assert "Download the signed credential (JSON)" in page  # the JSON stays the public page's


def test_the_baked_badges_carry_the_signed_credential(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    assert _downloads(staff, factory, staffed) == {}
    png = staff.get(_url(staffed, "png"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == f'attachment; filename="credential-{staffed.award_id}.png"'
    assert png.content.startswith(PNG_SIGNATURE)
    baked = json.loads(unbake(png.content))
    assert baked["id"] == staffed.credential_url and baked["proof"]
    assert baked["credentialSubject"]["achievement"]["name"] == "Food Safety Fundamentals"
    assert _verified(staff, "badge.png", png.content, "image/png")

    svg = staff.get(_url(staffed, "svg"))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content[:2048]
    assert json.loads(unbake(svg.content))["id"] == staffed.credential_url
    assert _verified(staff, "badge.svg", svg.content, "image/svg+xml")

    assert _downloads(staff, factory, staffed) == {"png": 1, "svg": 1}
    earner_copy = staff.get(f"/credentials/{staffed.award_id}?format=json").json()
    assert baked == earner_copy  # the very credential the earner holds, signature included


def test_the_certificate_in_english_and_french(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    pdf = staff.get(_url(staffed, "pdf"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ada Lovelace" in text and "Food Safety Fundamentals" in text
    assert staffed.credential_url in text.replace("\n", "")
    staff.get("/language/fr?next=/console")
    french = staff.get(_url(staffed, "pdf"))
    text_fr = "".join(p.extract_text() for p in PdfReader(io.BytesIO(french.content)).pages)
    assert "Attestation" in text_fr and "Ada Lovelace" in text_fr
    page = staff.get(f"/console/awards/{staffed.award_id}", headers=HTML).text
    assert "Télécharger le certificat (PDF)" in page
    assert _downloads(staff, factory, staffed) == {"pdf": 2}


def test_an_unknown_format_is_a_404_with_a_message(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    for fmt in ("docx", "jwt", "di"):
        response = staff.get(_url(staffed, fmt), headers=HTML)
        assert response.status_code == 404, fmt
        assert "There is no such download: choose PNG, SVG or PDF." in response.text
    assert _downloads(staff, factory, staffed) == {}


def test_only_staff_who_can_see_the_award(
    app: FastAPI, staff: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    for email, status in (("staff@other.example", 404), ("reviewer@council.example", 403)):
        with TestClient(app, base_url="https://testserver") as other:
            sign_in_with_password(other, email, PASSWORD)
            for fmt in ("png", "svg", "pdf"):
                response = other.get(_url(staffed, fmt), headers=HTML)
                assert response.status_code == status, (email, fmt)
                assert not response.content.startswith((PNG_SIGNATURE, b"%PDF"))
    with TestClient(app, base_url="https://testserver") as anonymous:
        response = anonymous.get(_url(staffed, "png"), headers=HTML, follow_redirects=False)
        assert response.status_code in (303, 401) and not response.content.startswith(PNG_SIGNATURE)
    assert staff.get(f"/console/awards/{uuid.uuid4()}/download/png", headers=HTML).status_code == 404
    assert _downloads(staff, factory, staffed) == {}


def test_an_erased_earners_award_has_no_copy_to_give(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    with factory() as session:
        erasure.erase_earner(session, staffed.earner_id)
        session.commit()
    page = staff.get(f"/console/awards/{staffed.award_id}", headers=HTML)
    assert page.status_code == 200 and _url(staffed, "png") not in page.text
    for fmt in ("png", "svg", "pdf"):
        response = staff.get(_url(staffed, fmt), headers=HTML)
        assert response.status_code == 400, fmt
        assert "The earner erased their account: the platform keeps no copy of this credential." in response.text
    assert _downloads(staff, factory, staffed) == {}

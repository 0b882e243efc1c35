"""The console's earner page (issue 16, gaps 1, 2 and 6), on SQLite and PostgreSQL: who the earner is, their awards
of the staff member's organisation with their true status, their pathway progress, the registrar's files (transcript
PDF and CSV, a CLR signed by the organisation that verifies, the earner's data export ZIP, each audited as the
API's are), erasure on request (a confirmation step first, organisation administrators only, CSRF-checked, through
the erasure service), another organisation's staff get 404, and the page in French."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token, sign_in_with_password

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.audit import services as audit
from microcred.awards import lifecycle
from microcred.earners import services as earners
from microcred.earners.erasure import ERASED_NAME
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.settings import Settings
from microcred.transcripts import pathways
from microcred.web import vc_api

PASSWORD = "earner page password 1"
HTML = {"Accept": "text/html"}


@dataclass(frozen=True)
class Record:
    """Ada's record: the college's active award (`issued`), a revoked one, one from another college, a pathway."""

    issued: Issued
    revoked_id: uuid.UUID
    other_award_id: uuid.UUID | None  # None: Ada holds nothing of the other college (`alone`)
    other_org_id: uuid.UUID

    @property
    def page(self) -> str:
        return f"/console/earners/{self.issued.earner_id}"


def _record(
    issued: Issued,
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    *,
    elsewhere: bool,
) -> Record:
    master_key = keystore.load_master_key(settings)
    with factory() as session:
        knife = make_achievement(session, issued.org_id, name="Knife Skills")
        revoked = issuing.issue_award(
            session, achievement_id=knife.id, earner_id=issued.earner_id, base_url=settings.base_url,
            master_key=master_key,
        )  # fmt: skip
        lifecycle.revoke_award(session, revoked.id, reason="issued in error")
        certificate = make_achievement(session, issued.org_id, name="Kitchen Certificate")
        hygiene = make_achievement(session, issued.org_id, name="Kitchen Hygiene")
        pathways.create_pathway(
            session, achievement_id=certificate.id, components=[str(issued.achievement_id), str(hygiene.id)]
        )
        other = make_org(session, name="Other College", registration_id="ON-OTHER-002", email="r@other.example")
        pastry = make_achievement(session, other.id, name="Pastry Basics")
        other_award = issuing.issue_award(
            session, achievement_id=pastry.id, earner_id=issued.earner_id, base_url=settings.base_url,
            master_key=master_key,
        ) if elsewhere else None  # fmt: skip
        earners.add_email_row(session, issued.earner_id, "ada.work@example.org")
        accounts.create_user(
            session, email="admin@college.example", name="Amal Admin", role="org_admin",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        accounts.create_user(
            session, email="clerk@college.example", name="Carl Clerk", role="issuer_staff",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        accounts.create_user(
            session, email="admin@other.example", name="Olga Other", role="org_admin",
            organisation_id=other.id, password=PASSWORD,
        )  # fmt: skip
        third = make_org(session, name="Third College", registration_id="ON-THIRD-003", email="r@third.example")
        make_achievement(session, third.id, name="Bread Making")
        accounts.create_user(
            session, email="admin@third.example", name="Tom Third", role="org_admin",
            organisation_id=third.id, password=PASSWORD,
        )  # fmt: skip
        session.commit()
        return Record(issued, revoked.id, other_award.id if other_award else None, other.id)


@pytest.fixture
def record(
    issued: Issued,
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> Record:
    """Ada also holds an award of the other college."""
    return _record(issued, factory, settings, make_org, make_achievement, elsewhere=True)


@pytest.fixture
def alone(
    issued: Issued,
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> Record:
    """Ada holds awards of the college only: its administrator may export and erase her data."""
    return _record(issued, factory, settings, make_org, make_achievement, elsewhere=False)


def _client(app: FastAPI, email: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, email, PASSWORD)


@pytest.fixture
def admin(app: FastAPI, record: Record) -> Iterator[TestClient]:
    yield from _client(app, "admin@college.example")


@pytest.fixture
def alone_admin(app: FastAPI, alone: Record) -> Iterator[TestClient]:
    yield from _client(app, "admin@college.example")


@pytest.fixture
def clerk(app: FastAPI, record: Record) -> Iterator[TestClient]:
    yield from _client(app, "clerk@college.example")


@pytest.fixture
def other(app: FastAPI, record: Record) -> Iterator[TestClient]:
    """The administrator of the other college, which awarded Ada one credential."""
    yield from _client(app, "admin@other.example")


@pytest.fixture
def outsider(app: FastAPI, record: Record) -> Iterator[TestClient]:
    """The administrator of a third college, which never awarded Ada anything."""
    yield from _client(app, "admin@third.example")


def _erase(client: TestClient, record: Record, **data: str) -> Any:
    token = form_token(client, record.page)
    return client.post(f"{record.page}/erase", data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def _entries(factory: sessionmaker[Session], action: str) -> list[audit.LoggedEntry]:
    with factory() as session:
        return audit.list_entries(session, audit.AuditFilters(action=action)).entries


def test_the_page_shows_who_their_awards_with_true_status_and_pathway_progress(
    admin: TestClient, record: Record
) -> None:
    response = admin.get(record.page)
    assert response.status_code == 200, response.text
    page = response.text
    assert "<h1>Earner: Ada Lovelace</h1>" in page
    assert "ada@example.org (primary address, verified)" in page
    assert "ada.work@example.org (not verified yet)" in page
    assert "<dt>DID</dt><dd>none bound</dd>" in page and "Not erased" in page
    # the college's awards, each linked to its console page, with the status the awards list shows
    awards = page.split('id="awards-heading"')[1].split("</table>")[0]
    cells = r'[^<]+</a></th>\s*<td>[^<]+</td>\s*<td><span class="status status-{}">{}</span>'
    active = rf'href="/console/awards/{record.issued.award_id}">Food Safety Fundamentals, issued ' + cells.format(
        "ok", "Active"
    )
    revoked = rf'href="/console/awards/{record.revoked_id}">Knife Skills, issued ' + cells.format("fail", "Revoked")
    assert re.search(active, awards) and re.search(revoked, awards)
    assert awards.count("<tr>") == 3  # the header and two rows: another college's award is not shown
    assert "Pastry Basics" not in page and str(record.other_award_id) not in page
    # the college's pathway: one of its two components held
    assert "Kitchen Certificate" in page and "1 of 2 components completed." in page
    assert "Done: Food Safety Fundamentals" in page and "To do: Kitchen Hygiene" in page
    # the registrar's links, named for the earner, and the erasure form (an administrator)
    for path in ("transcript.pdf?lang=en", "transcript.csv?lang=en", "clr", "export.zip"):
        assert f'href="{record.page}/{path}"' in page
    assert "Download Ada Lovelace's transcript (PDF)" in page
    assert f'action="{record.page}/erase"' in page and 'name="csrf_token"' in page
    assert 'name="confirm"' not in page  # no confirmation before it is asked for
    assert page.count('scope="col"') >= 6 and 'scope="row"' in page
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_the_earners_list_links_each_name_to_the_page(admin: TestClient, record: Record) -> None:
    page = admin.get("/console/earners").text
    assert f'<th scope="row"><a href="{record.page}">Ada Lovelace</a></th>' in page


def test_another_organisations_staff_and_unknown_ids_get_404(outsider: TestClient, record: Record) -> None:
    for path in ("", "/transcript.pdf", "/transcript.csv", "/clr", "/export.zip"):
        response = outsider.get(record.page + path, headers=HTML)
        assert response.status_code == 404, path
        assert "No earner with this id holds an award of your organisation" in response.text
        assert "Ada" not in response.text
    token = form_token(outsider, "/console/earners")
    refused = outsider.post(f"{record.page}/erase", data={"csrf_token": token, "confirm": "yes"}, headers=HTML)
    assert refused.status_code == 404
    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        assert outsider.get(f"/console/earners/{unknown}", headers=HTML).status_code == 404


def test_each_organisation_sees_only_its_own_awards_of_the_earner(other: TestClient, record: Record) -> None:
    page = other.get(record.page).text
    assert "<h1>Earner: Ada Lovelace</h1>" in page
    assert f'href="/console/awards/{record.other_award_id}">Pastry Basics, issued' in page
    assert "Food Safety Fundamentals" not in page and "Knife Skills" not in page and "Kitchen Certificate" not in page
    assert "Your organisation has no pathway yet." in page


def test_the_transcript_pdf_and_csv_are_the_registrar_files(
    clerk: TestClient, record: Record, factory: sessionmaker[Session]
) -> None:
    pdf = clerk.get(f"{record.page}/transcript.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    response = clerk.get(f"{record.page}/transcript.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    titles = [cell for row in rows[1:] for cell in row]
    # this college's current awards only: another college's award is not in its registrar's file, nor a revoked one
    assert "Food Safety Fundamentals" in titles and "Pastry Basics" not in titles and "Knife Skills" not in titles
    assert len(rows) == 2


def test_the_clr_is_signed_by_the_organisation_and_verifies(
    clerk: TestClient, record: Record, settings: Settings, factory: sessionmaker[Session]
) -> None:
    response = clerk.get(f"{record.page}/clr")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    with factory() as session:
        college = issuers.get_organisation(session, record.issued.org_id)
        assert document["issuer"]["id"] == issuers.did_for(college, settings.base_url)
    assert document["proof"][0]["verificationMethod"].startswith(document["issuer"]["id"] + "#")
    held = document["credentialSubject"]["verifiableCredential"]
    assert len(held) == 1  # the college's active award only: not the other college's, not the revoked one
    result = vc_api.verify(settings, factory, document)
    assert result.verified, [c.reason for c in result.checks if not c.passed]
    [entry] = _entries(factory, "transcript.clr_issued")
    assert entry.actor == "web:clerk@college.example" and entry.details["issuer_id"] == str(record.issued.org_id)


def test_export_and_erasure_of_an_earner_other_organisations_also_awarded_are_refused(
    admin: TestClient, record: Record, factory: sessionmaker[Session]
) -> None:
    """Their data is not only this organisation's: the instance's administrator or the earner answers."""
    for response in (admin.get(f"{record.page}/export.zip", headers=HTML), _erase(admin, record, confirm="yes")):
        assert response.status_code == 409 and "other organisations" in response.text
    assert _entries(factory, "earner.data_exported") == [] and _entries(factory, "earner.erased") == []
    with factory() as session:
        assert not earners.is_erased(session, record.issued.earner_id)


def test_the_data_export_is_the_earners_zip_and_is_audited(
    alone_admin: TestClient, alone: Record, factory: sessionmaker[Session]
) -> None:
    admin, record = alone_admin, alone
    response = admin.get(f"{record.page}/export.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"manifest.json", "profile.json", "evidence/evidence.json"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert profile["name"] == "Ada Lovelace" and profile["email"] == "ada@example.org"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["earner_id"] == str(record.issued.earner_id) and len(manifest["credentials"]) >= 1
    [entry] = _entries(factory, "earner.data_exported")
    assert entry.actor == "web:admin@college.example" and entry.subject == f"earner:{record.issued.earner_id}"


def test_erasure_asks_to_confirm_then_erases_through_the_service(
    alone_admin: TestClient, alone: Record, factory: sessionmaker[Session]
) -> None:
    admin, record = alone_admin, alone
    asked = _erase(admin, record)
    assert asked.status_code == 200
    assert "Erase this earner's data?" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert "They stay valid and keep verifying" in asked.text and "What is deleted" in asked.text
    with factory() as session:
        assert not earners.is_erased(session, record.issued.earner_id)  # nothing done yet

    done = _erase(admin, record, confirm="yes")
    assert done.status_code == 303 and done.headers["location"] == f"{record.page}?done=erased"
    page = admin.get(done.headers["location"]).text
    assert "The earner's personal data was erased." in page and "<h1>Erased earner</h1>" in page
    assert "Ada" not in page and "ada@example.org" not in page
    assert f'href="/console/awards/{record.issued.award_id}"' in page  # the ledger is kept
    assert "/transcript.pdf" not in page and f"{record.page}/erase" not in page
    with factory() as session:
        earner = earners.get_earner(session, record.issued.earner_id)
        assert earners.is_erased(session, earner.id)
        assert earner.name == ERASED_NAME and earner.did is None and "ada" not in earner.email
        assert earners.emails(session, earner.id) == []
        assert earners.find_earner_by_email(session, "ada@example.org") is None
        assert earners.find_earner_by_email(session, "ada.work@example.org") is None
    [entry] = _entries(factory, "earner.erased")
    assert entry.actor == "web:admin@college.example"
    # nothing personal is left to download, and a second erasure is refused
    for path in ("/transcript.pdf", "/transcript.csv", "/clr", "/export.zip"):
        refused = admin.get(record.page + path, headers=HTML)
        assert refused.status_code == 409 and "was erased" in refused.text, path
    token = form_token(admin, record.page)
    again = admin.post(f"{record.page}/erase", data={"csrf_token": token, "confirm": "yes"}, headers=HTML)
    assert again.status_code == 409 and "already erased" in again.text


def test_erasure_is_refused_to_staff_who_are_not_administrators_and_without_csrf(
    clerk: TestClient, admin: TestClient, record: Record, factory: sessionmaker[Session]
) -> None:
    page = clerk.get(record.page).text
    assert "Only an organisation administrator can erase" in page and "/erase" not in page
    token = form_token(clerk, record.page)
    refused = clerk.post(f"{record.page}/erase", data={"csrf_token": token, "confirm": "yes"}, headers=HTML)
    assert refused.status_code == 403
    no_token = admin.post(f"{record.page}/erase", data={"confirm": "yes"}, headers=HTML)
    assert no_token.status_code == 403
    with factory() as session:
        earner = earners.get_earner(session, record.issued.earner_id)
        assert earner.name == "Ada Lovelace" and not earners.is_erased(session, earner.id)


def test_the_page_in_french(alone_admin: TestClient, alone: Record) -> None:
    admin, record = alone_admin, alone
    admin.get("/language/fr?next=/console")
    page = admin.get(record.page).text
    assert 'lang="fr"' in page
    assert "<h1>Titulaire : Ada Lovelace</h1>" in page and "Attestations de votre organisme" in page
    assert "Télécharger le relevé de Ada Lovelace (PDF)" in page and "transcript.pdf?lang=fr" in page
    assert "Effacer les données de ce titulaire…" in page
    assert "Earner:" not in page and "Awards from your organisation" not in page
    asked = _erase(admin, record).text
    assert "Ce qui est supprimé" in asked and "Elles restent valides et vérifiables" in asked

"""Sign-in (email link through a real SMTP server, password), CSRF, roles, the console and the backpack."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings

from microcred.accounts import services as accounts

PASSWORD = "correct horse battery staple"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def staff_client(
    tmp_path: Path, factory: sessionmaker[Session], mailbox: Any, make_org: Callable[..., Any]
) -> Iterator[tuple[TestClient, Any]]:
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "instance", MICROCRED_SMTP_HOST=mailbox.host, MICROCRED_SMTP_PORT=mailbox.port)
    with factory() as session:
        org = make_org(session)
        accounts.create_user(
            session,
            email="staff@college.example",
            name="Sam Staff",
            role="org_admin",
            organisation_id=org.id,
            password=PASSWORD,
        )
        accounts.create_user(
            session,
            email="reviewer@college.example",
            name="Rita Reviewer",
            role="partner_reviewer",
            organisation_id=org.id,
        )
        session.commit()
        org_id = org.id
    app = create_app(settings=settings, session_factory=factory)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, org_id


def _post(client: TestClient, path: str, data: dict[str, Any], *, page: str | None = None, **kw: Any) -> Any:
    return client.post(path, data={"csrf_token": form_token(client, page or path), **data}, **kw)


def _sign_in_with_password(client: TestClient) -> None:
    response = _post(
        client,
        "/sign-in/password",
        {"email": "staff@college.example", "password": PASSWORD},
        page="/sign-in",
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie


def test_console_needs_sign_in(staff_client: tuple[TestClient, Any]) -> None:
    client, _org = staff_client
    response = client.get("/console/achievements", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/console/achievements"


def test_forms_without_a_valid_csrf_token_are_refused(staff_client: tuple[TestClient, Any]) -> None:
    client, _org = staff_client
    missing = client.post("/sign-in/password", data={"email": "staff@college.example", "password": PASSWORD})
    assert missing.status_code == 403
    forged = client.post(
        "/sign-in/password", data={"email": "staff@college.example", "password": PASSWORD, "csrf_token": "x" * 43}
    )
    assert forged.status_code == 403
    client.cookies.clear()
    fresh = client.get("/sign-in")  # a token from another browser (cookie) does not work either
    token = re.search(r'name="csrf_token" value="([^"]+)"', fresh.text)
    assert token is not None
    client.cookies.clear()
    stolen = client.post(
        "/sign-in/password", data={"email": "staff@college.example", "password": PASSWORD, "csrf_token": token[1]}
    )
    assert stolen.status_code == 403


def test_wrong_password_is_tied_to_the_field_and_rate_limited(staff_client: tuple[TestClient, Any]) -> None:
    client, _org = staff_client
    for _attempt in range(5):
        wrong = _post(
            client,
            "/sign-in/password",
            {"email": "staff@college.example", "password": "nope"},
            page="/sign-in",
            headers={"accept": "text/html"},
        )
        assert wrong.status_code == 400
        assert 'aria-describedby="password-error"' in wrong.text and 'aria-invalid="true"' in wrong.text
    limited = _post(
        client, "/sign-in/password", {"email": "staff@college.example", "password": PASSWORD}, page="/sign-in"
    )
    assert limited.status_code == 429 and "Too many sign-in attempts" in limited.text


def test_email_link_sign_in_works_once(staff_client: tuple[TestClient, Any], mailbox: Any) -> None:
    client, _org = staff_client
    sent = _post(client, "/sign-in/link", {"email": "reviewer@college.example"}, page="/sign-in")
    assert sent.status_code == 200 and "Check your email" in sent.text
    unknown = _post(client, "/sign-in/link", {"email": "nobody@college.example"}, page="/sign-in")
    assert unknown.status_code == 200 and "Check your email" in unknown.text  # no account enumeration
    link = mailbox.link("reviewer@college.example")
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Rita Reviewer" in confirm.text
    signed_in = _post(client, path, {}, page=path, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
    console = client.get("/console")
    assert console.status_code == 200 and "Partner reviewer" in console.text
    # a reviewer may look but not change anything
    assert client.get("/console/achievements/new").status_code == 403
    assert client.get("/console/award").status_code == 403
    again = client.get(path)
    assert again.status_code == 400 and "no longer works" in again.text


def test_staff_flow_create_publish_award_then_earner_backpack(
    staff_client: tuple[TestClient, Any], mailbox: Any, factory: sessionmaker[Session]
) -> None:
    from microcred.db import session_scope
    from support.esco_subset import import_esco_subset

    with session_scope(factory) as session:  # the form aligns outcomes to concepts of an imported framework only
        import_esco_subset(session)
    client, _org = staff_client
    _sign_in_with_password(client)
    invalid = _post(client, "/console/achievements/new", {"name": "", "workload_hours": "abc"})
    assert invalid.status_code == 400
    assert (
        'aria-describedby="workload_hours-hint workload_hours-error"' in invalid.text
        and 'id="error-summary"' in invalid.text
    )

    created = _post(
        client,
        "/console/achievements/new",
        {
            "language": "en",
            "name": "Safe Knife Skills",
            "description": "Knife handling in a commercial kitchen.",
            "name_fr": "Maniement sécuritaire des couteaux",
            "description_fr": "Le maniement des couteaux en cuisine professionnelle.",
            "criteria_narrative": "Observed practical assessment.",
            "workload_hours": "12",
            "level": "Introductory",
            "outcome_count": "3",
            "outcome_0_statement": "Use knives safely.",
            "outcome_0_kind": "skill",
            "outcome_0_concept_0": "http://data.europa.eu/esco/skill/a366f44c-7b90-40dd-b057-533f016f1d7e",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    detail_path = created.headers["location"].split("?")[0]
    achievement_id = detail_path.rsplit("/", 1)[-1]
    bad_image = client.post(
        f"{detail_path}/image",
        data={"csrf_token": form_token(client, detail_path)},
        files={"image": ("x.png", b"GIF89a not a png", "image/png")},
        follow_redirects=False,
    )
    assert bad_image.headers["location"].endswith("error=type")
    image = client.post(
        f"{detail_path}/image",
        data={"csrf_token": form_token(client, detail_path)},
        files={"image": ("x.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert image.headers["location"].endswith("saved=1")
    published = _post(client, f"{detail_path}/publish", {}, page=detail_path, follow_redirects=False)
    assert published.headers["location"].endswith("published=1")

    earner = _post(
        client, "/console/earners", {"name": "Eve Earner", "email": "eve@example.org"}, follow_redirects=False
    )
    assert earner.status_code == 303
    earner_id = re.search(r"/console/award\?earner=([0-9a-f-]+)", client.get("/console/earners").text)
    assert earner_id is not None
    issued = _post(
        client,
        "/console/award",
        {"achievement_id": achievement_id, "earner_id": earner_id[1], "evidence_name": "Practical"},
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    award_id = issued.headers["location"].split("issued=")[1]
    listing = client.get("/console/awards", params={"q": "eve"})
    assert "Eve Earner" in listing.text and award_id in listing.text
    assert "Eve Earner" not in client.get("/console/awards", params={"q": "nobody"}).text
    french = client.get(f"/credentials/{award_id}", headers={"accept": "text/html", "accept-language": "fr-CA,fr"})
    assert "Vérifié" in french.text and "Maniement sécuritaire des couteaux" in french.text

    client.post("/sign-out", data={"csrf_token": form_token(client, "/console")})
    assert client.get("/console", follow_redirects=False).status_code == 303
    _post(client, "/sign-in/link", {"email": "eve@example.org"}, page="/sign-in")
    link = mailbox.link("eve@example.org")
    path = "/" + link.split("/", 3)[3]
    landed = _post(client, path, {}, page=path)
    assert landed.status_code == 200 and "My credentials" in landed.text
    assert "Safe Knife Skills" in landed.text and "✓ </span>Verified" in landed.text
    download = client.get(f"/credentials/{award_id}?format=json")
    assert download.json()["credentialSubject"]["achievement"]["name"] == "Safe Knife Skills"
    assert client.get("/console", follow_redirects=False).status_code == 403


def test_language_switch_and_accept_language(staff_client: tuple[TestClient, Any]) -> None:
    client, _org = staff_client
    assert '<html lang="fr">' in client.get("/", headers={"accept-language": "fr"}).text
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "de, en;q=0.5"}).text
    switched = client.get("/language/fr?next=/verify")
    assert switched.url.path == "/verify" and "Vérifier une attestation" in switched.text
    assert client.get("/language/en?next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_a_not_found_page_for_a_signed_in_staff_member_is_a_404_page_still_signed_in(
    staff_client: tuple[TestClient, Any],
) -> None:
    """The error page is drawn after the request's session is closed: its header still knows who is signed in
    (it was a 500 when the page read the closed session's user)."""
    import uuid

    client, _org_id = staff_client
    _sign_in_with_password(client)
    for path in (f"/console/achievements/{uuid.uuid4()}", f"/console/awards/bulk/{uuid.uuid4()}"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404, (path, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert "Sign out" in response.text and 'href="/console"' in response.text  # still signed in

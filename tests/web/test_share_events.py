"""The earner's acts of sharing are counted (issue 16, point 5), on SQLite and PostgreSQL: `POST
/backpack/credentials/{id}/shared` (the share page's copy buttons: channel link or embed) and `POST
/backpack/credentials/{id}/share/linkedin` (the LinkedIn button, a form: redirects to LinkedIn's add-to-profile
form) each record exactly one `share` event naming the achievement and the channel, and nothing about who; another
earner, a staff member, an anonymous visitor, a missing CSRF token or an unknown channel are refused and record
nothing; a private credential's share is recorded too (the earner did share it) and its page is unchanged."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import BASE_URL, Issued, form_token, sign_in_with_link, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.earners import services as earners
from microcred.settings import Settings

HTML = {"Accept": "text/html"}
PASSWORD = "share events password 12"


def _events(factory: sessionmaker[Session]) -> list[tuple[str, str | None, uuid.UUID | None]]:
    """Every analytics row, as (kind, channel, achievement) — the only things a row could say."""
    from microcred.analytics.models import AnalyticsEvent

    with factory() as session:
        rows = session.query(AnalyticsEvent.kind, AnalyticsEvent.channel, AnalyticsEvent.achievement_id).all()
    return sorted(((k, c, a) for k, c, a in rows), key=lambda r: (r[0], r[1] or ""))


def _shares(factory: sessionmaker[Session]) -> list[tuple[str, str | None, uuid.UUID | None]]:
    return [r for r in _events(factory) if r[0] == "share"]


def _earner(client: TestClient, factory: sessionmaker[Session], issued: Issued) -> tuple[TestClient, str]:
    """A browser signed in as the award's earner, and the CSRF token of its share page."""
    browser = TestClient(client.app, base_url="https://testserver")
    sign_in_with_link(browser, factory, "ada@example.org")
    return browser, form_token(browser, f"/backpack/credentials/{issued.award_id}/share")


def test_the_copy_buttons_count_one_share_per_post(
    client: TestClient, issued: Issued, factory: sessionmaker[Session]
) -> None:
    ada, csrf = _earner(client, factory, issued)
    path = f"/backpack/credentials/{issued.award_id}/shared"
    for channel in ("link", "embed", "link"):
        answer = ada.post(path, data={"csrf_token": csrf, "channel": channel})
        assert answer.status_code == 204, answer.text
        assert answer.content == b""
    a = issued.achievement_id
    assert _shares(factory) == [("share", "embed", a), ("share", "link", a), ("share", "link", a)]
    with factory() as session:  # counts only: a row cannot say who shared
        columns = set(session.execute(text("SELECT * FROM analytics_events")).keys())
    assert columns == {"id", "kind", "channel", "day", "achievement_id", "organisation_id", "status_list_id"}


def test_the_share_page_offers_the_copy_script_and_a_linkedin_form(
    client: TestClient, issued: Issued, factory: sessionmaker[Session]
) -> None:
    ada, _csrf = _earner(client, factory, issued)
    page = ada.get(f"/backpack/credentials/{issued.award_id}/share", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert 'src="/static/share-copy.js"' in html and "<script>" not in html  # no inline script (CSP)
    assert f'data-shared-url="/backpack/credentials/{issued.award_id}/shared"' in html
    assert 'data-copy-from="share-url" data-copy-channel="link" data-copy-label="Copy the address"' in html
    assert 'data-copy-from="embed" data-copy-channel="embed" data-copy-label="Copy the snippet"' in html
    assert 'data-text-copied="Copied"' in html
    assert '<button type="button"' not in html  # without script: no copy button, the fields stay selectable
    assert re.search(r'<input id="share-url" type="text" readonly value="[^"]+"', html)
    form = re.search(r'<form method="post" action="([^"]+/share/linkedin)">(.*?)</form>', html, re.S)
    assert form is not None and form.group(1) == f"/backpack/credentials/{issued.award_id}/share/linkedin"
    assert 'name="csrf_token"' in form.group(2)
    assert "Add Food Safety Fundamentals to my LinkedIn profile</button>" in form.group(2)
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' https://www.linkedin.com;" in csp and "script-src 'self';" in csp
    assert ada.get("/static/share-copy.js").status_code == 200

    ada.cookies.set("lang", "fr")
    french = ada.get(f"/backpack/credentials/{issued.award_id}/share", headers=HTML).text
    assert 'data-copy-label="Copier l’adresse"' in french and 'data-copy-label="Copier l’extrait"' in french
    assert 'data-text-copied="Copié"' in french


def test_the_linkedin_button_counts_and_goes_to_linkedin(
    client: TestClient, issued: Issued, factory: sessionmaker[Session]
) -> None:
    ada, csrf = _earner(client, factory, issued)
    answer = ada.post(
        f"/backpack/credentials/{issued.award_id}/share/linkedin", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "www.linkedin.com", "/profile/add")
    params = parse_qs(target.query)
    assert params["startTask"] == ["CERTIFICATION_NAME"] and params["name"] == ["Food Safety Fundamentals"]
    assert params["certId"] == [str(issued.award_id)] and params["certUrl"] == [issued.credential_url]
    assert params["organizationName"] == ["Test College"]
    assert _shares(factory) == [("share", "linkedin", issued.achievement_id)]


def test_refusals_record_nothing(
    client: TestClient, issued: Issued, factory: sessionmaker[Session], settings: Settings
) -> None:
    from microcred import issuing
    from microcred.issuers import keystore

    with factory() as session:  # another earner, with an award of their own
        grace = earners.create_earner(session, name="Grace Hopper", email="grace@example.org")
        award = issuing.issue_award(
            session, achievement_id=issued.achievement_id, earner_id=grace.id, base_url=BASE_URL,
            master_key=keystore.load_master_key(settings),
        )  # fmt: skip
        graces_award = award.id
        accounts.create_user(
            session, email="staff@college.example", name="Sam", role="org_admin", organisation_id=issued.org_id,
            password=PASSWORD,
        )  # fmt: skip
        session.commit()
    ada_path = f"/backpack/credentials/{issued.award_id}"
    ada, csrf = _earner(client, factory, issued)

    # Ada's own award, wrongly asked
    assert ada.post(f"{ada_path}/shared", data={"channel": "link"}).status_code == 403  # no CSRF token
    assert ada.post(f"{ada_path}/shared", data={"csrf_token": "forged", "channel": "link"}).status_code == 403
    assert ada.post(f"{ada_path}/share/linkedin", data={}, follow_redirects=False).status_code == 403
    for bad in ("linkedin", "", "LINK", "pigeon"):
        refused = ada.post(f"{ada_path}/shared", data={"csrf_token": csrf, "channel": bad})
        assert refused.status_code == 400, (bad, refused.text)
        assert "channel=link" in refused.json()["error"] and "channel=embed" in refused.json()["error"]
    assert ada.post(f"{ada_path}/shared", data={"csrf_token": csrf}).status_code == 400

    # someone else's award: never confirmed to exist
    for path in (f"/backpack/credentials/{graces_award}/shared", f"/backpack/credentials/{uuid.uuid4()}/shared"):
        assert ada.post(path, data={"csrf_token": csrf, "channel": "link"}).status_code == 404
    linkedin = ada.post(
        f"/backpack/credentials/{graces_award}/share/linkedin", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert linkedin.status_code == 404 and "location" not in linkedin.headers

    # not the earner: a visitor signed in as nobody, and a staff member
    anonymous = TestClient(client.app, base_url="https://testserver")
    token = form_token(anonymous, "/verify")
    for url in (f"{ada_path}/shared", f"{ada_path}/share/linkedin"):
        answer = anonymous.post(url, data={"csrf_token": token, "channel": "link"}, follow_redirects=False)
        assert answer.status_code in (303, 401), answer.text
        assert "linkedin.com" not in answer.headers.get("location", "")
        assert anonymous.post(url, data={"channel": "link"}, follow_redirects=False).status_code == 403
    staff = TestClient(client.app, base_url="https://testserver")
    sign_in_with_password(staff, "staff@college.example", PASSWORD)
    staff_token = form_token(staff, "/verify")
    for url in (f"{ada_path}/shared", f"{ada_path}/share/linkedin"):
        answer = staff.post(url, data={"csrf_token": staff_token, "channel": "link"}, follow_redirects=False)
        assert answer.status_code == 403, answer.text

    assert _shares(factory) == []
    assert ada.post(f"{ada_path}/shared", data={"csrf_token": csrf, "channel": "embed"}).status_code == 204
    assert _shares(factory) == [("share", "embed", issued.achievement_id)]  # and the right one still counts


def test_a_private_credential_s_share_is_counted_and_its_page_unchanged(
    client: TestClient, issued: Issued, factory: sessionmaker[Session]
) -> None:
    ada, csrf = _earner(client, factory, issued)
    share_path = f"/backpack/credentials/{issued.award_id}/share"
    assert "saved" in ada.post(share_path, data={"csrf_token": csrf, "public": "no"}).text
    copied = ada.post(f"/backpack/credentials/{issued.award_id}/shared", data={"csrf_token": csrf, "channel": "link"})
    assert copied.status_code == 204
    linkedin = ada.post(f"{share_path}/linkedin", data={"csrf_token": csrf}, follow_redirects=False)
    assert linkedin.status_code == 303 and linkedin.headers["location"].startswith("https://www.linkedin.com/")
    a = issued.achievement_id
    assert _shares(factory) == [("share", "link", a), ("share", "linkedin", a)]
    anonymous = TestClient(client.app, base_url="https://testserver")
    page = anonymous.get(issued.credential_url.replace(BASE_URL, ""), headers=HTML)
    assert page.status_code == 200 and "Private credential" in page.text and "Food Safety" not in page.text

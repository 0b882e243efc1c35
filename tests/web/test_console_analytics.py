"""The console's analytics `/console/analytics` and `/console/analytics.csv` (issue 16, point 5), on SQLite and
PostgreSQL: after a scripted set of events through the real routes (public page views by channel, downloads by
format, verifications by page and API and CLI, a status list fetch, a claim, a wallet delivery, the earner's shares
from the share page: address and snippet copied, LinkedIn), the page and the CSV show those counts ("shares" the
acts of sharing, "visits through shares" the page views that arrived through them); filters per achievement and
period; refusals are 400 with a message tied to the field; the staff of an issuing organisation only; French.
Counts only: nothing about who is stored."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import BASE_URL, Issued, form_token, sign_in_with_link, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.settings import Settings
from microcred.vc import Ed25519Key
from microcred.vc.holder import sign_holder_jwt

PASSWORD = "analytics password 12"
HTML = {"Accept": "text/html"}


def _cell(page: str, label: str) -> int:
    """The count in the row whose header is ``label`` (the totals tables)."""
    match = re.search(rf'<th scope="row"[^>]*>{re.escape(label)}</th><td[^>]*>(\d+)</td>', page)
    assert match is not None, f"no row {label!r}"
    return int(match.group(1))


def _wallet_delivery(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    made = client.post(f"/api/awards/{issued.award_id}/wallet-offer", json={}, headers=auth).json()
    offer_uri = unquote(made["deep_link"].split("credential_offer_uri=", 1)[1])
    offer = client.get(offer_uri.replace(BASE_URL, "")).json()
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"], "tx_code": made["tx_code"]}  # fmt: skip
    access = client.post("/oid4vci/token", data=form).json()["access_token"]
    c_nonce = client.post("/oid4vci/nonce").json()["c_nonce"]
    proof = sign_holder_jwt(Ed25519Key.generate(), audience=BASE_URL, nonce=c_nonce)
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [proof]}}
    delivered = client.post("/oid4vci/credential", headers={"Authorization": f"Bearer {access}"}, json=body)
    assert delivered.status_code == 200, delivered.text


def _script(client: TestClient, issued: Issued, factory: sessionmaker[Session], auth: dict[str, str]) -> None:
    """The scripted events: 5 page views (2 direct, LinkedIn, embed, another site), JSON and JWT fetched,
    2 API verifications and 1 on the verify page, 1 status list fetch, the earner's sign-in (1 claim) and PDF
    download, the earner's 6 shares (the address copied 3 times, the snippet twice, LinkedIn once), 1 wallet
    delivery. A verification of a credential of no award here is not counted."""
    path = issued.credential_url.replace(BASE_URL, "")
    anonymous = TestClient(client.app, base_url="https://testserver")
    for extra in ({}, {}, {"Referer": "https://www.linkedin.com/in/someone"}, {"Referer": "https://blog.example/"}):
        assert anonymous.get(path, headers={**HTML, **extra}).status_code == 200
    assert anonymous.get(path + "?via=embed", headers=HTML).status_code == 200
    document = anonymous.get(path, params={"format": "json"}).json()
    assert anonymous.get(path, params={"format": "jwt"}).status_code == 200
    assert anonymous.post("/credentials/verify", json={"verifiableCredential": document}).status_code == 200
    tampered = {**document, "id": BASE_URL + "/credentials/00000000-0000-4000-8000-000000000000"}
    assert anonymous.post("/credentials/verify", json={"verifiableCredential": tampered}).status_code == 400
    uploaded = anonymous.post("/credentials/verify/upload", files={"file": ("c.json", json_bytes(document))})
    assert uploaded.status_code == 200
    token = form_token(anonymous, "/verify")
    page = anonymous.post("/verify", data={"csrf_token": token, "url": issued.credential_url}, headers=HTML)
    assert page.status_code == 200
    status_url = document["credentialStatus"]["statusListCredential"]
    assert anonymous.get(status_url.replace(BASE_URL, "")).status_code == 200
    earner = TestClient(client.app, base_url="https://testserver")
    sign_in_with_link(earner, factory, "ada@example.org")
    assert earner.get(f"/backpack/credentials/{issued.award_id}/download/pdf").status_code == 200
    share = f"/backpack/credentials/{issued.award_id}/share"
    csrf = form_token(earner, share)
    for channel in ("link", "embed", "link", "embed", "link"):
        copied = earner.post(
            f"/backpack/credentials/{issued.award_id}/shared", data={"csrf_token": csrf, "channel": channel}
        )
        assert copied.status_code == 204
    assert earner.post(f"{share}/linkedin", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    _wallet_delivery(anonymous, issued, auth)


def json_bytes(document: dict[str, Any]) -> bytes:
    import json

    return json.dumps(document).encode()


@pytest.fixture
def staff(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> Issued:
    with factory() as session:
        for email, role, org_id in (
            ("admin@college.example", "org_admin", issued.org_id),
            ("assessor@college.example", "assessor", issued.org_id),
        ):
            accounts.create_user(session, email=email, name=email, role=role, organisation_id=org_id, password=PASSWORD)
        partner = make_org(session, kind="employer", name="Partner Co", registration_id="ON-PARTNER-9")
        accounts.create_user(
            session, email="reviewer@partner.example", name="Rita", role="partner_reviewer",
            organisation_id=partner.id, password=PASSWORD,
        )  # fmt: skip
        session.commit()
    return issued


def test_scripted_events_are_counted_on_the_page_and_in_the_csv(
    client: TestClient,
    staff: Issued,
    factory: sessionmaker[Session],
    auth: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microcred.cli import vc_commands
    from microcred.settings import get_settings

    _script(client, staff, factory, auth)
    monkeypatch.setenv("MICROCRED_BASE_URL", BASE_URL)
    get_settings.cache_clear()
    with factory() as session:
        from microcred.awards import queries as awards

        document = awards.credential_document(awards.get_award(session, staff.award_id))
    vc_commands._count_verifications(factory, [document, {"id": "https://elsewhere.example/c/1"}])
    get_settings.cache_clear()

    sign_in_with_password(client, "admin@college.example", PASSWORD)
    page = client.get("/console/analytics", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert '<a href="/console/analytics" aria-current="page">Analytics</a>' in html
    assert _cell(html, "Issued (all)") == 1 and _cell(html, "Active") == 1 and _cell(html, "Revoked") == 0
    assert _cell(html, "Claimed") == 1
    assert _cell(html, "All views") == 5
    assert _cell(html, "through LinkedIn") == 1 and _cell(html, "through the embedded snippet") == 1
    assert _cell(html, "from other web pages") == 1
    assert _cell(html, "through a shared link opened directly (pasted, from a mail, an app or a QR code)") == 2
    assert _cell(html, "through the API") == 2 and _cell(html, "on the verification page") == 1
    assert _cell(html, "with the command line") == 1
    assert _cell(html, "JSON-LD") == 1 and _cell(html, "JWT") == 1 and _cell(html, "PDF") == 1
    assert _cell(html, "PNG badge") == 0
    assert _cell(html, "Delivered to a wallet") == 1
    assert _cell(html, "All shares") == 6 and _cell(html, "public address copied") == 3
    assert _cell(html, "embed snippet copied") == 2 and _cell(html, "added to LinkedIn") == 1
    assert '<th scope="col">Shares</th><th scope="col">Visits through shares</th>' in html
    assert _cell(html, "Revocation list no. 1") == 1  # the one list fetched, as a total per list
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in html
    assert "Public page views per month, the last 12" in html
    this_month = re.search(r"<tr><th scope=\"row\">(\d{4}-\d{2})</th>((?:<td[^>]*>\d+</td>)+)</tr>\s*</tbody>", html)
    assert this_month is not None
    cells = re.findall(r'data-metric="(\w+)">(\d+)<', this_month.group(2))
    assert dict(cells) == {"issued": "1", "claimed": "1", "views": "5", "verifications": "4", "downloads": "3",
                           "shares": "6", "share_visits": "4", "wallet": "1"}  # fmt: skip
    assert html.count("<rect ") == 12 and ">5</text>" in html  # the bar of this month says 5, as the table

    exported = client.get("/console/analytics.csv?period=week&metric=downloads")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 13 and rows[-1]["period"] == "total"
    metrics = ("issued", "claimed", "views", "verifications", "downloads", "shares", "share_visits", "wallet")
    assert list(rows[0]) == ["period", "period_start", "period_end", *metrics]
    assert [rows[-1][k] for k in metrics] == ["1", "1", "5", "4", "3", "6", "4", "1"]
    assert sum(int(r["shares"]) for r in rows[:-1]) == 6
    assert sum(int(r["views"]) for r in rows[:-1]) == 5

    with factory() as session:  # counts only: no column could say who
        columns = set(session.execute(text("SELECT * FROM analytics_events")).keys())
    assert columns == {"id", "kind", "channel", "day", "achievement_id", "organisation_id", "status_list_id"}


def test_filters_refusals_roles_and_french(
    client: TestClient, staff: Issued, factory: sessionmaker[Session], make_achievement: Callable[..., Any]
) -> None:
    from microcred.analytics import services as analytics

    with factory() as session:
        other = make_achievement(session, staff.org_id, name="Knife Skills")
        analytics.record(session, "page_view", achievement_id=staff.achievement_id, channel="direct")
        analytics.record(session, "page_view", achievement_id=other.id, channel="embed")
        session.commit()
    sign_in_with_password(client, "assessor@college.example", PASSWORD)
    one = client.get(f"/console/analytics?achievement={other.id}&period=week", headers=HTML).text
    assert _cell(one, "All views") == 1 and _cell(one, "through the embedded snippet") == 1
    assert "Showing: Knife Skills." in one and f'<option value="{other.id}" selected>' in one
    assert "Status list fetches" not in one  # lists are the organisation's: shown for all achievements only
    assert _cell(client.get("/console/analytics", headers=HTML).text, "All views") == 2
    one_csv = list(csv.DictReader(io.StringIO(client.get(f"/console/analytics.csv?achievement={other.id}").text)))
    assert one_csv[-1]["views"] == "1" and one_csv[-1]["issued"] == "0"

    bad = client.get("/console/analytics?achievement=00000000-0000-4000-8000-000000000000", headers=HTML)
    assert bad.status_code == 400
    assert 'href="#analytics-achievement"' in bad.text and 'aria-describedby="analytics-achievement-error"' in bad.text
    assert "Choose one of your organisation" in bad.text
    bad_period = client.get("/console/analytics?period=year", headers=HTML)
    assert bad_period.status_code == 400 and 'aria-describedby="analytics-period-error"' in bad_period.text
    bad_csv = client.get("/console/analytics.csv?metric=who")
    assert bad_csv.status_code == 400 and "Choose what the chart shows" in bad_csv.json()["error"]

    client.cookies.set("lang", "fr")
    french = client.get("/console/analytics", headers=HTML).text
    assert "Statistiques" in french and "Consultations de la page publique" in french
    assert '<option value="shares">Partages</option>' in french and "Visites par les partages" in french
    assert "Partagés par leur titulaire" in french

    reviewer = TestClient(client.app, base_url="https://testserver")
    sign_in_with_password(reviewer, "reviewer@partner.example", PASSWORD)
    refused = reviewer.get("/console/analytics", headers=HTML)
    assert refused.status_code == 404 and "issuing organisation" in refused.text
    assert '<a href="/console">Go to the console overview</a>' in refused.text
    assert reviewer.get("/console/analytics.csv").status_code == 404
    assert 'href="/console/analytics"' not in reviewer.get("/console", headers=HTML).text
    anonymous = TestClient(client.app, base_url="https://testserver")
    assert anonymous.get("/console/analytics", headers=HTML, follow_redirects=False).status_code in (303, 401)

"""Issue 6 over HTTP (SQLite and PostgreSQL): exports round trip, sharing, claim/merge, DID Auth, a scripted
OID4VCI wallet, the data export ZIP, erasure with post-erasure verification, emailed claim links (EN/FR)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.settings import Settings
from microcred.vc import Ed25519Key
from microcred.vc.baking import unbake
from microcred.vc.holder import DID_AUTH_TYP, sign_holder_jwt

from .conftest import BASE_URL, Issued, form_token, make_settings, sign_in_with_link


@pytest.fixture
def settings(tmp_path: Path, mailbox: Any) -> Settings:
    return make_settings(tmp_path / "instance", MICROCRED_SMTP_HOST=mailbox.host, MICROCRED_SMTP_PORT=mailbox.port)


def sign_in_earner(client: TestClient, factory: sessionmaker[Session], email: str) -> None:
    sign_in_with_link(client, factory, email)


def _vc_api(source: Any) -> dict[str, Any]:
    """A VC-API verify body: a credential object as is, a VC-JWT as an EnvelopedVerifiableCredential (VC-API
    takes objects only)."""
    if isinstance(source, str):
        source = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "EnvelopedVerifiableCredential",
            "id": "data:application/vc+jwt," + source,
        }
    return {"verifiableCredential": source}


def _verify_file(client: TestClient, name: str, data: bytes, media_type: str) -> Any:
    return client.post("/credentials/verify", files={"file": (name, data, media_type)})


def test_every_export_round_trips(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    url = f"/api/awards/{issued.award_id}/export"
    di = client.get(url, params={"format": "di"}, headers=auth)
    assert di.status_code == 200 and di.headers["content-type"].startswith("application/ld+json")
    assert client.post("/credentials/verify", json={"verifiableCredential": di.json()}).json()["verified"]
    jwt = client.get(url, params={"format": "jwt"}, headers=auth).text
    assert client.post("/credentials/verify", json=_vc_api(jwt)).json()["verified"]
    for fmt, media in (("png", "image/png"), ("svg", "image/svg+xml")):
        baked = client.get(url, params={"format": fmt}, headers=auth)
        assert baked.headers["content-type"].startswith(media)
        assert json.loads(unbake(baked.content))["id"] == issued.credential_url  # bake -> unbake
        checked = _verify_file(client, f"badge.{fmt}", baked.content, media)  # multipart POST /credentials/verify
        assert checked.status_code == 200 and checked.json()["verified"], checked.json()
        page = client.post("/verify", data={"csrf_token": form_token(client)},
                           files={"file": (f"badge.{fmt}", baked.content, media)})
        assert page.status_code == 200 and "Verified" in page.text
    pdf = client.get(url, params={"format": "pdf", "lang": "fr"}, headers=auth)
    assert pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ada Lovelace" in text and "Attestation" in text and issued.credential_url in text.replace("\n", "")
    bad = _verify_file(client, "x.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")
    assert bad.status_code == 400 and "PNG" in bad.json()["error"]


def test_sharing_choices(client: TestClient, issued: Issued, factory: sessionmaker[Session]) -> None:
    anonymous = TestClient(client.app, base_url="https://testserver")
    page = anonymous.get(issued.credential_url.replace(BASE_URL, ""), headers={"Accept": "text/html"})
    assert "Practical kitchen assessment" in page.text  # public by default, evidence shown
    sign_in_earner(client, factory, "ada@example.org")
    backpack = client.get("/backpack").text
    assert f"/backpack/credentials/{issued.award_id}/download/pdf" in backpack
    share = client.get(f"/backpack/credentials/{issued.award_id}/share")
    assert f'action="/backpack/credentials/{issued.award_id}/share/linkedin"' in share.text
    assert "microcred-credential" in share.text
    csrf = form_token(client, f"/backpack/credentials/{issued.award_id}/share")
    linkedin = client.post(
        f"/backpack/credentials/{issued.award_id}/share/linkedin", data={"csrf_token": csrf}, follow_redirects=False
    )  # the LinkedIn button is a form now (the share is counted), answered 303 to LinkedIn
    assert linkedin.status_code == 303
    assert linkedin.headers["location"].startswith("https://www.linkedin.com/profile/add?")
    params = parse_qs(urlsplit(linkedin.headers["location"]).query)
    assert params["name"] == ["Food Safety Fundamentals"] and params["organizationName"] == ["Test College"]
    assert params["certId"] == [str(issued.award_id)] and params["certUrl"] == [issued.credential_url]
    assert {"issueYear", "issueMonth", "startTask"} <= set(params)
    csrf = form_token(client, f"/backpack/credentials/{issued.award_id}/share")
    saved = client.post(f"/backpack/credentials/{issued.award_id}/share", data={"csrf_token": csrf, "public": "yes"})
    assert "saved" in saved.text
    page = anonymous.get(issued.credential_url.replace(BASE_URL, ""), headers={"Accept": "text/html"})
    assert "Verified" in page.text and "Practical kitchen assessment" not in page.text  # evidence hidden
    client.post(f"/backpack/credentials/{issued.award_id}/share",
                data={"csrf_token": csrf, "public": "no", "show_evidence": "0"})
    page = anonymous.get(issued.credential_url.replace(BASE_URL, ""), headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Private credential" in page.text
    assert "Food Safety" not in page.text and "Test College" not in page.text
    assert anonymous.get(issued.credential_url.replace(BASE_URL, ""), params={"format": "json"}).status_code == 403
    assert anonymous.get(issued.credential_url.replace(BASE_URL, ""), params={"format": "jwt"}).status_code == 403
    own = client.get(issued.credential_url.replace(BASE_URL, ""), params={"format": "json"})
    assert own.status_code == 200 and own.json()["id"] == issued.credential_url  # the earner still gets it


def _wallet_offer(client: TestClient, issued: Issued, auth: dict[str, str]) -> tuple[str, str]:
    made = client.post(f"/api/awards/{issued.award_id}/wallet-offer", json={}, headers=auth)
    assert made.status_code == 201
    body = made.json()
    assert body["deep_link"].startswith("openid-credential-offer://?credential_offer_uri=")
    return unquote(body["deep_link"].split("credential_offer_uri=", 1)[1]), body["tx_code"]


def test_scripted_wallet_follows_oid4vci(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    """A wallet: offer -> issuer metadata -> AS metadata -> token -> nonce -> proof JWT -> credential -> verify."""
    offer_uri, tx_code = _wallet_offer(client, issued, auth)
    offer = client.get(offer_uri.replace(BASE_URL, "")).json()
    assert offer["credential_issuer"] == BASE_URL
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 6, "description": grant["tx_code"]["description"]}
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == BASE_URL
    configs = metadata["credential_configurations_supported"]
    assert set(offer["credential_configuration_ids"]) == set(configs)
    assert {c["format"] for c in configs.values()} == {"ldp_vc", "jwt_vc_json"}
    as_meta = client.get("/.well-known/oauth-authorization-server").json()
    assert as_meta["pre-authorized_grant_anonymous_access_supported"] is True
    token_path = as_meta["token_endpoint"].replace(BASE_URL, "")
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"]}
    assert client.post(token_path, data=form).json()["error"] == "invalid_request"  # tx_code missing
    wrong = "000000" if tx_code != "000000" else "111111"
    assert client.post(token_path, data={**form, "tx_code": wrong}).json()["error"] == "invalid_grant"
    token = client.post(token_path, data={**form, "tx_code": tx_code})
    assert token.status_code == 200 and token.headers["cache-control"] == "no-store"
    access = token.json()["access_token"]
    assert client.post(token_path, data={**form, "tx_code": tx_code}).json()["error"] == "invalid_grant"  # once

    wallet_key = Ed25519Key.generate()
    credential_path = metadata["credential_endpoint"].replace(BASE_URL, "")
    nonce_path = metadata["nonce_endpoint"].replace(BASE_URL, "")
    bearer = {"Authorization": f"Bearer {access}"}
    for config_id, use_jwk in (("OpenBadgeCredential_ldp_vc", False), ("OpenBadgeCredential_jwt_vc_json", True)):
        c_nonce = client.post(nonce_path).json()["c_nonce"]
        proof = sign_holder_jwt(wallet_key, audience=metadata["credential_issuer"], nonce=c_nonce, use_jwk=use_jwk)
        response = client.post(credential_path, headers=bearer,
                               json={"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}})
        assert response.status_code == 200, response.json()
        delivered = response.json()["credentials"][0]["credential"]
        checked = client.post("/credentials/verify", json=_vc_api(delivered)).json()
        assert checked["verified"], checked
        if isinstance(delivered, dict):
            assert delivered["credentialSubject"]["id"] == wallet_key.did_key
            assert delivered["id"] == issued.credential_url  # the same award, bound to the holder
        replay = client.post(credential_path, headers=bearer,
                             json={"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}})
        assert replay.json()["error"] == "invalid_nonce"
    c_nonce = client.post(nonce_path).json()["c_nonce"]
    wrong_aud = sign_holder_jwt(wallet_key, audience="https://elsewhere.example", nonce=c_nonce)
    refused = client.post(credential_path, headers=bearer,
                          json={"credential_configuration_id": "OpenBadgeCredential_ldp_vc",
                                "proofs": {"jwt": [wrong_aud]}})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_proof"
    assert client.post(credential_path, json={}).status_code == 401


def test_claim_merge_and_did_binding(
    client: TestClient, issued: Issued, factory: sessionmaker[Session], mailbox: Any, settings: Settings
) -> None:
    from microcred.awards import queries as awards
    from microcred.earners import services as earners
    from microcred.issuers import keystore

    with factory() as s:  # an award sent to another address of Ada's, before she claimed it
        other = earners.create_earner(s, name="A. Lovelace", email="ada@work.example")
        sent = issuing.issue_award(s, achievement_id=issued.achievement_id, earner_id=other.id,
                                  base_url=settings.base_url, master_key=keystore.load_master_key(settings))
        s.commit()
        sent_id = sent.id
    sign_in_earner(client, factory, "ada@example.org")
    csrf = form_token(client, "/backpack/account")
    added = client.post("/backpack/account/emails", data={"csrf_token": csrf, "email": "ada@work.example"})
    assert "ada@work.example" in added.text
    message = mailbox.wait_for("ada@work.example")
    with mailbox._lock:
        mailbox.messages.remove(message)
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/backpack/account/emails/verify/\S+", body)
    assert link is not None
    path = link.group(0).replace(BASE_URL, "")
    confirm = client.get(path)
    assert "ada@work.example" in confirm.text
    done = client.post(path, data={"csrf_token": form_token(client, path)})
    assert "merged" in done.text
    backpack = client.get("/backpack").text
    assert str(sent_id) in backpack and str(issued.award_id) in backpack
    with factory() as s:
        assert earners.find_earner_by_email(s, "ada@work.example").id == issued.earner_id  # type: ignore[union-attr]

    account = client.get("/backpack/account").text
    challenge = re.search(r'<code class="challenge">([^<]+)</code>', account)
    assert challenge is not None
    key = Ed25519Key.generate()
    proof = sign_holder_jwt(key, audience=BASE_URL, nonce=challenge.group(1), typ=DID_AUTH_TYP)
    bound = client.post("/backpack/account/did", data={"csrf_token": form_token(client, "/backpack/account"),
                                                       "proof": proof})
    assert key.did_key in bound.text
    again = client.post("/backpack/account/did", data={"csrf_token": form_token(client, "/backpack/account"),
                                                       "proof": proof})
    assert again.status_code == 422  # the challenge is used up
    with factory() as s:
        later = issuing.issue_award(s, achievement_id=issued.achievement_id, earner_id=issued.earner_id,
                                   base_url=settings.base_url, master_key=keystore.load_master_key(settings))
        s.commit()
        assert awards.credential_document(later)["credentialSubject"]["id"] == key.did_key


def test_export_then_erase_then_verify_the_export(
    client: TestClient, issued: Issued, factory: sessionmaker[Session], auth: dict[str, str]
) -> None:
    sign_in_earner(client, factory, "ada@example.org")
    archive = client.get("/backpack/export.zip")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(archive.content))
    names = set(bundle.namelist())
    base = f"credentials/{issued.award_id}/credential"
    assert {f"{base}.{ext}" for ext in ("json", "jwt", "png", "svg", "pdf")} <= names
    assert {"manifest.json", "profile.json", "evidence/evidence.json"} <= names
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["format"] == "microcred-earner-export/1"
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json"}
    assert json.loads(bundle.read("profile.json"))["email"] == "ada@example.org"

    csrf = form_token(client, "/backpack/account")
    refused = client.post("/backpack/account/delete", data={"csrf_token": csrf, "confirm": "no"})
    assert refused.status_code == 422
    erased = client.post("/backpack/account/delete", data={"csrf_token": csrf, "confirm": "DELETE"})
    assert erased.status_code == 200 and "deleted" in erased.text
    assert client.get("/backpack", follow_redirects=False).status_code in (302, 303, 307)  # signed out
    path = issued.credential_url.replace(BASE_URL, "")
    assert client.get(path, params={"format": "json"}).status_code == 410
    assert "Credential data erased" in client.get(path, headers={"Accept": "text/html"}).text
    for name in (f"{base}.json", f"{base}.jwt"):
        text = bundle.read(name).decode()
        source = json.loads(text) if name.endswith("json") else text.strip()
        result = client.post("/credentials/verify", json=_vc_api(source)).json()
        assert result["verified"], result
    baked = _verify_file(client, "badge.png", bundle.read(f"{base}.png"), "image/png")
    assert baked.json()["verified"]
    earners_list = client.get("/api/earners", headers=auth).text
    assert "ada@example.org" not in earners_list and "Ada Lovelace" not in earners_list
    from microcred.audit.models import AuditEntry
    from microcred.awards import queries as awards
    from microcred.awards.models import Award

    with factory() as s:  # a key re-issue never rebuilds an erased earner's credential
        award = s.get(Award, issued.award_id)
        assert award is not None and issued.award_id not in awards.awards_signed_with(s, award.signing_key_id)
    with factory() as s:  # the audit log names the erasure with ids and counts, never personal data
        entries = [e for e in s.query(AuditEntry).all() if e.action == "earner.erased"]
        assert len(entries) == 1
        text = entries[0].details
        assert "ada" not in text.lower() and "lovelace" not in text.lower()


@pytest.mark.parametrize("language, subject", [("en", "Your micro-credential"), ("fr", "Votre microtitre")])
def test_award_email_with_claim_link(
    client: TestClient, issued: Issued, auth: dict[str, str], mailbox: Any, language: str, subject: str
) -> None:
    sent = client.post(f"/api/awards/{issued.award_id}/email", json={"language": language}, headers=auth)
    assert sent.status_code == 200 and sent.json() == {"sent": True}
    message = mailbox.wait_for("ada@example.org")
    assert str(message["Subject"]).startswith(subject)
    link = mailbox.link("ada@example.org")
    path = link.replace(BASE_URL, "")
    assert "next=/backpack" in path
    csrf = form_token(client, path)
    signed = client.post(path.split("?")[0], data={"csrf_token": csrf, "next": "/backpack"}, follow_redirects=True)
    assert str(issued.award_id) in signed.text


def test_a_revoked_award_or_an_erased_earner_is_never_mailed(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session], settings: Settings
) -> None:
    """The refusal lives in the mail service (ownership.delivery), so the API, the CLI and the console refuse
    alike (the API: 422 with the reason, as for any refused input), nothing sent, no account made for an erased
    earner's placeholder address."""
    from microcred.accounts import services as accounts
    from microcred.assessments.storage import folder_store
    from microcred.awards import lifecycle
    from microcred.ownership import erasure

    with factory() as session:
        lifecycle.revoke_award(session, issued.award_id, reason="test: issued in error")
        session.commit()
    revoked = client.post(f"/api/awards/{issued.award_id}/email", json={"language": "en"}, headers=auth)
    assert revoked.status_code == 422 and "revoked" in revoked.json()["error"]
    with factory() as session:
        erasure.erase_earner(session, issued.earner_id, store=folder_store(settings.data_dir))
        session.commit()
    erased = client.post(f"/api/awards/{issued.award_id}/email", json={"language": "en"}, headers=auth)
    assert erased.status_code == 422 and "erased" in erased.json()["error"]
    with factory() as session:
        assert not any("erased.invalid" in u.email for u in accounts.list_users(session))

"""Status over HTTP: list credentials with ETag/Cache-Control/304, the bearer API for revoke/suspend/reinstate/renew,
and one plain, distinct reason per failure on the page, in POST /credentials/verify and in `microcred verify`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from microcred import issuing
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.settings import Settings, get_settings
from microcred.status import services as status

from .conftest import BASE_URL, MASTER_KEY, Issued


def _status_urls(client: TestClient, issued: Issued) -> dict[str, str]:
    doc = client.get(issued.credential_url.replace(BASE_URL, ""), params={"format": "json"}).json()
    entry = doc["credentialStatus"]  # OB 3.0: one entry, the revocation one
    assert isinstance(entry, dict)
    return {entry["statusPurpose"]: entry["statusListCredential"]}


def test_status_list_is_served_signed_cacheable_with_etag(
    client: TestClient, issued: Issued, auth: dict[str, str]
) -> None:
    url = _status_urls(client, issued)["revocation"]
    path = url.replace(BASE_URL, "")
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/vc+ld+json")
    assert first.headers["cache-control"] == f"public, max-age={status.LIST_TTL_SECONDS}"
    etag = first.headers["etag"]
    doc = first.json()
    assert doc["id"] == url and doc["credentialSubject"]["statusPurpose"] == "revocation"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path).headers["etag"] == etag  # not re-signed: nothing changed

    response = client.post(
        f"/api/awards/{issued.award_id}/revoke", json={"reason": "Confidential: exam fraud"}, headers=auth
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert "exam fraud" not in after.text
    assert client.get(f"/status/{uuid.uuid4()}").status_code == 404
    assert client.get("/status/not-a-uuid").status_code in (400, 404, 422)


def test_award_status_api(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    base = f"/api/awards/{issued.award_id}"
    assert client.post(f"{base}/suspend", json={"reason": "x"}).status_code == 401
    assert client.post(f"{base}/suspend", json={}, headers=auth).status_code in (400, 422)
    assert client.post(f"{base}/reinstate", headers=auth).status_code == 409
    assert client.post(f"{base}/suspend", json={"reason": "under review"}, headers=auth).json()["status"] == "suspended"
    assert client.post(f"{base}/reinstate", json={"reason": "cleared"}, headers=auth).json()["status"] == "active"
    renewed = client.post(f"{base}/renew", headers=auth)
    assert renewed.status_code == 201 and renewed.json()["replaces"] == str(issued.award_id)
    assert client.get(base, headers=auth).json()["replaced_by"] == renewed.json()["id"]
    assert client.post(f"{base}/revoke", json={"reason": "fraud"}, headers=auth).json()["status"] == "revoked"
    for action in ("suspend", "revoke"):
        response = client.post(f"{base}/{action}", json={"reason": "again"}, headers=auth)
        assert response.status_code == 409 and "revoked" in response.json()["error"]
    assert client.post(f"{base}/reinstate", headers=auth).status_code == 409
    assert client.post(f"/api/awards/{uuid.uuid4()}/revoke", json={"reason": "x"}, headers=auth).status_code == 404
    assert "fraud" not in client.get(base, headers=auth).text  # the reason is not part of the award's API view


@pytest.fixture
def five(
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> dict[str, Any]:
    """Revoked, suspended, expired, compromised-key and tampered credentials (and a good one)."""
    master = keystore.load_master_key(settings)
    base = settings.base_url
    with session_scope(factory) as session:
        org = make_org(session)
        other = make_org(session, name="Compromised College")
        achievement = make_achievement(session, org.id)
        other_achievement = make_achievement(session, other.id)
        earner = earners.create_earner(session, name="Ada", email="ada@example.org")

        def issue(achievement_id: uuid.UUID, **kw: Any) -> Any:
            return issuing.issue_award(
                session, achievement_id=achievement_id, earner_id=earner.id, base_url=base, master_key=master, **kw
            )

        good, revoked, suspended = issue(achievement.id), issue(achievement.id), issue(achievement.id)
        expired = issue(
            achievement.id,
            valid_from=datetime(2023, 1, 1, tzinfo=UTC),
            valid_until=datetime(2024, 1, 1, tzinfo=UTC),
        )
        compromised = issue(other_achievement.id)
        award_lifecycle.revoke_award(session, revoked.id, reason="r")
        award_lifecycle.suspend_award(session, suspended.id, reason="s")
        issuers.compromise_key(
            session, other, str(compromised.signing_key_id), since=datetime(2020, 1, 1, tzinfo=UTC), master_key=master
        )
        docs = {
            name: award_queries.credential_document(a)
            for name, a in {
                "good": good,
                "revoked": revoked,
                "suspended": suspended,
                "expired": expired,
                "compromised": compromised,
            }.items()
        }
    tampered = json.loads(json.dumps(docs["good"]))
    tampered["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    docs["tampered"] = tampered
    return docs


EXPECTED = {
    "revoked": "revoked by the issuer",
    "suspended": "suspended by the issuer",
    "expired": "expired on 2024-01-01T00:00:00Z",
    "compromised": "the signing key was reported compromised since 2020-01-01T00:00:00+00:00; signature not trusted",
}


def test_each_failure_has_its_own_plain_reason_everywhere(
    client: TestClient, five: dict[str, Any], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: dict[str, list[str]] = {}
    for name, doc in five.items():
        response = client.post("/credentials/verify", json={"verifiableCredential": doc})
        assert response.status_code == (200 if name == "good" else 400), (name, response.text)
        api[name] = [c["reason"] for c in response.json()["checks"] if not c["passed"]]
    assert api["good"] == []
    for name, reason in EXPECTED.items():
        assert api[name] == [reason], (name, api[name])
    assert len(api["tampered"]) == 1 and "signature" in api["tampered"][0].lower()
    distinct = {tuple(v) for k, v in api.items() if k != "good"}
    assert len(distinct) == 5

    # the public page says the same
    for name in ("revoked", "suspended", "expired", "compromised"):
        page = client.get(five[name]["id"].replace(BASE_URL, ""), headers={"Accept": "text/html"})
        assert page.status_code == 200 and EXPECTED[name] in page.text, name

    # and so does `microcred verify` (the same instance: same database, base URL and master key)
    from microcred.cli import _register, app

    _register()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("MICROCRED_BASE_URL", BASE_URL)
    monkeypatch.setenv("MICROCRED_MASTER_KEY", MASTER_KEY)
    for var in ("MICROCRED_TRUSTED_KEYS", "MICROCRED_TRUSTED_HOSTS"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    try:
        for name, doc in five.items():
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(doc))
            result = CliRunner().invoke(app, ["verify", "--json", str(path)])
            assert result.exit_code == (0 if name == "good" else 1), (name, result.stdout, result.stderr)
            line = json.loads(result.stdout)
            assert [c["reason"] for c in line["checks"] if not c["passed"]] == api[name], name
    finally:
        get_settings.cache_clear()


def test_status_lists_of_other_hosts_only_when_trusted(
    factory: sessionmaker[Session], settings: Settings, five: dict[str, Any]
) -> None:
    from microcred.verification import StatusListFetcher, instance_verifier

    foreign = json.loads(json.dumps(five["good"]))
    fetched: list[str] = []

    def fake_http(url: str) -> Any:
        fetched.append(url)
        raise OSError("no network in tests")

    foreign["credentialStatus"]["statusListCredential"] = "https://status.example.org/lists/1"
    fetch = StatusListFetcher(factory, settings, http_fetch=fake_http)
    with pytest.raises(Exception, match="not on this instance or on a trusted host"):
        fetch("https://status.example.org/lists/1")
    with pytest.raises(Exception, match="trusted host"):
        fetch("http://127.0.0.1:9/status/x")
    assert fetched == []
    trusting = StatusListFetcher(
        factory, settings.model_copy(update={"trusted_hosts": "status.example.org"}), http_fetch=fake_http
    )
    with pytest.raises(OSError):
        trusting("https://status.example.org/lists/1")
    assert fetched == ["https://status.example.org/lists/1"]

    # through the verifier: the changed entries break the proof, and status is "could not be checked", never a pass
    result = instance_verifier(factory, settings, strict=False).verify(foreign)
    assert not result.verified
    # the entry's status could not be checked (never a pass); the issuer-side hold check is separate
    reasons = [c.reason for c in result.checks if c.check == "status" and "suspended" not in c.reason]
    assert reasons and all(r.startswith("status could not be checked") for r in reasons)

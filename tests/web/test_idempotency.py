"""Issue 12, point 3: the ``Idempotency-Key`` header of POST /api/awards, /renew and /revoke, on SQLite and
PostgreSQL: a retry returns the first result and writes nothing, another request under the same key is a 422, keys
are scoped per API token and endpoint, concurrent requests with one key execute once; and over HTTP, four
simultaneous revokes or renewals (different keys, or none) give one success and 409s."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred.audit.models import AuditEntry
from microcred.awards.models import Award, AwardStatusEvent
from microcred.db import session_scope
from microcred.idempotency.models import IdempotencyKey
from microcred.ownership import erasure

from .conftest import Issued, make_settings

N = 4


def _count(factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _award_body(issued: Issued, **extra: Any) -> dict[str, Any]:
    return {"achievement_id": str(issued.achievement_id), "earner_id": str(issued.earner_id), **extra}


def _with_key(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


def test_issuing_twice_with_one_key_issues_once_and_returns_the_first_result(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    headers = _with_key(auth, "issue-7f0c2a4e")
    first = client.post("/api/awards", json=_award_body(issued), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    awards_after_first = _count(factory, Award)
    audit_after_first = _count(factory, AuditEntry)

    retry = client.post("/api/awards", json=_award_body(issued), headers=headers)
    assert retry.status_code == 201
    assert retry.content == first.content  # byte for byte: same award id, same signed credential
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["content-type"].startswith("application/json")
    assert (_count(factory, Award), _count(factory, AuditEntry)) == (awards_after_first, audit_after_first)

    # the same key with another request: refused with a plain reason, nothing written
    other = client.post("/api/awards", json=_award_body(issued, format="jwt"), headers=headers)
    assert other.status_code == 422
    assert "already used for a different request" in other.json()["error"]
    assert (_count(factory, Award), _count(factory, AuditEntry)) == (awards_after_first, audit_after_first)

    # no key: every request is a new award, as before
    for _ in range(2):
        assert client.post("/api/awards", json=_award_body(issued), headers=auth).status_code == 201
    assert _count(factory, Award) == awards_after_first + 2
    assert _count(factory, IdempotencyKey) == 1


def test_a_failed_request_does_not_use_up_its_key(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    headers = _with_key(auth, "retry-after-fix")
    missing = client.post("/api/awards", json=_award_body(issued, earner_id=str(uuid.uuid4())), headers=headers)
    assert missing.status_code == 404
    assert _count(factory, IdempotencyKey) == 0
    # nothing was stored under the key, so the corrected request (with the same key) executes
    assert client.post("/api/awards", json=_award_body(issued), headers=headers).status_code == 201


def test_renew_and_revoke_replay_their_first_result(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    base = f"/api/awards/{issued.award_id}"
    renewed = client.post(f"{base}/renew", headers=_with_key(auth, "renew-1"))
    assert renewed.status_code == 201
    again = client.post(f"{base}/renew", headers=_with_key(auth, "renew-1"))
    assert (again.status_code, again.content) == (201, renewed.content)
    assert _count(factory, Award, Award.replaces_id == issued.award_id) == 1
    fresh = client.post(f"{base}/renew", headers=_with_key(auth, "renew-2"))  # a new key is a new request: 409
    assert fresh.status_code == 409 and "already replaced" in fresh.json()["error"]

    new_base = f"/api/awards/{renewed.json()['id']}"
    revoke = {"reason": "Issued in error."}
    revoked = client.post(f"{new_base}/revoke", json=revoke, headers=_with_key(auth, "revoke-1"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    replay = client.post(f"{new_base}/revoke", json=revoke, headers=_with_key(auth, "revoke-1"))
    assert (replay.status_code, replay.content) == (200, revoked.content)  # not the 409 of a second revocation
    assert replay.headers["idempotent-replayed"] == "true"
    changed = client.post(f"{new_base}/revoke", json={"reason": "Another reason."}, headers=_with_key(auth, "revoke-1"))
    assert changed.status_code == 422 and "different request" in changed.json()["error"]
    # the same key and body on another award is another request too
    elsewhere = client.post(f"{base}/revoke", json=revoke, headers=_with_key(auth, "revoke-1"))
    assert elsewhere.status_code == 422
    assert client.post(f"{new_base}/revoke", json=revoke, headers=auth).status_code == 409
    events = _count(factory, AwardStatusEvent, AwardStatusEvent.action == "revoked")
    assert events == 1


def test_suspend_and_reinstate_replay_their_first_result(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    """A retried suspension or reinstatement (a timeout, a double submit) with its key is applied once and answers
    as the first did, instead of the 409 a second transition gets."""
    base = f"/api/awards/{issued.award_id}"
    hold = {"reason": "Under review."}
    suspended = client.post(f"{base}/suspend", json=hold, headers=_with_key(auth, "suspend-1"))
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    replay = client.post(f"{base}/suspend", json=hold, headers=_with_key(auth, "suspend-1"))
    assert (replay.status_code, replay.content) == (200, suspended.content)
    assert replay.headers["idempotent-replayed"] == "true"
    assert client.post(f"{base}/suspend", json=hold, headers=auth).status_code == 409  # no key: a second one
    reinstated = client.post(f"{base}/reinstate", headers=_with_key(auth, "reinstate-1"))
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "active"
    again = client.post(f"{base}/reinstate", headers=_with_key(auth, "reinstate-1"))
    assert (again.status_code, again.content) == (200, reinstated.content)
    with_reason = client.post(f"{base}/reinstate", json={"reason": "x"}, headers=_with_key(auth, "reinstate-1"))
    assert with_reason.status_code == 422 and "different request" in with_reason.json()["error"]
    assert _count(factory, AwardStatusEvent, AwardStatusEvent.action == "suspended") == 1
    assert _count(factory, AwardStatusEvent, AwardStatusEvent.action == "reinstated") == 1


def test_keys_are_scoped_per_endpoint_and_per_token(
    client: TestClient,
    issued: Issued,
    auth: dict[str, str],
    factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    from microcred.web.app import create_app

    key = "shared-key"
    issued_one = client.post("/api/awards", json=_award_body(issued), headers=_with_key(auth, key))
    renewed = client.post(f"/api/awards/{issued.award_id}/renew", headers=_with_key(auth, key))  # another endpoint
    assert (issued_one.status_code, renewed.status_code) == (201, 201)

    other_token = "another-api-token-9876543210"
    other_app = create_app(
        settings=make_settings(tmp_path / "other", MICROCRED_API_TOKEN=other_token), session_factory=factory
    )
    with TestClient(other_app, base_url="https://testserver") as other:
        headers = {"Authorization": f"Bearer {other_token}", "Idempotency-Key": key}
        issued_two = other.post("/api/awards", json=_award_body(issued), headers=headers)
    assert issued_two.status_code == 201 and "idempotent-replayed" not in issued_two.headers
    assert issued_two.json()["id"] != issued_one.json()["id"]  # another token's key: a new award
    with factory() as session:
        actors = set(session.scalars(select(IdempotencyKey.actor)))
    assert len(actors) == 2 and not any(other_token in a or "test-api-token" in a for a in actors)  # hashes only


def test_keys_expire_after_a_day_and_are_purged(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from microcred.db.base import utcnow
    from microcred.idempotency import services as keys

    headers = _with_key(auth, "revoke-old-key")
    path = f"/api/awards/{issued.award_id}/revoke"
    first = client.post(path, json={"reason": "issued in error"}, headers=headers)
    assert first.status_code == 200, first.text
    fresh = client.post("/api/awards", json=_award_body(issued), headers=_with_key(auth, "issue-fresh"))
    assert fresh.status_code == 201, fresh.text
    with session_scope(factory) as session:  # the revoke's key is a day and a minute old; the issue's is new
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "revoke-old-key")
            .values(created_at=utcnow() - keys.KEY_LIFETIME - timedelta(minutes=1))
        )
    again = client.post(path, json={"reason": "issued in error"}, headers=headers)
    assert "idempotent-replayed" not in again.headers  # forgotten: it executes as a new request
    assert again.status_code == 409, again.text  # ... which finds the award already revoked (rolled back whole)
    replay = client.post("/api/awards", json=_award_body(issued), headers=_with_key(auth, "issue-fresh"))
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == fresh.content
    with session_scope(factory) as session:  # a claim that commits purges the expired keys first
        claimed = keys.claim(session, actor="token:other", endpoint="POST /api/x", key="new-key", digest="0" * 64)
        assert isinstance(claimed, IdempotencyKey)
        keys.complete(session, claimed, status_code=200, body="{}")
    assert _count(factory, IdempotencyKey, IdempotencyKey.key == "revoke-old-key") == 0
    assert _count(factory, IdempotencyKey) == 2  # the issue's key and the new one
    with session_scope(factory) as session:
        assert keys.purge_expired(session, now=utcnow() + timedelta(days=2)) == 2  # both, in 2 days
    assert _count(factory, IdempotencyKey) == 0


def test_malformed_keys_are_refused(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    for key in ("", "has space", "é-non-ascii", "x" * 256):
        headers: dict[str, Any] = {**auth, "Idempotency-Key": key.encode("utf-8")}  # bytes: httpx sends them as is
        response = client.post("/api/awards", json=_award_body(issued), headers=headers)
        assert response.status_code == 422, (key, response.text)
        assert "Idempotency-Key" in response.json()["error"]


def _at_once(client: TestClient, send: Callable[[], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(N)
    out: list[httpx.Response] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=30)
        response = send()
        with lock:
            out.append(response)

    threads = [threading.Thread(target=run) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(out) == N
    return out


def test_concurrent_requests_with_one_key_execute_once(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    headers = _with_key(auth, "concurrent-renew")
    responses = _at_once(client, lambda: client.post(f"/api/awards/{issued.award_id}/renew", headers=headers))
    assert [r.status_code for r in responses] == [201] * N, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1  # the others waited for the first and got its result
    assert sum(1 for r in responses if r.headers.get("idempotent-replayed") == "true") == N - 1
    assert _count(factory, Award, Award.replaces_id == issued.award_id) == 1
    assert _count(factory, AuditEntry, AuditEntry.action == "award.renewed") == 1


@pytest.mark.parametrize("action", ["revoke", "renew"])
def test_concurrent_requests_without_a_key_one_succeeds_the_others_get_409(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session], action: str
) -> None:
    """The issue's measurement, over HTTP: four simultaneous revokes (or renewals) of one award."""
    url = f"/api/awards/{issued.award_id}/{action}"
    body = {"reason": "Issued in error."} if action == "revoke" else None
    responses = _at_once(client, lambda: client.post(url, json=body, headers=auth))
    codes = sorted(r.status_code for r in responses)
    assert codes == sorted([200 if action == "revoke" else 201] + [409] * (N - 1)), [r.text for r in responses]
    if action == "revoke":
        assert _count(factory, AwardStatusEvent, AwardStatusEvent.action == "revoked") == 1
        assert _count(factory, AuditEntry, AuditEntry.action == "award.revoked") == 1
    else:
        assert _count(factory, Award, Award.replaces_id == issued.award_id) == 1
        assert _count(factory, AuditEntry, AuditEntry.action == "award.renewed") == 1


def test_erasing_the_earner_deletes_the_stored_responses(
    client: TestClient, issued: Issued, auth: dict[str, str], factory: sessionmaker[Session]
) -> None:
    """A stored response names the earner: it goes with the rest of their data."""
    assert client.post("/api/awards", json=_award_body(issued), headers=_with_key(auth, "k1")).status_code == 201
    assert client.post(f"/api/awards/{issued.award_id}/renew", headers=_with_key(auth, "k2")).status_code == 201
    assert _count(factory, IdempotencyKey) == 2
    with session_scope(factory) as session:
        erasure.erase_earner(session, issued.earner_id)
    assert _count(factory, IdempotencyKey) == 0


def test_openapi_documents_the_header(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = ("/api/awards", "/api/awards/{award_id}/renew", "/api/awards/{award_id}/revoke",
             "/api/awards/{award_id}/suspend", "/api/awards/{award_id}/reinstate")  # fmt: skip
    for path in paths:
        operation = spec["paths"][path]["post"]
        [header] = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert header["required"] is False and "same key" in header["description"]
        assert header["schema"]["anyOf"][0]["maxLength"] == 255
        success = "200" if path.endswith(("revoke", "suspend", "reinstate")) else "201"
        assert "Idempotent-Replayed" in operation["responses"][success]["headers"]
        assert "Idempotency-Key" in operation["responses"]["422"]["description"]

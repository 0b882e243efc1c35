"""The bulk API, on SQLite and PostgreSQL: POST /api/award-batches with JSON rows or a multipart CSV file (dry run,
then issued in the background), GET its state and counts, GET its results as CSV, start and cancel; the
Idempotency-Key; every bad input answered with a reason, never a 500."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import World, csv_bytes
from tests.web.conftest import BASE_URL, TOKEN, make_settings

from microcred import jobs
from microcred.awards.models import Award
from microcred.batches import services as batches
from microcred.settings import Settings


@pytest.fixture
def api_settings(tmp_path: Any) -> Settings:
    return make_settings(tmp_path / "instance")


@pytest.fixture
def client(api_settings: Settings, factory: sessionmaker[Session]) -> Any:
    """The app (tests/web's settings: its base URL, master key and API token) over the test database; on SQLite
    its embedded job worker runs while the client is open."""
    from microcred.web.app import create_app

    app = create_app(settings=api_settings, session_factory=factory)
    with TestClient(app, raise_server_exceptions=True, base_url="https://testserver") as test_client:
        yield test_client


def settled(client: TestClient, auth: dict[str, str], batch_id: str, settings: Settings,
            factory: sessionmaker[Session]) -> dict[str, Any]:
    """The batch once its job ran: drained here (PostgreSQL's jobs wait for a worker), or run by the app's
    embedded worker (SQLite); polled with a deadline, never a blind sleep."""
    jobs.drain(settings, session_factory=factory)
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = client.get(f"/api/award-batches/{batch_id}", headers=auth).json()
        if body["state"] in ("finished", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


ROWS = [
    {"earner_name": "Ada Lovelace", "email": "ada@example.org", "achievement_code": "HOSP-101"},
    {"earner_name": "Bo", "email": "bo@example.org", "achievement_code": "HOSP-101", "final_result": "pass"},
]


def count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def results(client: TestClient, auth: dict[str, str], batch_id: str) -> list[list[str]]:
    response = client.get(f"/api/award-batches/{batch_id}/results.csv", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.text, newline="")))


def test_json_rows_are_dry_run_then_issued(
    client: TestClient, auth: dict[str, str], world: World, factory: sessionmaker[Session], api_settings: Settings
) -> None:
    created = client.post("/api/award-batches", json={"rows": ROWS, "notify": True}, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "queued" and body["rows"] == 2 and body["notify"] is True
    assert body["counts"]["refused"] == 0 and body["counts"]["pending"] + body["counts"]["issued"] == 2
    assert body["results_url"] == f"/api/award-batches/{body['id']}/results.csv"
    done = settled(client, auth, body["id"], api_settings, factory)  # issued by the job
    assert done["state"] == "finished" and done["counts"]["issued"] == 2 and done["errors"] == []
    lines = results(client, auth, body["id"])
    assert lines[0] == list(batches.RESULT_COLUMNS)
    assert [line[4] for line in lines[1:]] == ["issued", "issued"]
    assert all(line[6] == f"{BASE_URL}/credentials/{line[5]}" for line in lines[1:])
    assert count(factory, Award) == 2


def test_a_csv_upload_dry_run_then_start_then_cancel(
    client: TestClient, auth: dict[str, str], world: World, factory: sessionmaker[Session], api_settings: Settings
) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    data = b"\xef\xbb\xbf" + csv_bytes(
        ["earner_name", "email", "achievement_code"],
        ["Ada", "ada@example.org", "HOSP-101"],
        ["Bo", "bo@example.org", formula],
        sep=";",
    )
    created = client.post(
        "/api/award-batches",
        files={"file": ("cohort.csv", data, "text/csv")},
        data={"dry_run": "true"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "dry-run-ok" and body["file_name"] == "cohort.csv" and len(body["file_sha256"]) == 64
    assert body["errors"] == [{"row": 2, "state": "refused", "error": f"unknown achievement code {formula!r}"}]
    assert count(factory, Award) == 0
    started = client.post(f"/api/award-batches/{body['id']}/start", headers=auth)
    assert started.status_code == 200 and started.json()["state"] == "queued"
    assert settled(client, auth, body["id"], api_settings, factory)["state"] == "finished"
    lines = results(client, auth, body["id"])
    assert lines[2][3] == "'" + formula and lines[2][4] == "refused"  # escaped for spreadsheets
    again = client.post(f"/api/award-batches/{body['id']}/start", headers=auth)
    assert again.status_code == 409 and "is finished" in again.json()["error"]
    cancelled = client.post(f"/api/award-batches/{body['id']}/cancel", headers=auth)
    assert cancelled.status_code == 409 and cancelled.json()["error"].endswith("is already finished")


def test_cancel_a_batch_waiting_after_its_dry_run(client: TestClient, auth: dict[str, str], world: World) -> None:
    body = client.post("/api/award-batches", json={"rows": ROWS, "dry_run": True}, headers=auth).json()
    cancelled = client.post(f"/api/award-batches/{body['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["counts"]["pending"] == 2


def test_the_idempotency_key(
    client: TestClient, auth: dict[str, str], world: World, factory: sessionmaker[Session], api_settings: Settings
) -> None:
    headers = {**auth, "Idempotency-Key": "batch-7f0c2a4e"}
    first = client.post("/api/award-batches", json={"rows": ROWS}, headers=headers)
    retry = client.post("/api/award-batches", json={"rows": ROWS}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    settled(client, auth, first.json()["id"], api_settings, factory)
    assert count(factory, batches.AwardBatch) == 1 and count(factory, Award) == 2
    other = client.post("/api/award-batches", json={"rows": ROWS[:1]}, headers=headers)
    assert other.status_code == 422 and "already used for a different request" in other.json()["error"]
    upload = {"file": ("a.csv", csv_bytes(["email", "achievement_code"], ["cy@example.org", "HOSP-101"]))}
    key = {**auth, "Idempotency-Key": "upload-1"}
    one = client.post("/api/award-batches", files=upload, data={"dry_run": "1"}, headers=key)
    two = client.post("/api/award-batches", files=upload, data={"dry_run": "1"}, headers=key)
    assert one.status_code == two.status_code == 201 and two.content == one.content
    changed = {"file": ("a.csv", csv_bytes(["email", "achievement_code"], ["dy@example.org", "HOSP-101"]))}
    assert client.post("/api/award-batches", files=changed, data={"dry_run": "1"}, headers=key).status_code == 422
    assert count(factory, batches.AwardBatch) == 2


def test_bad_input_is_answered_with_a_reason(
    client: TestClient, auth: dict[str, str], world: World, factory: sessionmaker[Session]
) -> None:
    def post(**kwargs: Any) -> tuple[int, str]:
        response = client.post("/api/award-batches", headers=kwargs.pop("headers", auth), **kwargs)
        return response.status_code, response.json().get("error", "")

    latin = "email,achievement_code\r\nhélène@example.org,HOSP-101\r\n".encode("latin-1")
    status, error = post(files={"file": ("x.csv", latin)})
    assert status == 422 and error.startswith("the file is not UTF-8 text: byte 0xE9 on line 2")
    status, error = post(files={"file": ("x.csv", b"")})
    assert status == 422 and error.startswith("the file is empty")
    status, error = post(files={"file": ("x.csv", csv_bytes(["email", "grade"], ["a@example.org", "A"]))})
    assert status == 422 and error.startswith("unknown column(s): grade.")
    status, error = post(data={"dry_run": "true"}, files={"other": ("x.csv", b"email\r\n")})
    assert status == 422 and error == "file: send the CSV file in the form field 'file'"
    status, error = post(files={"file": ("x.csv", b"email\r\na@example.org\r\n")}, data={"notify": "maybe"})
    assert status == 422 and error == "notify must be true or false (got 'maybe')"
    status, error = post(json={"rows": [{"email": "a@example.org", "colour": "red"}]})
    assert status == 422 and error.startswith("unknown column(s): colour.")
    status, error = post(json={"rows": []})
    assert status == 422
    status, error = post(json={"rows": ROWS, "achievement": "NOPE-1"})
    assert status == 422 and error == "--achievement: unknown achievement code 'NOPE-1'"
    status, error = post(content=b"email\r\n", headers={**auth, "Content-Type": "text/csv"})
    assert status == 415
    assert count(factory, batches.AwardBatch) == 0 and count(factory, Award) == 0

    missing = client.get("/api/award-batches/00000000-0000-0000-0000-000000000000", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"].startswith("no award batch with id")
    assert client.get("/api/award-batches/not-an-id/results.csv", headers=auth).status_code == 404
    assert client.post("/api/award-batches", json={"rows": ROWS}).status_code == 401

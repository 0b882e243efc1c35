"""App-wide behaviour: body-size limit, authentication, error shapes, home and verify pages, static, docs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import BASE_URL, Issued, form_token, make_settings

from microcred.web.middleware import BodySizeLimitMiddleware
from microcred.web.negotiation import HTML, JSON, JSON_LD, VC_JWT, choose

LIMIT = 1024 * 1024


# -- 413 -------------------------------------------------------------------------------------------------
def test_body_over_1_mib_with_content_length_is_413(client: TestClient, auth: dict[str, str]) -> None:
    body = b'{"verifiableCredential": "' + b"a" * LIMIT + b'"}'
    for path, headers in (("/credentials/verify", {}), ("/api/earners", auth)):
        response = client.post(path, content=body, headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 413, path
        assert "request body too large" in response.json()["error"]
        assert "1048576 bytes" in response.json()["error"]


def test_chunked_body_over_1_mib_without_content_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": "'
        for _ in range(20):
            yield b"b" * 65536
        yield b'"}'

    response = client.post("/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.request.headers.get("content-length") is None
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert "request body too large" in response.json()["error"]


def test_chunked_body_under_the_limit_passes(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": '
        yield b'"not a credential"}'

    response = client.post("/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["verified"] is False


def _run_middleware(headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]]) -> tuple[list[Any], bytes]:
    """Drive the middleware directly (ASGI), returning what was sent and what the inner app read."""
    sent: list[Any] = []
    received = bytearray()

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(BodySizeLimitMiddleware(inner, max_bytes=10)(scope, receive, send))
    return sent, bytes(received)


def test_middleware_limits_a_body_longer_than_its_declared_length() -> None:
    sent, _ = _run_middleware(
        [(b"content-length", b"5")],
        [{"type": "http.request", "body": b"123456", "more_body": True}, {"type": "http.request", "body": b"7890A"}],
    )
    assert sent[0]["status"] == 413


def test_middleware_replays_small_bodies_and_rejects_bad_lengths() -> None:
    sent, received = _run_middleware(
        [], [{"type": "http.request", "body": b"12345", "more_body": True}, {"type": "http.request", "body": b"678"}]
    )
    assert sent[0]["status"] == 204 and received == b"12345678"
    sent, _ = _run_middleware([(b"content-length", b"lots")], [])
    assert sent[0]["status"] == 400
    assert b"invalid Content-Length" in sent[1]["body"]
    sent, received = _run_middleware([], [{"type": "http.disconnect"}])
    assert sent == [] and received == b""


# -- authentication ------------------------------------------------------------------------------------------
def test_api_needs_a_bearer_token(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/organisations").status_code == 401
    basic = client.get("/api/organisations", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    assert client.get("/api/organisations", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/api/organisations", headers=auth)
    assert ok.status_code == 200 and ok.json() == []


def test_token_file_and_unconfigured_token(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    from microcred.web.app import create_app

    data_dir = tmp_path / "inst"
    settings = make_settings(data_dir, MICROCRED_API_TOKEN=None)
    with TestClient(create_app(settings=settings, session_factory=factory)) as c:
        none = c.get("/api/earners", headers={"Authorization": "Bearer anything"})
        assert none.status_code == 401
        assert "no API token configured" in none.json()["error"]
        data_dir.mkdir(parents=True)
        (data_dir / "api-token").write_text("from-the-file\n")
        assert c.get("/api/earners", headers={"Authorization": "Bearer from-the-file"}).status_code == 200
        assert c.get("/api/earners", headers={"Authorization": "Bearer other"}).status_code == 401


# -- pages ---------------------------------------------------------------------------------------------------
def test_home_lists_organisations_and_achievements_never_awards(client: TestClient, issued: Issued) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html and "<h1>" in html
    assert "Test College" in html
    assert f'href="{BASE_URL}/achievements/{issued.achievement_id}">Food Safety Fundamentals</a>' in html
    assert str(issued.award_id) not in html and "Ada Lovelace" not in html  # issue 12: no earner in public
    assert 'href="/verify"' in html


def test_home_without_data(client: TestClient) -> None:
    html = client.get("/").text
    assert "No organisation yet" in html and "No micro-credential has been published yet." in html


def test_verify_form_with_json_and_jwt(client: TestClient, issued: Issued) -> None:
    form = client.get("/verify")
    assert form.status_code == 200
    assert '<label for="credential">' in form.text and 'id="credential"' in form.text
    document = client.get(f"/credentials/{issued.award_id}", params={"format": "json"}).text
    result = client.post("/verify", data={"csrf_token": form_token(client), "credential": document})
    assert result.status_code == 200
    assert "✓</span> Verified" in result.text
    assert '<span class="kind">skill</span>' in result.text
    token = client.get(f"/credentials/{issued.award_id}", params={"format": "jwt"}).text
    by_jwt = client.post("/verify", data={"csrf_token": form_token(client), "credential": token})
    assert "✓</span> Verified" in by_jwt.text
    assert "Format: jwt" in by_jwt.text
    tampered = json.loads(document)
    tampered["validFrom"] = "2001-01-01T00:00:00Z"
    bad = client.post("/verify", data={"csrf_token": form_token(client), "credential": json.dumps(tampered)})
    assert "✗</span> Not verified" in bad.text


def test_verify_form_rejects_unreadable_input(client: TestClient) -> None:
    for text, expected in (
        ("", "paste a credential, upload a file or give an address first"),
        ('{"broken": ', "this is not valid JSON"),
        ("hello world", "neither a JSON credential"),
    ):
        response = client.post("/verify", data={"csrf_token": form_token(client), "credential": text})
        assert response.status_code == 400
        assert expected in response.text
        assert 'role="alert"' in response.text


def test_static_stylesheet_and_docs(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and ":focus-visible" in css.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/credentials/issue", "/credentials/verify", "/api/awards", "/issuers/{org_id}/did.json"} <= set(paths)


def test_unknown_path_is_404_json(client: TestClient) -> None:
    response = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {"error": "nothing at /nothing-here"}
    wrong_method = client.delete("/credentials/verify")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()


# -- negotiation -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON_LD),
        ("", JSON_LD),
        ("*/*", JSON_LD),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", HTML),
        ("application/json", JSON),
        ("application/vc+jwt", VC_JWT),
        ("application/vc+jwt;q=0.5, application/ld+json;q=0.4", VC_JWT),
        ("text/*", HTML),
        ("application/json;q=0, text/html;q=0.1", HTML),
        ("image/png", None),
        ("application/ld+json;q=abc", None),
        ("garbage", JSON_LD),
    ],
)
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept, [JSON_LD, JSON, HTML, VC_JWT]) == expected


def test_bodies_that_are_not_json_objects(client: TestClient) -> None:
    no_type = client.post("/credentials/verify", content=b'{"verifiableCredential": {}}')
    assert no_type.status_code == 415
    assert "Content-Type: application/json" in no_type.json()["error"]
    text = client.post("/credentials/verify", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415 and "(got text/plain)" in text.json()["error"]
    scalar = client.post("/credentials/verify", json="just a string")
    assert scalar.status_code == 422
    assert scalar.json() == {"error": "the request body must be a JSON object"}


def test_deeply_nested_documents_are_400_not_500(client: TestClient) -> None:
    deep = b'{"verifiableCredential": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    api = client.post("/credentials/verify", content=deep, headers={"Content-Type": "application/json"})
    assert api.status_code == 400
    assert "could not be parsed as JSON" in api.json()["error"]
    deep = "{" + '"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    form = client.post("/verify", data={"csrf_token": form_token(client), "credential": deep})
    assert form.status_code == 400
    assert "nested too deeply" in form.json()["error"]

"""Bad input is a 4xx with a reason, never a 500, on SQLite and PostgreSQL alike (issue 12, point 4): bodies that
are empty, not JSON, of the wrong type or the wrong Content-Type; text PostgreSQL cannot store (NUL, lone
surrogates) in bodies, form fields, query and path; 405 with the full Allow; the OpenAPI's error responses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

EXTERNAL = "/api/earners/{ref}/external-credentials"


@pytest.fixture
def earner_ref(client: TestClient, auth: dict[str, str]) -> str:
    response = client.post("/api/earners", json={"name": "Grace Hopper", "email": "grace@example.org"}, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize(
    ("content", "content_type", "status", "reason"),
    [
        (b"", "application/json", 400, "the request body is empty"),
        (b"", None, 400, "the request body is empty"),
        (b"not json", "application/json", 400, "not valid JSON"),
        (b"{\"a\": ", "application/json", 400, "not valid JSON"),
        (b"\xff\xfe", "application/json", 400, "not UTF-8"),
        (b"[1, 2]", "application/json", 422, "must be a JSON object or a JSON string, not an array"),
        (b"12", "application/json", 422, "not a number"),
        (b"null", "application/json", 422, "not null"),
        (b"<x/>", "application/xml", 415, "must be JSON"),
        (b"a=b", "application/x-www-form-urlencoded", 415, "must be JSON"),
    ],
)
def test_hand_parsed_body_is_refused_with_a_reason(
    client: TestClient,
    auth: dict[str, str],
    earner_ref: str,
    content: bytes,
    content_type: str | None,
    status: int,
    reason: str,
) -> None:
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    response = client.post(EXTERNAL.format(ref=earner_ref), content=content, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "reason"),
    [
        (b"not json", "application/json", 400, "not valid JSON"),
        (b"{\"name\": ", "application/json", 400, "not valid JSON"),
        (b"name=x", "application/x-www-form-urlencoded", 415, "must be JSON"),
        (b"[]", "application/json", 422, "JSON object"),
        (b"", "application/json", 422, "required"),
        (b"{\"name\": 5, \"email\": \"a@b.org\"}", "application/json", 422, "name"),
    ],
)
def test_model_body_is_refused_with_a_reason(
    client: TestClient, auth: dict[str, str], content: bytes, content_type: str, status: int, reason: str
) -> None:
    response = client.post("/api/earners", content=content, headers={**auth, "Content-Type": content_type})
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]


@pytest.mark.parametrize(
    ("raw", "field", "what"),
    [
        (b'{"name": "Ada\\u0000Lovelace", "email": "ada@example.org"}', "name", "NUL"),
        (b'{"name": "Ada", "email": "ada@example.org", "did": "did:web:\\u0000"}', "did", "NUL"),
        (b'{"name": "Ada\\ud800", "email": "ada@example.org"}', "name", "lone surrogate (U+D800)"),
        (b'{"name": "Ada", "email": "ada@example.org\\udfff"}', "email", "lone surrogate (U+DFFF)"),
        (b'{"name": "Ada", "email": "ada@example.org", "x\\u0000": 1}', "(a property name)", "NUL"),
    ],
)
def test_unstorable_text_in_json_is_422_naming_the_field(
    client: TestClient, auth: dict[str, str], raw: bytes, field: str, what: str
) -> None:
    response = client.post("/api/earners", content=raw, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in error and what in error
    assert client.get("/api/earners", headers=auth).json() == []  # nothing stored, on either database


def test_nested_field_is_named(client: TestClient, auth: dict[str, str], earner_ref: str) -> None:
    body = {"credentialSubject": {"achievement": {"name": ["ok", "bad\u0000"]}}}
    response = client.post(EXTERNAL.format(ref=earner_ref), json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert "credentialSubject.achievement.name[1]: contains a NUL character" in response.json()["error"]


def test_storable_lookalikes_pass(client: TestClient, auth: dict[str, str]) -> None:
    # An escaped backslash before "u0000" is the text \u0000; a surrogate pair is one real character (U+1F600).
    raw = b'{"name": "Ada \\\\u0000 \\ud83d\\ude00", "email": "ada@example.org"}'
    response = client.post("/api/earners", content=raw, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Ada \\u0000 \U0001f600"


def test_unstorable_text_in_query_path_and_form(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/taxonomy/concept?uri=https%3A%2F%2Fx.example%2F%00", headers=auth)
    assert response.status_code == 422, response.text
    assert "query uri: contains a NUL character" in response.json()["error"]

    response = client.get("/api/earners/abc%00def", headers=auth)
    assert response.status_code == 422, response.text
    assert "path" in response.json()["error"]

    response = client.post(
        "/oid4vci/token",
        content=b"grant_type=x&pre-authorized_code=a%00b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422, response.text
    assert "pre-authorized_code: contains a NUL character" in response.json()["error"]


def test_binary_uploads_with_nul_bytes_are_not_refused(client: TestClient) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
    response = client.post("/credentials/verify/upload", files={"file": ("badge.png", png, "image/png")})
    assert response.status_code == 400, response.text  # not a badge, but not refused for its NUL bytes
    assert "NUL" not in response.text


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/pathways", "GET, HEAD, POST"),
        ("/credentials/issue", "POST"),
        ("/credentials/verify", "POST"),
        ("/api/earners/0", "DELETE, GET, HEAD"),
        ("/api/earners/0/external-credentials", "GET, HEAD, POST"),
    ],
)
def test_405_names_every_method_of_the_resource(client: TestClient, auth: dict[str, str], path: str,
                                                allow: str) -> None:
    response = client.request("PATCH", path, headers=auth)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert "PATCH is not allowed" in response.json()["error"]


def test_openapi_documents_the_error_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) > 50
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, method, op in operations:
        responses = op["responses"]
        label = f"{method.upper()} {path}"
        if path.startswith("/api/"):
            assert "401" in responses and "503" in responses, label
        if "{" in path:
            assert "404" in responses, label
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in responses, label
        if op.get("requestBody"):
            assert {"400", "413", "415"} <= set(responses), label
        for status, entry in responses.items():
            if int(status) >= 400:
                body = entry["content"]["application/json"]["schema"]
                assert error_ref in (body, *body.get("anyOf", [])), (label, status)
    external = schema["paths"]["/api/earners/{earner_ref}/external-credentials"]["post"]
    assert "requestBody" in external
    assert "application/did+json" in schema["paths"]["/.well-known/did.json"]["get"]["responses"]["200"]["content"]

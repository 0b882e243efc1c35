"""The web app names its actor in the audit log: "api" under /api/ (and the VC-API issue route), "web" elsewhere,
for async and thread-pool (sync) endpoints alike; outside a request the actor is unchanged."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from microcred.audit.services import current_actor
from microcred.web.app import _attribute_audit_events


def test_requests_are_attributed_to_web_or_api() -> None:
    app = FastAPI()

    @app.get("/api/thing")
    def api_thing() -> str:  # sync: runs in the thread pool
        return current_actor()

    @app.get("/page")
    async def page() -> str:
        return current_actor()

    @app.post("/credentials/issue")
    def issue() -> str:
        return current_actor()

    _attribute_audit_events(app)
    before = current_actor()
    with TestClient(app) as client:
        assert client.get("/api/thing").json() == "api"
        assert client.get("/page").json() == "web"
        assert client.post("/credentials/issue").json() == "api"
        assert client.get("/missing").status_code == 404
    assert current_actor() == before

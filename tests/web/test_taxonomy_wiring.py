"""The taxonomy router is part of the real app (its behaviour is tested in tests/taxonomy)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_taxonomy_endpoints_are_served(client: TestClient) -> None:
    frameworks = client.get("/taxonomy/frameworks")
    assert frameworks.status_code == 200
    assert isinstance(frameworks.json(), (list, dict))
    assert client.get("/taxonomy/concept", params={"uri": "http://data.europa.eu/esco/skill/none"}).status_code == 404
    assert "/taxonomy/search" in client.get("/openapi.json").json()["paths"]

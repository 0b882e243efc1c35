"""Plain reasons for the three forms a verifier elsewhere refuses (issue 11, "Bad input"): a credential in
microcred's earlier form (its private context: verified here, with a reason), a credential with an unknown context
and one with two status entries (both refused, with a reason). The same words on the page, over HTTP
(`POST /credentials/verify`) and in the CLI (`microcred verify`), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token
from typer.testing import CliRunner

from microcred.settings import Settings


def _resigned(factory: sessionmaker[Session], settings: Settings, issued: Issued, change: Any) -> dict[str, Any]:
    """The issued award changed by ``change`` and signed again with its issuer's key (a real signature)."""
    from microcred.awards import queries as awards
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.status import services as status
    from microcred.vc import sign_data_integrity

    with factory() as session:
        award = awards.get_award(session, issued.award_id)
        doc = {k: v for k, v in awards.credential_document(award).items() if k != "proof"}
        suspension = next(e for e in status.entries_for_award(session, award.id) if e.purpose == "suspension")
        if change is not _unknown_context:
            change(doc, status.entry_document(suspension, settings.base_url))
        org = issuers.get_organisation(session, issued.org_id)
        material = issuers.signing_material(
            session, org, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
        )
        signed = sign_data_integrity(doc, material.key, material.verification_method)
    if change is _unknown_context:  # nothing can sign over a context it cannot load: added after signing
        _unknown_context(signed, {})
    return signed


def _legacy(doc: dict[str, Any], suspension: dict[str, Any]) -> None:
    from microcred.vc.contexts import MICROCRED_OB_EXTENSIONS

    doc["@context"].append(MICROCRED_OB_EXTENSIONS)
    doc["credentialStatus"] = [doc["credentialStatus"], suspension]


def _unknown_context(doc: dict[str, Any], _suspension: dict[str, Any]) -> None:
    doc["@context"].append("https://contexts.example.org/badges/v1")


def _two_entries(doc: dict[str, Any], suspension: dict[str, Any]) -> None:
    doc["credentialStatus"] = [doc["credentialStatus"], suspension]


CASES = {
    "earlier form": (_legacy, True, "context", "earlier form"),
    "unknown context": (_unknown_context, False, "context", "unknown @context https://contexts.example.org/badges/v1"),
    "two status entries": (_two_entries, False, "schema", "allows one credentialStatus entry"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_form_gets_a_plain_reason_everywhere(
    case: str,
    client: TestClient,
    factory: sessionmaker[Session],
    settings: Settings,
    issued: Issued,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change, verified, check, words = CASES[case]
    credential = _resigned(factory, settings, issued, change)

    # over HTTP
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == (200 if verified else 400), response.text
    reasons = {c["check"]: c["reason"] for c in response.json()["checks"] if c["check"] == check}
    assert words in reasons[check]
    if case == "earlier form":
        assert "ask the issuer to re-issue it" in reasons[check]

    # on the page
    page = client.post("/verify", data={"csrf_token": form_token(client), "credential": json.dumps(credential)})
    assert page.status_code in (200, 400) and words in page.text.replace("&#39;", "'")
    assert ("Not verified" in page.text) is (not verified)

    # in the CLI, against the same instance
    from microcred.cli import _register, app
    from microcred.settings import get_settings

    _register()
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MICROCRED_BASE_URL", settings.base_url)
    engine = factory.kw["bind"]
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))
    result = CliRunner().invoke(app, ["verify", str(path), "--json"])
    get_settings.cache_clear()
    assert result.exit_code == (0 if verified else 1), result.stdout
    out = json.loads(result.stdout)
    assert words in next(c["reason"] for c in out["checks"] if c["check"] == check)

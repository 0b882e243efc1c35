"""CLI: awards revoke/suspend/reinstate/renew/reissue, keys list/rotate/compromised/export-public, exit codes; and no
key material in any output, export, API response or log line (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred import demo
from microcred.cli import _register, app
from microcred.settings import get_settings

_register()


OUTPUTS: list[str] = []


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    OUTPUTS.extend([result.stdout, result.stderr])
    return result.exit_code, result.stdout, result.stderr


def _award(name: str) -> str:
    keys = {"revoked": "award:revoked:liam:food-safety", "suspended": "award:suspended:liam:spreadsheet-analysis"}
    return str(demo.demo_id(keys[name]))


def _key_material() -> list[str]:
    """Every private key of the instance, in every form it could leak as."""
    from microcred.db import make_engine, session_factory
    from microcred.issuers import keystore
    from microcred.issuers.models import SigningKey
    from microcred.vc import Ed25519Key

    settings = get_settings()
    master = keystore.load_master_key(settings)
    engine = make_engine(settings.resolved_database_url)
    forms: list[str] = []
    with session_factory(engine)() as session:
        for row in session.query(SigningKey).all():
            seed = keystore.decrypt_private_key(
                row.encrypted_private_key, master, key_id=str(row.id), public_multibase=row.public_key_multibase
            )
            key = Ed25519Key.from_seed(seed)
            forms += [
                seed.hex(),
                base64.b64encode(seed).decode().rstrip("="),
                base64.urlsafe_b64encode(seed).decode().rstrip("="),
                key.secret_multibase,
                key.private_jwk()["d"],
                base64.b64encode(row.encrypted_private_key).decode()[:40],
            ]
    engine.dispose()
    return forms


def test_lifecycle_commands_and_no_key_material_anywhere(
    cli_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    OUTPUTS.clear()
    assert run("init")[0] == 0 and run("demo")[0] == 0
    revoked, suspended = _award("revoked"), _award("suspended")
    featured = str(demo.demo_id("award:amara:food-safety"))

    # status: revoke is permanent (exit 2 with a clear message), suspension is reversible
    for args in (("suspend", revoked, "--reason", "x"), ("reinstate", revoked), ("revoke", revoked, "--reason", "y")):
        code, _, err = run("awards", *args)
        assert code == 2 and "revoked" in err, (args, err)
    assert run("awards", "revoke", featured)[0] == 2  # --reason is required
    code, out, err = run("awards", "reinstate", suspended, "--reason", "review closed")
    assert code == 0 and "reinstated" in out, err
    assert run("awards", "reinstate", suspended)[0] == 2
    code, out, err = run("awards", "suspend", suspended, "--reason", "new complaint")
    assert code == 0 and "suspended" in out, err
    assert run("awards", "revoke", "not-an-id", "--reason", "x")[0] == 2

    # renew: a new award linked to the old one
    code, out, err = run("awards", "renew", featured)
    assert code == 0 and f"award {featured} renewed as" in out, err
    assert run("awards", "renew", featured)[0] == 2  # already replaced

    # keys: rotate, then mark the old key compromised, then re-issue what it signed
    org = str(demo.COLLEGE_ID)
    code, out, err = run("keys", "rotate", org)
    assert code == 0 and "new active key" in out, err
    exported = tmp_path / "public.json"
    assert run("keys", "export-public", org, "--out", str(exported))[0] == 0
    document = json.loads(exported.read_text())
    statuses = [k["status"] for k in document["keys"]]
    assert statuses == ["retired", "active"]
    assert len(document["didDocument"]["assertionMethod"]) == 2  # the old key stays published
    old_key = document["keys"][0]["id"]
    assert run("keys", "compromised", org, old_key, "--since", "yesterday")[0] == 2
    assert run("keys", "compromised", org, old_key, "--since", "2020-01-01T00:00:00")[0] == 2  # no time zone
    assert run("keys", "compromised", org, "z6MkNoSuchKey", "--since", "2020-01-01T00:00:00Z")[0] == 2
    code, out, err = run("keys", "compromised", org, old_key, "--since", "2020-01-01T00:00:00Z")
    assert code == 0 and "marked compromised" in out, err
    code, out, err = run("verify", "--json", f"http://127.0.0.1:8000/credentials/{featured}")
    assert code == 1 and "reported compromised" in out
    code, out, err = run("awards", "reissue", "--signed-with", old_key)
    assert code == 0 and "re-issued" in out, err
    new_ids = [line.split(" -> ")[1] for line in out.splitlines() if " -> " in line]
    assert new_ids and revoked not in out  # revoked awards are not re-issued
    code, out, _ = run("awards", "reissue", "--signed-with", old_key)
    assert code == 0 and "no award" in out
    for new_id in new_ids:  # signed with the new key: no longer distrusted (the suspended one stays suspended)
        code, out, _ = run("verify", "--json", f"http://127.0.0.1:8000/credentials/{new_id}")
        failed = [c["reason"] for c in json.loads(out)["checks"] if not c["passed"]]
        assert not any("compromised" in reason for reason in failed), failed
    assert run("keys", "list", org)[0] == 0
    code, out, _ = run("audit", "verify")
    assert code == 0, out
    assert run("audit", "export", "--out", str(tmp_path / "audit.jsonl"))[0] == 0

    # the web: API responses, DID documents, status lists
    from microcred.web.app import create_app

    settings = get_settings()
    token = (cli_env / "api-token").read_text().strip()
    with TestClient(create_app(settings=settings)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        bodies = [
            client.get("/api/organisations", headers=auth).text,
            client.get(f"/api/awards/{featured}", headers=auth).text,
            client.get(f"/issuers/{org}/did.json").text,
            client.get("/.well-known/did.json").text,
        ]
        credential = client.get(f"/credentials/{featured}", params={"format": "json"}).json()
        entry = credential["credentialStatus"]
        bodies.append(client.get(entry["statusListCredential"].replace(settings.base_url, "")).text)
    assert all(bodies)

    material = _key_material()
    haystacks = {
        "cli output": "\n".join(OUTPUTS),
        "public key export": exported.read_text(),
        "audit export": (tmp_path / "audit.jsonl").read_text(),
        "api responses": "\n".join(bodies),
        "log lines": "\n".join(r.getMessage() for r in caplog.records) + caplog.text,
    }
    for where, text in haystacks.items():
        for secret in material:
            assert secret not in text, f"key material found in the {where}"

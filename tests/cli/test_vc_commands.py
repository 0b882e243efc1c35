"""`microcred keys generate`, `sign` and `verify`: the contract users and acceptance checks rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.vc import Ed25519Key
from support.credentials import sample_credential
from support.vectors import EXAMPLES, W3C, W3C_CONTEXTS, W3C_UNSIGNED, load

_register()
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # verify must work on a machine with no instance at all (no database, no data dir)
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "no-instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from microcred.settings import get_settings

    get_settings.cache_clear()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_keys_generate_to_stdout_and_file(tmp_path: Path) -> None:
    result = invoke("keys", "generate")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc) >= {"id", "controller", "publicKeyMultibase", "secretKeyMultibase"}
    assert doc["controller"] == "did:key:" + doc["publicKeyMultibase"]
    assert doc["id"] == f"{doc['controller']}#{doc['publicKeyMultibase']}"
    out = tmp_path / "k.json"
    assert invoke("keys", "generate", "--out", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads(out.read_text())["publicKeyMultibase"].startswith("z6Mk")


def test_sign_reproduces_the_1edtech_vector(tmp_path: Path) -> None:
    vector = load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")
    cred = write(tmp_path / "c.json", vector["unsignedCredential"])
    key = write(tmp_path / "k.json", vector["keyPair"])
    result = invoke("sign", str(cred), "--key", str(key), "--created", vector["proofOptions"]["created"])
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    assert signed["proof"][0]["proofValue"] == vector["proofValue"]
    assert signed["proof"][0]["verificationMethod"] == vector["proofOptions"]["verificationMethod"]


def test_sign_reproduces_the_w3c_vector_with_extra_contexts(tmp_path: Path) -> None:
    cred = write(tmp_path / "c.json", W3C_UNSIGNED)
    config = load(W3C / "proofConfigDataInt.json")
    args = ["sign", str(cred), "--key", str(W3C / "keyPair.json"), "--created", config["created"]]
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert "https://www.w3.org/ns/credentials/examples/v2" in refused.output
    result = invoke(*args, "--extra-contexts", str(W3C_CONTEXTS))
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)["proof"][0]
    assert (
        proof["proofValue"]
        == "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
    )
    assert proof["verificationMethod"] == config["verificationMethod"]
    signed = write(tmp_path / "s.json", result.stdout)
    assert invoke("verify", str(signed), "--extra-contexts", str(W3C_CONTEXTS)).exit_code == 1  # issuer != key
    out = invoke("verify", str(signed), "--json", "--extra-contexts", str(W3C_CONTEXTS))
    line = json.loads(out.stdout.strip())
    assert {c["check"]: c["passed"] for c in line["checks"]}["proof"] is True


def test_sign_jwt_and_verify_round_trip(tmp_path: Path) -> None:
    keyfile = tmp_path / "k.json"
    invoke("keys", "generate", "--out", str(keyfile))
    did = json.loads(keyfile.read_text())["controller"]
    cred = write(tmp_path / "c.json", sample_credential(issuer_id=did))
    jwt = invoke("sign", str(cred), "--key", str(keyfile), "--format", "jwt")
    assert jwt.exit_code == 0, jwt.output
    token = jwt.stdout.strip()
    assert token.count(".") == 2
    jwt_file = write(tmp_path / "c.jwt", token)
    di = invoke("sign", str(cred), "--key", str(keyfile))
    di_file = write(tmp_path / "c.signed.json", di.stdout)
    both = write(tmp_path / "both.json", [json.loads(di.stdout), json.loads(di.stdout)])
    result = invoke("verify", str(jwt_file), str(di_file), str(both), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(jwt_file), str(di_file), f"{both}[0]", f"{both}[1]"]
    assert all(line["verified"] for line in lines)
    table = invoke("verify", str(di_file))
    assert table.exit_code == 0 and "VERIFIED" in table.stdout


def test_verify_pinned_samples_and_failures(tmp_path: Path) -> None:
    simple = EXAMPLES / "ob3-validator-simple-signed-eddsa-rdfc-2022.json"
    complete = EXAMPLES / "ob3-validator-complete-signed-eddsa-rdfc-2022.json"
    pins = {}
    for f in (simple, complete):
        vm = load(f)["proof"][0]["verificationMethod"]
        pins[vm] = vm.split("#")[1]
    trusted = write(tmp_path / "trusted.json", pins)
    assert invoke("verify", str(simple)).exit_code == 1  # key not pinned: not fetched, not verified
    assert invoke("verify", str(simple), "--trusted-keys", str(trusted)).exit_code == 0
    result = invoke("verify", str(complete), "--trusted-keys", str(trusted), "--json")
    assert result.exit_code == 1
    line = json.loads(result.stdout)
    checks = {c["check"]: c for c in line["checks"]}
    assert checks["proof"]["passed"] is True
    assert checks["status"]["passed"] is False and "could not be checked" in checks["status"]["reason"]
    tampered = load(simple)
    tampered["name"] = "Forged"
    assert invoke("verify", str(write(tmp_path / "t.json", tampered)), "--trusted-keys", str(trusted)).exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "neither JSON nor a compact JWT"),
        ("[]", "holds no credential"),
        ("42", "expected a credential"),
    ],
)
def test_verify_unreadable_inputs_exit_2(tmp_path: Path, content: str, message: str) -> None:
    result = invoke("verify", str(write(tmp_path / "bad.json", content)))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_verify_missing_file_and_foreign_url(tmp_path: Path) -> None:
    assert invoke("verify", str(tmp_path / "nope.json")).exit_code == 2
    result = invoke("verify", "https://elsewhere.example/credentials/1")
    assert result.exit_code == 2 and "only URLs of this instance" in result.output
    result = invoke("verify", "http://127.0.0.1:8000/credentials/00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 2 and "no such credential" in result.output


def test_bad_trusted_keys_and_key_files(tmp_path: Path) -> None:
    cred = write(tmp_path / "c.json", sample_credential(issuer_id=Ed25519Key.generate().did_key))
    assert invoke("verify", str(cred), "--trusted-keys", str(write(tmp_path / "t.json", "[1]"))).exit_code == 2
    bad_key = write(tmp_path / "k.json", {"publicKeyMultibase": "z6Mk"})
    result = invoke("sign", str(cred), "--key", str(bad_key))
    assert result.exit_code == 2 and "no private key" in result.output
    mismatched = Ed25519Key.generate()
    other = Ed25519Key.generate()
    wrong = write(
        tmp_path / "w.json",
        {"secretKeyMultibase": mismatched.secret_multibase, "publicKeyMultibase": other.public_multibase},
    )
    assert "does not match" in invoke("sign", str(cred), "--key", str(wrong)).output
    assert invoke("sign", str(cred), "--key", str(write(tmp_path / "x.json", "{"))).exit_code == 2


def test_sign_rejects_bad_dates_schema_and_unknown_terms(tmp_path: Path) -> None:
    keyfile = tmp_path / "k.json"
    invoke("keys", "generate", "--out", str(keyfile))
    did = json.loads(keyfile.read_text())["controller"]
    cred = sample_credential(issuer_id=did)
    path = write(tmp_path / "c.json", cred)
    result = invoke("sign", str(path), "--key", str(keyfile), "--created", "tomorrow")
    assert result.exit_code == 2 and "ISO 8601" in result.output
    no_subject = {k: v for k, v in cred.items() if k != "credentialSubject"}
    result = invoke("sign", str(write(tmp_path / "n.json", no_subject)), "--key", str(keyfile))
    assert result.exit_code == 2 and "Schema" in result.output
    extra = {**cred, "nickname": "x"}
    for fmt in ("di", "jwt"):
        result = invoke("sign", str(write(tmp_path / "e.json", extra)), "--key", str(keyfile), "--format", fmt)
        assert result.exit_code == 2 and "nickname" in result.output
    assert invoke("sign", str(write(tmp_path / "a.json", [1])), "--key", str(keyfile)).exit_code == 2


def test_verify_baked_png_and_svg(tmp_path: Path) -> None:
    import io

    from PIL import Image

    from microcred.vc.baking import bake_png, bake_svg

    key = Ed25519Key.generate()
    keyfile = write(tmp_path / "k.json", {"secretKeyMultibase": key.secret_multibase})
    cred = write(tmp_path / "c.json", sample_credential(issuer_id=key.did_key))
    signed = json.loads(invoke("sign", str(cred), "--key", str(keyfile)).stdout)
    image = io.BytesIO()
    Image.new("RGB", (4, 4)).save(image, format="PNG")
    png_path = tmp_path / "badge.png"
    png_path.write_bytes(bake_png(image.getvalue(), signed))
    svg_path = write(tmp_path / "badge.svg", bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', signed))
    result = invoke("verify", str(png_path), str(svg_path), "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["verified"] for line in result.stdout.splitlines()] == [True, True]
    plain = tmp_path / "plain.png"
    plain.write_bytes(image.getvalue())
    result = invoke("verify", str(plain))
    assert result.exit_code == 2 and "no 'openbadgecredential'" in result.output
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in invoke("verify", str(binary)).output


def test_verify_clr_reports_each_nested_credential(tmp_path: Path) -> None:
    vector = load(EXAMPLES / "clr2-testvector-eddsa-rdfc-2022.json")
    vm = vector["proofOptions"]["verificationMethod"]
    trusted = write(tmp_path / "t.json", {vm: vector["keyPair"]["publicKeyMultibase"]})
    clr = write(tmp_path / "clr.json", vector["signedCredential"])
    result = invoke("verify", str(clr), "--trusted-keys", str(trusted), "--json")
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["nested"][0]["source"] == "credentialSubject.verifiableCredential[0]"
    assert line["nested"][0]["verified"] is True
    table = invoke("verify", str(clr), "--trusted-keys", str(trusted))
    assert table.exit_code == 0 and "verifiableCredential[0] (credential)" in table.stdout

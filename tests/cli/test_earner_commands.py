"""CLI for issue 6 (SQLite and PostgreSQL): awards export in every format (bake -> unbake -> verify), the demo's
ownership data and offer link, earners export / offer / erase."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from microcred.vc.baking import unbake

from .test_domain_commands import run


def test_export_formats_demo_offer_zip_and_erase(cli_env: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    code, out, err = run("demo")
    assert code == 0, err
    assert "openid-credential-offer://?credential_offer_uri=" in out and "did:key:z6Mk" in out
    url = out.strip().splitlines()[-1].split()[-1]
    award_id = url.rsplit("/", 1)[1]
    for fmt in ("png", "svg"):
        target = tmp_path / f"badge.{fmt}"
        code, _out, err = run("awards", "export", award_id, "--format", fmt, "--out", str(target))
        assert code == 0, err
        assert json.loads(unbake(target.read_bytes()))["id"] == url
        code, verified, err = run("verify", str(target))
        assert code == 0, verified + err
    pdf = tmp_path / "certificate.pdf"
    code, _out, err = run("awards", "export", award_id, "--format", "pdf", "--out", str(pdf), "--lang", "fr")
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")

    code, out, err = run("earners", "offer", award_id)
    assert code == 0 and out.startswith("openid-credential-offer://") and "transaction code:" in out
    archive = tmp_path / "amara.zip"
    code, out, err = run("earners", "export", "amara.okafor@learner.example", "--out", str(archive))
    assert code == 0, err
    names = set(zipfile.ZipFile(archive).namelist())
    assert "manifest.json" in names and "profile.json" in names
    profile = json.loads(zipfile.ZipFile(archive).read("profile.json"))
    assert "amara@personal.example" in {e["email"] for e in profile["emails"]}
    assert profile["did"].startswith("did:key:")
    # keep a copy of one of her credentials that verifies now (the demo also gives her revoked/expired ones)
    kept = tmp_path / "kept.json"
    for name in sorted(n for n in names if n.endswith("credential.json")):
        kept.write_bytes(zipfile.ZipFile(archive).read(name))
        if run("verify", str(kept))[0] == 0:
            break
    else:
        raise AssertionError("none of the exported credentials verifies")

    assert run("earners", "erase", "amara.okafor@learner.example")[0] == 2  # needs --yes
    code, out, err = run("earners", "erase", "amara.okafor@learner.example", "--yes")
    assert code == 0 and "award(s) kept" in out, err
    code, out, err = run("verify", str(kept))
    assert code == 0, out + err  # the earner's own copy still verifies
    code, out, err = run("earners", "erase", "amara.okafor@learner.example", "--yes")
    assert code == 2  # no such earner any more (the address is gone)

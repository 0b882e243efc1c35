"""CLI: `transcripts clr|pdf|csv` on the demo and `microcred verify` on the CLR (each nested credential reported),
`pathways list|progress`, exit codes (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.settings import get_settings

_register()
AMARA = "amara.okafor@learner.example"


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_clr_pdf_csv_and_pathways_on_the_demo(cli_env: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    assert run("demo")[0] == 0

    code, out, err = run("transcripts", "clr", AMARA, "--out", str(tmp_path / "clr.json"))
    assert code == 0, err
    clr = json.loads((tmp_path / "clr.json").read_text())
    subject = clr["credentialSubject"]
    names = {c["credentialSubject"]["achievement"]["name"] for c in subject["verifiableCredential"]}
    assert "Digital Hospitality Operations Certificate" in names  # with its three components and her other awards
    count = len(subject["verifiableCredential"])
    assert {a["associationType"] for a in subject["association"]} == {"isParentOf", "isPartOf"}
    code, out, err = run("verify", str(tmp_path / "clr.json"))
    assert code == 0, out + err
    # each credential reported, and (issue 7) the partner endorsement embedded in her food-safety and spreadsheet
    # credentials, each with its own line under its credential
    assert out.count("(credential)") - out.count("(endorsement)") == count and out.count("(endorsement)") == 2

    code, out, err = run("transcripts", "pdf", AMARA, "--out", str(tmp_path / "t.pdf"), "--lang", "fr")
    assert code == 0, err
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "t.pdf").pages)
    flat = "".join(text.split())
    assert "Relevé de micro-attestations" in text and "CYBR-100" in flat and "Fall2026" in flat
    code, out, err = run("transcripts", "csv", AMARA)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["Code"] for r in rows} >= {"HOSP-101", "DATA-110", "CYBR-100"}
    assert "88" in {r["Result"] for r in rows if r["Code"] == "CYBR-100"}

    code, out, err = run("pathways", "progress", "liam.tremblay@learner.example", "--json")
    assert code == 0, err
    [state] = json.loads(out)
    assert (state["completed"], state["required"], state["status"]) == (1, 3, "in_progress")
    code, out, err = run("pathways", "list")
    assert code == 0 and "Digital" in out and "pathway" not in err

    assert run("transcripts", "clr", "nobody@example.org")[0] == 2
    assert run("transcripts", "pdf", AMARA, "--out", str(tmp_path / "x.pdf"), "--lang", "de")[0] == 2

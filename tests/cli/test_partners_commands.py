"""CLI (issue 7) on the demo, SQLite and PostgreSQL: `endorsements list|export|revoke`, `microcred verify` on the
exported EndorsementCredential, `achievements relevance|coverage|occupations|remind|policy`, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from microcred import demo
from microcred.cli import _register, app
from microcred.settings import get_settings

_register()
FOOD = str(demo.demo_id("achievement:food-safety"))
CYBER = str(demo.demo_id("achievement:cyber-awareness"))


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_endorsements_and_relevance_on_the_demo(cli_env: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    assert run("demo")[0] == 0

    code, out, err = run("endorsements", "list", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert sorted(r["state"] for r in rows) == ["current", "current", "expired"]
    food = next(r for r in rows if r["achievement_id"] == FOOD)
    target = tmp_path / "endorsement.json"
    code, out, err = run("endorsements", "export", food["id"], "--out", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["type"] == ["VerifiableCredential", "EndorsementCredential"]
    code, out, err = run("verify", str(target), "--json")
    assert code == 0, out + err
    assert json.loads(out)["verified"] is True

    code, out, err = run("achievements", "relevance", "--json")
    assert code == 0, err
    states = {r["name"]: (r["state"], r["issuable"]) for r in json.loads(out)}
    assert states["Food Safety and Sanitation for Commercial Kitchens"] == ("current", True)
    assert states["Spreadsheet Data Analysis for the Workplace"] == ("due", True)
    assert states["Cyber Security Awareness for Small Business"] == ("lapsed", False)
    code, out, err = run("achievements", "relevance")
    assert code == 0 and "lapsed" in out

    code, out, err = run("achievements", "coverage", FOOD, "--json")
    assert code == 0, err
    [cook] = json.loads(out)
    assert cook["label"] == "cook" and cook["summary"].startswith("covers 1 of the ")
    code, out, err = run("achievements", "occupations", CYBER, "--noc", "2222=bad")
    assert code == 2 and "five digits" in err

    # reminders: spreadsheet analysis is due; a second run sends nothing
    code, out, err = run("achievements", "remind")
    assert code == 0 and out.startswith("1 achievement(s) due"), out + err
    code, out, err = run("achievements", "remind")
    assert code == 0 and out.startswith("0 achievement(s) due"), out + err

    code, out, err = run("endorsements", "revoke", food["id"], "--reason", "Partner withdrew.")
    assert code == 0, err
    code, out, err = run("verify", str(target))
    assert code == 1 and "revoked" in out
    code, out, err = run("endorsements", "revoke", food["id"], "--reason", "again")
    assert code == 2 and "already revoked" in err
    code, out, err = run("achievements", "relevance", "--json")
    assert {r["name"]: r["state"] for r in json.loads(out)}["Food Safety and Sanitation for Commercial Kitchens"] == (
        "lapsed"
    )
    code, out, err = run("achievements", "policy", str(demo.COLLEGE_ID))
    assert code == 0 and json.loads(out)["require_endorsement"] is True
    assert run("endorsements", "export", "not-an-id", "--out", str(tmp_path / "x.json"))[0] == 2

"""CLI: assessments define/show/record/evidence, exit 2 on bad input with nothing written (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import outcome_dicts
from microcred.cli import _register, app
from microcred.settings import get_settings

_register()


@pytest.fixture
def cli_env(isolated_settings: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return isolated_settings


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _draft() -> tuple[str, str]:
    from microcred.catalog import services as catalog
    from microcred.db import make_engine, session_factory, session_scope
    from microcred.earners import services as earners
    from microcred.issuers import services as issuers

    engine = make_engine(get_settings().resolved_database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            org = issuers.create_organisation(session, kind="institution", name="College", country="CA")
            achievement = catalog.create_achievement(
                session,
                issuer_id=org.id,
                name="Food Safety",
                description="d",
                criteria_narrative="c",
                workload_hours=5,
                outcomes=outcome_dicts(),
            )
            earner = earners.create_earner(session, name="Amara", email="amara@example.org")
            return str(achievement.id), str(earner.id)
    finally:
        engine.dispose()


def test_define_record_and_add_evidence(cli_env: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    achievement_id, earner_id = _draft()
    rubrics = tmp_path / "rubrics.json"
    rubrics.write_text(
        json.dumps(
            [
                {"outcome": 1, "score": {"min": 0, "max": 100, "required": 70}},
                {"outcome": 2, "levels": ["Beginning", "Proficient"], "required_level": "Proficient"},
            ]
        )
    )
    code, _, err = run("assessments", "define", achievement_id, "--rubrics", str(rubrics), "--method", "exam")
    assert code == 2 and "missing: outcome 3" in err
    assert json.loads(run("assessments", "show", achievement_id)[1]) is None
    rubrics.write_text(
        json.dumps([*json.loads(rubrics.read_text()), {"outcome": 3, "levels": ["No", "Yes"], "required_level": 2}])
    )
    code, out, err = run(
        "assessments",
        "define",
        achievement_id,
        "--rubrics",
        str(rubrics),
        "--method",
        "practical",
        "--identity-verified",
    )
    assert code == 0, err
    shown = json.loads(run("assessments", "show", achievement_id)[1])
    assert shown["method"] == "practical" and shown["identity_verified"] is True and len(shown["rubrics"]) == 3

    code, out, err = run("assessments", "record", achievement_id, earner_id, "--outcome", "1", "--score", "64")
    assert code == 0 and "NOT passed" in out
    code, out, _ = run("assessments", "record", achievement_id, earner_id, "--outcome", "2", "--level", "Proficient")
    assert code == 0 and "passed" in out
    code, _, err = run("assessments", "record", achievement_id, earner_id, "--outcome", "2", "--score", "3")
    assert code == 2 and "give the level achieved" in err

    evidence = tmp_path / "log.pdf"
    evidence.write_bytes(b"\x7fELF" + b"\x00" * 16)
    code, _, err = run(
        "assessments", "evidence", achievement_id, earner_id, "--visibility", "public", "--file", str(evidence)
    )
    assert code == 2 and "not an allowed type" in err
    evidence.write_bytes(b"%PDF-1.7 log")
    code, out, err = run(
        "assessments",
        "evidence",
        achievement_id,
        earner_id,
        "--visibility",
        "private",
        "--outcome",
        "1",
        "--file",
        str(evidence),
    )
    assert code == 0 and "private, application/pdf" in out, err
    code, _, err = run(
        "assessments", "evidence", achievement_id, earner_id, "--visibility", "secret", "--narrative", "x"
    )
    assert code == 2 and "visibility" in err
    stored = list((cli_env / "evidence").rglob("*"))
    assert len([p for p in stored if p.is_file()]) == 1

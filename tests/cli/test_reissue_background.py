"""`awards reissue --background`, `keys rotate/compromised --reissue` and `jobs status`: the work is queued as
jobs (ids printed), a worker runs it, `jobs status` follows it; the foreground output is unchanged (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.settings import get_settings

_register()

TASKS = ("--import-tasks", "microcred.issuing.tasks", "--import-tasks", "microcred.status.tasks")


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _instance() -> tuple[str, list[uuid.UUID]]:
    """An organisation with a key and two awards, on the CLI's database: (its id, the award ids)."""
    from tests.conftest import outcome_dicts

    from microcred import issuing
    from microcred.catalog import services as catalog
    from microcred.db import make_engine, session_factory, session_scope
    from microcred.earners import services as earners
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    settings = get_settings()
    master = keystore.load_master_key(settings)
    engine = make_engine(settings.resolved_database_url)
    with session_scope(session_factory(engine)) as session:
        org = issuers.create_organisation(session, kind="institution", name="Test College", country="CA")
        issuers.ensure_signing_key(session, org, master_key=master)
        achievement = catalog.create_achievement(
            session, issuer_id=org.id, name="Food Safety", description="Food safety.", criteria_narrative="Pass.",
            workload_hours=20, outcomes=outcome_dicts(), publish=True,
        )  # fmt: skip
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        ids = [
            issuing.issue_award(
                session, achievement_id=achievement.id, earner_id=earner.id, base_url=settings.base_url,
                master_key=master,
            ).id
            for _ in range(2)
        ]  # fmt: skip
        org_id = str(org.id)
    engine.dispose()
    return org_id, ids


def _job_id(out: str) -> int:
    match = re.search(r"queued job (\d+) \(", out)
    assert match, out
    return int(match.group(1))


def test_reissue_in_the_background_and_job_status(cli_env: Path) -> None:
    assert run("init")[0] == 0
    org, _awards = _instance()
    code, out, err = run("keys", "rotate", org)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("new active key ") and "earlier keys retired, still published" in lines[0]
    assert re.fullmatch(r"queued 2 status list re-signing job\(s\): \d+, \d+", lines[1]), out
    assert len(lines) == 2  # no --reissue: nothing else queued
    code, out, _ = run("keys", "export-public", org)
    old_key = re.findall(r'"id": "([0-9a-f-]{36})"', out)[0]

    code, out, err = run("awards", "reissue", "--signed-with", old_key, "--background")
    assert code == 0, err
    job = _job_id(out)
    assert f"`microcred jobs status {job}`" in out and "microcred worker" in out
    code, out, _ = run("jobs", "status", str(job))
    assert code == 0 and out.startswith(f"job {job} (issuing.reissue_signed_with): queued, 0 attempt(s)"), out
    code, out, err = run("worker", "--once", *TASKS)
    assert code == 0 and "3 job attempt(s) run" in out, out + err  # two lists and the re-issue
    code, out, _ = run("jobs", "status", str(job))
    assert code == 0 and out.startswith(f"job {job} (issuing.reissue_signed_with): succeeded, 1 attempt(s)"), out
    # the foreground path, unchanged: nothing left to do
    code, out, _ = run("awards", "reissue", "--signed-with", old_key)
    assert code == 0 and out == f"no award signed with key {old_key} needs re-issuing\n"
    assert run("jobs", "status", "987654")[0] == 2

    code, out, err = run("awards", "reissue", "--all", "--background")
    assert code == 0 and "re-sign every earlier form" in out, err
    resign_job = _job_id(out)
    assert run("worker", "--once", *TASKS)[0] == 0
    assert "succeeded" in run("jobs", "status", str(resign_job))[1]
    assert run("awards", "reissue", "--background")[0] == 2  # neither --all nor --signed-with


def test_compromised_with_reissue_queues_the_reissue(cli_env: Path) -> None:
    assert run("init")[0] == 0
    org, awards = _instance()
    code, out, _ = run("keys", "export-public", org)
    active = re.findall(r'"id": "([0-9a-f-]{36})"', out)[0]
    code, out, err = run("keys", "compromised", org, active, "--since", "2020-01-01T00:00:00Z", "--reissue")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"key {active} marked compromised since 2020-01-01T00:00:00+00:00"
    assert lines[1].startswith("active key: ")
    assert "re-issue what it signed" not in out  # queued instead
    assert re.fullmatch(r"queued 2 status list re-signing job\(s\): \d+, \d+", lines[2]), out
    job = _job_id(lines[3])
    assert f"re-issue the awards signed with key {active}" in lines[3]
    assert run("worker", "--once", *TASKS)[0] == 0
    code, out, _ = run("jobs", "status", str(job))
    assert code == 0 and "succeeded" in out
    code, out, _ = run("awards", "reissue", "--signed-with", active)
    assert out == f"no award signed with key {active} needs re-issuing\n"
    code, out, _ = run("verify", "--json", f"http://127.0.0.1:8000/credentials/{awards[0]}")
    assert code == 1 and "compromised" in out  # the old award stays distrusted (it was replaced)

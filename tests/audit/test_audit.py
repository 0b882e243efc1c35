"""audit: every consequential event is chained in its own transaction; edits, deletions and reordering made
directly in the database are found (services and `microcred audit verify`, SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from microcred import issuing
from microcred.audit import services as audit
from microcred.audit.models import GENESIS_HASH, AuditEntry
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.catalog import services as catalog
from microcred.cli import _register, app
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.issuers import services as issuers
from microcred.settings import get_settings
from support.instance import verifier_for

BASE = "http://127.0.0.1:8000"
_register()


def _story(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    """A little history: an organisation, its key, an achievement, an award and what happens to it."""
    with session_scope(factory) as session, audit.acting_as("tester"):
        org = make_org(session)
        issuers.ensure_signing_key(session, org, master_key=master_key)
        draft = make_achievement(session, org.id, publish=False)
        catalog.add_outcome(
            session,
            draft.id,
            {
                "statement": "Extra",
                "kind": "skill",
                "alignments": [{"target_url": "http://data.europa.eu/esco/skill/x", "target_name": "x"}],
            },
        )
        catalog.publish_achievement(session, draft.id)
        earner = earners.create_earner(session, name="Ada", email="ada@example.org")
        award = issuing.issue_award(
            session, achievement_id=draft.id, earner_id=earner.id, base_url=BASE, master_key=master_key
        )
        award_lifecycle.suspend_award(session, award.id, reason="secret suspension reason")
        award_lifecycle.reinstate_award(session, award.id)
        renewed = issuing.renew_award(session, award.id, base_url=BASE, master_key=master_key)
        award_lifecycle.revoke_award(session, renewed.id, reason="secret revocation reason")
        other = issuing.issue_award(
            session, achievement_id=draft.id, earner_id=earner.id, base_url=BASE, master_key=master_key
        )
        issuers.rotate_signing_key(session, org, master_key=master_key)
        old_key = issuers.list_signing_keys(session, org)[0]
        issuers.compromise_key(
            session, org, str(old_key.id), since=datetime(2020, 1, 1, tzinfo=UTC), master_key=master_key
        )
        issuing.reissue_award(session, other.id, base_url=BASE, master_key=master_key)


def test_events_are_chained_with_actor_and_verify(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    _story(factory, make_org, make_achievement, master_key)
    with factory() as session:
        report = audit.verify_chain(session)
        rows = session.query(AuditEntry).order_by(AuditEntry.seq).all()
        lines = [json.loads(line) for line in audit.export_lines(session)]
    assert report.intact and report.entries == len(rows), report.reason
    actions = [r.action for r in rows]
    for expected in (
        "organisation.created",
        "key.created",
        "achievement.created",
        "achievement.changed",
        "achievement.published",
        "award.issued",
        "award.suspended",
        "award.reinstated",
        "award.renewed",
        "award.revoked",
        "key.rotated",
        "key.compromised",
        "award.reissued",
    ):
        assert expected in actions, expected
    assert {r.actor for r in rows} == {"tester"}
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert [line["seq"] for line in lines] == list(range(1, len(rows) + 1))
    assert lines[-1]["hash"] == rows[-1].hash
    everything = json.dumps(lines)
    assert "secret suspension reason" not in everything and "secret revocation reason" not in everything
    assert "reason_sha256" in everything


def test_a_failed_transaction_leaves_no_audit_entry(
    factory: sessionmaker[Session], make_org: Callable[..., Any]
) -> None:
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        make_org(session)
        raise RuntimeError("boom")
    with factory() as session:
        assert audit.verify_chain(session).entries == 0


def _tamper(engine: Engine, how: str) -> int:
    """Change the log behind the application's back; returns the seq the verifier must name."""
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        if how == "edit":
            conn.execute(text("UPDATE audit_log SET details = :d WHERE seq = 3"), {"d": '{"name":"Someone Else"}'})
            return 3
        if how == "edit-actor":
            conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
            return 2
        if how == "delete":
            conn.execute(text("DELETE FROM audit_log WHERE seq = 4"))
            return 4
        if how == "delete-tail":
            conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
            return int(last)
        if how == "reorder":
            conn.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 2"))
            conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
            conn.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = -1"))
            return 2
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["edit", "edit-actor", "delete", "delete-tail", "reorder"])
def test_direct_database_changes_are_found(
    how: str,
    engine: Engine,
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    _story(factory, make_org, make_achievement, master_key)
    broken = _tamper(engine, how)
    with factory() as session:
        report = audit.verify_chain(session)
    assert not report.intact and report.broken_seq == broken, report
    assert f"entry {broken}" in report.reason


# -- CLI ----------------------------------------------------------------------------------------------
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


def test_cli_audit_verify_and_export(cli_env: Path, tmp_path: Path) -> None:
    """The CLI over a whole demo: verify, export, then a tampered log makes `audit verify` exit 1 naming the entry.
    One tampering here (a reorder, the subtlest); every kind of tampering is found by the service itself in
    test_direct_database_changes_are_found (each CLI run of the demo costs ~18 s)."""
    from microcred.db import make_engine

    how = "reorder"

    assert run("init")[0] == 0 and run("demo")[0] == 0
    code, out, err = run("audit", "verify")
    assert code == 0 and "intact" in out, err
    code, out, err = run("audit", "export", "--out", str(tmp_path / "audit.jsonl"))
    assert code == 0, err
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) > 10 and all(json.loads(line)["hash"] for line in lines)
    assert {json.loads(line)["actor"] for line in lines} == {"demo"}
    code, out, _ = run("audit", "export")
    assert code == 0 and out.splitlines() == lines

    engine = make_engine(get_settings().resolved_database_url)
    try:
        broken = _tamper(engine, how)
    finally:
        engine.dispose()
    code, out, err = run("audit", "verify")
    assert code == 1 and f"entry {broken}" in err, (out, err)


def test_verifier_still_trusts_instance_after_story(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    """After the whole story, the re-issued award (new key) verifies; the revoked renewal does not."""
    _story(factory, make_org, make_achievement, master_key)
    verifier = verifier_for(factory, master_key, BASE)
    with factory() as session:
        results = {
            a.replacement or "original": verifier.verify(award_queries.credential_document(a))
            for a in award_queries.list_awards(session)
        }
    assert results["reissue"].verified, results["reissue"].summary
    assert not results["renewal"].verified and "revoked by the issuer" in results["renewal"].summary
    assert not results["original"].verified and "compromised" in results["original"].summary

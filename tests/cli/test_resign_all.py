"""`microcred awards reissue --all`: credentials stored in microcred's earlier form (private context, two status
entries, no subject id) are signed again in place, in the standard form, with the same ids and status entries;
idempotent and resumable; the old form still verifies in microcred (with a reason) until then (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from microcred import demo
from microcred.cli import _register, app
from microcred.settings import get_settings
from microcred.vc.contexts import CREDENTIALS_V2, MICROCRED_OB_EXTENSIONS, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, ENDORSEMENT_CREDENTIAL_SCHEMA, schema_errors

_register()


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _legacy_award(doc: dict[str, Any], suspension: dict[str, Any]) -> dict[str, Any]:
    """The award as microcred wrote it before: its private context, [revocation, suspension], no subject id."""
    old = {k: v for k, v in doc.items() if k != "proof"}
    old["@context"] = [*old["@context"], MICROCRED_OB_EXTENSIONS]
    old["credentialStatus"] = [old["credentialStatus"], suspension]
    old["credentialSubject"] = {k: v for k, v in old["credentialSubject"].items() if k != "id"}
    achievement = old["credentialSubject"]["achievement"]
    for description in achievement.get("resultDescription", []):
        kinds = [a for a in description.get("alignment", []) if a.get("targetType") == "ext:OutcomeKind"]
        if kinds:
            description["alignment"] = [a for a in description["alignment"] if a not in kinds]
            description["outcomeKind"] = kinds[0]["targetCode"]
    return old


def _legacy_endorsement(doc: dict[str, Any]) -> dict[str, Any]:
    from microcred.vc.endorsement import read_endorsement_comment

    old = {k: v for k, v in doc.items() if k != "proof"}
    old["@context"] = [*old["@context"], MICROCRED_OB_EXTENSIONS]
    subject = dict(old["credentialSubject"])
    answers = read_endorsement_comment(subject["endorsementComment"])
    subject.update(
        endorsementComment=answers.comment,
        competencyInDemand=True,
        labourMarketRationale=answers.rationale,
        reflectsJobPerformance=True,
        jobPerformanceComment=answers.job_performance_comment,
    )
    old["credentialSubject"] = subject
    return old


def _downgrade_to_legacy_form() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Rewrite every stored award and endorsement in the earlier form, signed as microcred signed them then."""
    from microcred.awards.models import Award
    from microcred.catalog import services as catalog
    from microcred.db import make_engine, session_factory
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.partners.models import Endorsement
    from microcred.status import services as status
    from microcred.vc import sign_data_integrity

    settings = get_settings()
    master = keystore.load_master_key(settings)
    engine = make_engine(settings.resolved_database_url)
    awards_before: dict[str, dict[str, Any]] = {}
    endorsements_before: dict[str, dict[str, Any]] = {}
    with session_factory(engine)() as session:
        for row in session.query(Endorsement).all():
            org = issuers.get_organisation(session, row.partner_id)
            material = issuers.signing_material(session, org, base_url=settings.base_url, master_key=master)
            legacy = _legacy_endorsement(json.loads(row.credential_json))
            signed = sign_data_integrity(legacy, material.key, material.verification_method)
            row.credential_json = json.dumps(signed)
            endorsements_before[str(row.id)] = signed
        legacy_endorsements = {doc["id"]: doc for doc in endorsements_before.values()}
        for award in session.query(Award).all():
            doc = json.loads(award.credential_json)
            suspension = next(e for e in status.entries_for_award(session, award.id) if e.purpose == "suspension")
            legacy = _legacy_award(doc, status.entry_document(suspension, settings.base_url))
            achievement = legacy["credentialSubject"]["achievement"]
            if achievement.get("endorsement"):
                achievement["endorsement"] = [legacy_endorsements[e["id"]] for e in achievement["endorsement"]]
            org = issuers.get_organisation(session, catalog.get_achievement(session, award.achievement_id).issuer_id)
            material = issuers.signing_material(session, org, base_url=settings.base_url, master_key=master)
            signed = sign_data_integrity(legacy, material.key, material.verification_method)
            award.credential_json = json.dumps(signed)
            awards_before[str(award.id)] = signed
        session.commit()
    engine.dispose()
    return awards_before, endorsements_before


def _stored() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    from microcred.awards.models import Award
    from microcred.db import make_engine, session_factory
    from microcred.partners.models import Endorsement

    engine = make_engine(get_settings().resolved_database_url)
    with session_factory(engine)() as session:
        awards = {str(a.id): json.loads(a.credential_json) for a in session.query(Award).all()}
        endorsements = {str(e.id): json.loads(e.credential_json) for e in session.query(Endorsement).all()}
    engine.dispose()
    return awards, endorsements


def _verify(tmp_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(doc))
    code, out, _err = run("verify", str(path), "--json")
    result: dict[str, Any] = json.loads(out)
    result["exit_code"] = code
    return result


def test_reissue_all_resigns_the_earlier_form_in_place(cli_env: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0 and run("demo")[0] == 0
    awards_before, endorsements_before = _downgrade_to_legacy_form()
    assert len(awards_before) >= 10 and len(endorsements_before) >= 3

    # the earlier form still verifies here, with a reason a person can act on
    active = next(doc for doc in awards_before.values() if _verify(tmp_path, doc)["exit_code"] == 0)
    checks = {c["check"]: c for c in _verify(tmp_path, active)["checks"]}
    assert "earlier form" in checks["context"]["reason"] and "re-issue" in checks["context"]["reason"]

    assert run("awards", "reissue")[0] == 2  # neither --all nor --signed-with
    code, out, err = run("awards", "reissue", "--all")
    assert code == 0, out + err
    assert f"re-signed {len(awards_before)} award(s) and {len(endorsements_before)} endorsement(s)" in out

    awards_after, endorsements_after = _stored()
    assert set(awards_after) == set(awards_before) and set(endorsements_after) == set(endorsements_before)
    for award_id, doc in awards_after.items():
        old = awards_before[award_id]
        assert doc["id"] == old["id"] and doc["validFrom"] == old["validFrom"]
        assert doc.get("validUntil") == old.get("validUntil") and doc["awardedDate"] == old["awardedDate"]
        assert doc["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]
        assert doc["credentialStatus"] == old["credentialStatus"][0]  # the same revocation entry
        assert doc["credentialSubject"]["id"].startswith(("urn:uuid:", "did:"))
        assert schema_errors(doc, ACHIEVEMENT_CREDENTIAL_SCHEMA) == [], award_id
        for embedded in doc["credentialSubject"]["achievement"].get("endorsement", []):
            assert MICROCRED_OB_EXTENSIONS not in embedded["@context"]
    for endorsement_id, doc in endorsements_after.items():
        old = endorsements_before[endorsement_id]
        assert doc["id"] == old["id"] and doc["credentialStatus"] == old["credentialStatus"]
        assert MICROCRED_OB_EXTENSIONS not in doc["@context"]
        assert schema_errors(doc, ENDORSEMENT_CREDENTIAL_SCHEMA) == []
        assert old["credentialSubject"]["labourMarketRationale"] in doc["credentialSubject"]["endorsementComment"]

    # every award verifies as before (the demo's expired, revoked and suspended ones fail as before)
    for award_id, doc in awards_after.items():
        before, after = _verify(tmp_path, awards_before[award_id]), _verify(tmp_path, doc)
        assert before["verified"] == after["verified"], award_id
        failed_before = sorted(c["check"] for c in before["checks"] if not c["passed"])
        failed_after = sorted(c["check"] for c in after["checks"] if not c["passed"])
        assert failed_before == failed_after, (award_id, before["checks"], after["checks"])
    suspended = str(demo.demo_id("award:suspended:liam:spreadsheet-analysis"))
    reasons = [c["reason"] for c in _verify(tmp_path, awards_after[suspended])["checks"] if not c["passed"]]
    assert "suspended by the issuer" in reasons

    # idempotent: a second run finds nothing to do and changes nothing
    code, out, _ = run("awards", "reissue", "--all")
    assert code == 0 and "nothing to re-sign" in out
    assert _stored() == (awards_after, endorsements_after)

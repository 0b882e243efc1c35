"""The verification page model, over credentials that did not come from this instance (no database)."""

from __future__ import annotations

from typing import Any

from microcred.vc.verifier import CheckResult
from microcred.web.document_fields import format_date, humanize, safe_url
from microcred.web.presenters import present


def _foreign() -> dict[str, Any]:
    return {
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": {
            "id": "https://uni.example/issuer",
            "name": {"en": "Example University"},
            "legalName": "The Example University Corporation",
            "address": {"addressCountry": "Canada", "addressRegion": "Quebec"},
            "url": "javascript:alert(1)",
        },
        "issuanceDate": "2020-05-01",
        "expirationDate": "2030-05-01T12:30:00+02:00",
        "credentialSubject": [
            {
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "hashed": False,
                        "identityHash": "student-42",
                        "identityType": "studentId",
                    }
                ],
                "narrative": "Completed with distinction.",
                "result": [{"type": ["Result"], "status": "Completed"}, "junk"],
                "achievement": {
                    "name": "Data Literacy",
                    "achievementType": "ext:DataBadge",
                    "criteria": {"id": "https://uni.example/criteria", "narrative": "Pass the exam."},
                    "creditsAvailable": 2,
                    "alignment": [
                        {"targetName": "Framework level 4", "targetUrl": "https://framework.example/4"},
                        {"targetCode": "X1"},
                        "junk",
                    ],
                    "learningOutcome": [
                        "Read a chart.",
                        {
                            "statement": "Clean a dataset.",
                            "kind": "ext:Skill",
                            "alignment": [
                                {
                                    "targetName": "clean data",
                                    "targetUrl": "https://esco.example/clean",
                                    "targetFramework": "ESCO",
                                    "targetCode": "S1",
                                }
                            ],
                        },
                        {"name": "Value open data.", "outcomeKind": "attitude"},
                        {"nothing": True},
                        7,
                    ],
                },
            }
        ],
        "evidence": [{"name": "Exam", "id": "data:text/plain,hi"}, "junk"],
    }


def test_foreign_credential_is_presented_defensively() -> None:
    checks = [CheckResult("proof", False, "signature does not match"), CheckResult("schema", True, "ok")]
    view = present(_foreign(), False, checks, "di")
    assert not view.verified and [c.label for c in view.failures] == ["Signature (proof)"]
    assert view.issuer.name == "Example University"
    assert view.issuer.legal_name == "The Example University Corporation"
    assert (view.issuer.country, view.issuer.region) == ("Canada", "Quebec")
    assert view.issuer.url is None  # never a javascript: link
    assert view.achievement.type == "Data badge"
    assert view.achievement.credits == "2"
    assert view.achievement.criteria_url == "https://uni.example/criteria"
    assert [a.label for a in view.achievement.alignments] == ["Framework level 4", "X1"]
    assert [(o.text, o.kind) for o in view.outcomes] == [
        ("Read a chart.", None),
        ("Clean a dataset.", "skill"),
        ("Value open data.", "attitude"),
    ]
    assert view.outcomes[1].alignments[0].detail == "ESCO · S1"
    assert view.recipient == "Student id: student-42"
    assert view.results == ["Completed"]
    assert view.narrative == "Completed with distinction."
    assert view.evidence[0].name == "Exam" and view.evidence[0].url is None
    assert view.issued == "1 May 2020" and view.valid_until == "1 May 2030, 10:30 UTC"


def test_minimal_and_odd_documents() -> None:
    empty = present("not a dict", False, [])
    assert empty.title == "Credential" and empty.issuer.name is None and empty.outcomes == []
    by_url = present({"issuer": "https://issuer.example", "credentialSubject": {"id": "did:example:1"}}, True, [])
    assert by_url.issuer.url == "https://issuer.example" and by_url.recipient == "did:example:1"
    hashed = present(
        {"credentialSubject": {"identifier": [{"hashed": True, "identityType": "emailAddress"}]}}, True, []
    )
    assert hashed.recipient == "Email address (hashed, not shown)"
    jwt_payload = present({"vc": {"name": "Old style", "issuer": 5}}, True, [])
    assert jwt_payload.title == "Old style" and jwt_payload.issuer.id is None
    outcomes = present(
        {"credentialSubject": {"achievement": {"resultDescription": [{"name": "Do X", "resultType": "ext:skill"}]}}},
        True,
        [],
    )
    assert [(o.text, o.kind) for o in outcomes.outcomes] == [("Do X", "skill")]


def test_helpers() -> None:
    assert safe_url(" https://a.example/x ") == "https://a.example/x"
    assert safe_url("data:text/html,<script>") is None and safe_url(None) is None
    assert format_date("yesterday") == "yesterday" and format_date(None) is None
    assert humanize("ceasn:Competency") == "Competency" and humanize("MicroCredential") == "Micro credential"


def test_dates_are_shown_as_given_even_in_year_one() -> None:
    from microcred.web.document_fields import format_date

    assert format_date("0001-01-01T00:00:00Z") == "1 January 0001, 00:00 UTC"
    assert format_date("2026-03-05T10:07:00Z") == "5 March 2026, 10:07 UTC"
    assert format_date("2026-03-05") == "5 March 2026"

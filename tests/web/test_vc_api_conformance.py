"""VC-API to the letter (issue 11, point 5), on SQLite and PostgreSQL: what the W3C vc-di-eddsa, data-integrity and
vc-api issuer/verifier test suites send to POST /credentials/issue and POST /credentials/verify, and the answers
the specs require. Every refusal is a 4xx with a reason a developer can act on, and writes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from microcred.vc import CheckResult, VerificationResult
from microcred.web import vc_api

from .conftest import Issued

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
DI_V2 = "https://w3id.org/security/data-integrity/v2"


def _org_did(client: TestClient, auth: dict[str, str], issued: Issued) -> str:
    did: str = client.get(f"/api/organisations/{issued.org_id}", headers=auth).json()["did"]
    return did


def _valid_vc(issuer: str) -> dict[str, Any]:
    """The vc-di-eddsa suite's credential (tests/vc-generator/validVc.js): VCDM 2.0, no validFrom, no name."""
    return {
        "@context": [V2],
        "id": "urn:uuid:86294362-4254-4f36-854f-3952fe42555d",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b", "name": "ExampleClaim"},
    }


def _vc_1_1(issuer: str) -> dict[str, Any]:
    """A VCDM 1.1 credential: only the credentials/v1 context, issuanceDate."""
    return {
        "@context": [V1],
        "id": "urn:uuid:5d1f0c0e-2b8a-4a57-9d6c-0e6f7a8b9c01",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "issuanceDate": "2020-03-16T22:37:26.544Z",
        "credentialSubject": {"id": "did:example:credentialSubject"},
    }


def _row_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        names = inspect(session.get_bind()).get_table_names()
        return {name: session.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}


def _issue(client: TestClient, auth: dict[str, str], credential: Any, options: Any = None) -> Any:
    body: dict[str, Any] = {"credential": credential}
    if options is not None:
        body["options"] = options
    return client.post("/credentials/issue", json=body, headers=auth)


def _verify(client: TestClient, credential: Any, options: Any = None) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options is not None:
        body["options"] = options
    return client.post("/credentials/verify", json=body)


# -- issuing --------------------------------------------------------------------------------------------------
def test_vcdm_1_1_credential_is_signed_with_the_data_integrity_context_and_verifies(
    client: TestClient, issued: Issued, auth: dict[str, str]
) -> None:
    credential = _vc_1_1(_org_did(client, auth, issued))
    response = _issue(client, auth, credential, {})
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["@context"] == [V1, DI_V2]  # appended: credentials/v1 does not define the proof terms
    proof = signed["proof"][0]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert {k: v for k, v in signed.items() if k not in ("proof", "@context")} == {
        k: v for k, v in credential.items() if k != "@context"
    }
    verified = _verify(client, signed, {"checks": ["proof"]})
    assert verified.status_code == 200, verified.text
    validity = next(c for c in verified.json()["checks"] if c["check"] == "validity")
    assert validity["passed"] and credential["issuanceDate"] in validity["reason"]  # issuanceDate = validity start
    tampered = copy.deepcopy(signed)
    tampered["issuanceDate"] = "2021-03-16T22:37:26Z"
    assert _verify(client, tampered).status_code == 400


def test_vcdm_2_0_credential_without_valid_from_is_signed_unchanged_and_verifies(
    client: TestClient, issued: Issued, auth: dict[str, str]
) -> None:
    credential = _valid_vc(_org_did(client, auth, issued))
    response = _issue(client, auth, credential)
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["@context"] == [V2]  # credentials/v2 defines DataIntegrityProof: nothing added
    verified = _verify(client, signed, {"checks": ["proof"]})  # what the vc-di-eddsa suite sends
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["verified"] is True and body["errors"] == []
    validity = next(c for c in body["checks"] if c["check"] == "validity")
    assert validity == {
        "check": "validity",
        "passed": True,
        "reason": "no validity period is stated (validFrom and validUntil are optional)",
    }
    until = {**credential, "id": "urn:uuid:1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "validUntil": "2099-01-01T00:00:00Z"}
    signed_until = _issue(client, auth, until).json()["verifiableCredential"]
    assert _verify(client, signed_until).json()["verified"] is True  # validUntil alone: no validFrom needed


def test_vcdm_1_1_credential_with_an_inline_context_is_signed_but_not_verified_here(
    client: TestClient, issued: Issued, auth: dict[str, str]
) -> None:
    """The data-integrity suite's v1.1 input (inputs/credentials/v1.1/unsecured.json) defines `name` inline."""
    credential = _vc_1_1(_org_did(client, auth, issued))
    credential["@context"] = [V1, {"@context": {"name": "https://schema.org/name"}}]
    credential["credentialSubject"]["name"] = "Example"
    response = _issue(client, auth, credential)
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["@context"][-1] == DI_V2
    refused = _verify(client, signed)
    assert refused.status_code == 400
    body = refused.json()
    assert body["verified"] is False
    assert any("inline @context objects are not accepted" in e for e in body["errors"]), body["errors"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"credentialSubject": None}, "credentialSubject is required"),
        ({"credentialSubject": "did:example:someone"}, "credentialSubject must be an object"),
        ({"credentialSubject": []}, "credentialSubject must be an object"),
        ({"credentialSubject": [None, True, 4]}, "credentialSubject must be an object"),
        ({"credentialSubject": {}}, "must make at least one claim"),
        ({"@context": None}, "@context is required"),
        ({"@context": 4}, "@context must be an array"),
        ({"@context": [{"foo": True}, 4, False, None]}, "the first @context must be"),
        ({"@context": [V2, 4]}, "@context[1] must be a context URL or a context object"),
        ({"type": None}, "credential.type is required"),
        ({"type": 4}, "type must be a string or an array of strings"),
        ({"type": [2, None, {"foo": True}, False]}, "type must be a string or an array of strings"),
        ({"type": ["Credential"]}, "type must include VerifiableCredential"),
        ({"issuer": 4}, "credential.issuer (or issuer.id) is required"),
        ({"issuer": None}, "credential.issuer (or issuer.id) is required"),
        ({"issuanceDate": "2020-03-16T22:37:26Z"}, "issuanceDate: not a VCDM 2.0 (credentials/v2) property"),
        ({"validFrom": "2020-03-16"}, "validFrom must be an XML Schema dateTime with a time zone"),
        ({"validUntil": "tomorrow"}, "validUntil must be an XML Schema dateTime with a time zone"),
        ({"proof": {"type": "DataIntegrityProof"}}, "already has a proof"),
    ],
)
def test_unsignable_credentials_are_refused_with_a_reason_and_nothing_is_written(
    client: TestClient,
    issued: Issued,
    auth: dict[str, str],
    factory: sessionmaker[Session],
    change: dict[str, Any],
    reason: str,
) -> None:
    credential = _valid_vc(_org_did(client, auth, issued))
    for key, value in change.items():
        if value is None:
            credential.pop(key, None)
        else:
            credential[key] = value
    before = _row_counts(factory)
    response = _issue(client, auth, credential)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert _row_counts(factory) == before


def test_vcdm_1_1_refusals(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    did = _org_did(client, auth, issued)
    no_date = _vc_1_1(did)
    del no_date["issuanceDate"]
    response = _issue(client, auth, no_date)
    assert response.status_code == 400 and "needs issuanceDate" in response.json()["error"]
    mixed = {**_vc_1_1(did), "validFrom": "2020-03-16T22:37:26Z"}
    response = _issue(client, auth, mixed)
    assert response.status_code == 400
    assert "validFrom: not a VCDM 1.1 (credentials/v1) property; use issuanceDate / expirationDate" in (
        response.json()["error"]
    )


def test_issue_options(client: TestClient, issued: Issued, auth: dict[str, str], factory: Any) -> None:
    credential = _valid_vc(_org_did(client, auth, issued))
    created = _issue(client, auth, credential, {"created": "2024-05-01T10:00:00Z", "credentialId": "urn:x:1"})
    assert created.status_code == 201, created.text
    assert created.json()["verifiableCredential"]["proof"][0]["created"] == "2024-05-01T10:00:00Z"
    assert _issue(client, auth, credential, {"mandatoryPointers": []}).status_code == 201
    before = _row_counts(factory)
    for options, reason in (
        ({"x": 1, "proofType": "Ed25519Signature2020"}, "unsupported option(s): proofType, x"),
        ({"created": "yesterday"}, "options.created must be an XML Schema dateTime"),
        ({"created": "2024-05-01T10:00:00"}, "has no time zone"),
        ({"mandatoryPointers": ["/issuer"]}, "selective-disclosure cryptosuites"),
        ({"mandatoryPointers": "/issuer"}, "mandatoryPointers must be a list"),
        ({"credentialId": 7}, "credentialId must be a non-empty string"),
    ):
        response = _issue(client, auth, credential, options)
        assert response.status_code == 400, (options, response.text)
        assert reason in response.json()["error"], (options, response.json())
    not_an_object = _issue(client, auth, credential, ["created"])
    assert not_an_object.status_code == 422 and "options" in not_an_object.json()["error"]
    assert _row_counts(factory) == before


def test_issue_keeps_its_bearer_token(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    credential = _vc_1_1(_org_did(client, auth, issued))
    assert client.post("/credentials/issue", json={"credential": credential}).status_code == 401


# -- verifying ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind"),
    [("json", "a string"), (42, "a number"), (None, "null"), ([], "an array"), (True, "a boolean")],
)
def test_verifiable_credential_that_is_not_an_object_is_400_with_a_reason(
    client: TestClient, issued: Issued, value: Any, kind: str
) -> None:
    if value == "json":  # the credential itself, serialized: verified before, refused now
        value = json.dumps(client.get(issued.credential_url.replace("https://credentials.example.edu", "")).json())
    response = _verify(client, value)
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert body["error"].startswith("verifiableCredential must be a JSON object")
    assert f"got {kind}" in body["error"] and body["errors"] == [f"request: {body['error']}"]


def test_verify_options(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    signed = _issue(client, auth, _valid_vc(_org_did(client, auth, issued))).json()["verifiableCredential"]
    assert _verify(client, signed, {"checks": ["proof", "credentialStatus"]}).status_code == 200
    assert _verify(client, signed, {"expectedProofPurpose": "assertionMethod"}).status_code == 200
    for options, reason in (
        ({"nonsense": 1, "checks": ["proof"]}, "unsupported option(s): nonsense"),
        ({"checks": ["proof", "telepathy"]}, "does not perform: telepathy"),
        ({"checks": "proof"}, "options.checks must be a list"),
        ({"domain": 5}, "options.domain must be a non-empty string"),
        ({"returnCredential": "yes"}, "options.returnCredential must be true or false"),
    ):
        response = _verify(client, signed, options)
        assert response.status_code == 400 and reason in response.json()["error"], (options, response.json())
    # the data-integrity suite's verifier tests: each of these MUST be an error
    for suite_options, check in (
        ({"checks": ["proof"], "expectedProofPurpose": "authentication"}, "proof purpose"),
        ({"checks": ["proof"], "domain": "domain.example"}, "domain"),
        ({"checks": ["proof"], "domain": "domain.example", "challenge": "1235abcd6789"}, "challenge"),
    ):
        response = _verify(client, signed, suite_options)
        assert response.status_code == 400, suite_options
        failed = [c for c in response.json()["checks"] if not c["passed"]]
        assert check in [c["check"] for c in failed], failed
    full = _verify(client, signed, {"returnCredential": True, "returnProblemDetails": True, "returnResults": True})
    body = full.json()
    assert full.status_code == 200 and body["credential"] == signed and body["problemDetails"] == []
    assert body["results"]["proof"] == [{"verified": True, "input": signed["proof"][0]}]
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["name"] = "Someone else"
    failed = _verify(client, tampered, {"returnProblemDetails": True}).json()
    assert failed["problemDetails"][0]["type"] == "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR"
    assert failed["problemDetails"][0]["title"] == "proof" and failed["problemDetails"][0]["detail"]


def test_proof_failures_the_suites_send_are_400(client: TestClient, issued: Issued, auth: dict[str, str]) -> None:
    signed = _issue(client, auth, _valid_vc(_org_did(client, auth, issued))).json()["verifiableCredential"]
    proof = signed["proof"][0]
    variants: list[Any] = [
        {k: v for k, v in signed.items() if k != "proof"},
        {**signed, "proof": None},
        {**signed, "proof": "string"},
        {**signed, "proof": [{k: v for k, v in proof.items() if k != "type"}]},
        {**signed, "proof": [{k: v for k, v in proof.items() if k != "proofValue"}]},
        {**signed, "proof": [{**proof, "proofValue": proof["proofValue"][1:]}]},  # no multibase header
        {**signed, "proof": [{**proof, "cryptosuite": "unknown-cryptosuite-2017"}]},
        {**signed, "proof": [{**proof, "created": "invalidDate"}]},
        {**signed, "proof": [{**proof, "created": proof["created"].rstrip("Z")}]},  # no offset
        {k: v for k, v in signed.items() if k != "credentialSubject"},
        {**signed, "credentialSubject": "string"},
    ]
    for variant in variants:
        response = _verify(client, variant, {"checks": ["proof"]})
        assert response.status_code == 400, variant
        assert response.json()["verified"] is False and response.json()["errors"]


def test_enveloped_credentials(client: TestClient, issued: Issued) -> None:
    path = issued.credential_url.replace("https://credentials.example.edu", "")
    token = client.get(path, params={"format": "jwt"}).text
    envelope = {"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt," + token}
    assert _verify(client, envelope).json()["verified"] is True
    for ident, reason in (
        ("data:application/vc+sd-jwt," + token, "media type 'application/vc+sd-jwt' is not supported"),
        ("https://example.org/credential", "needs an id of the form data:application/vc+jwt"),
        ("data:application/vc+jwt;base64," + token, "not base64-encoded"),
    ):
        response = _verify(client, {**envelope, "id": ident})
        assert response.status_code == 400 and reason in response.json()["error"], response.json()
    with_domain = _verify(client, envelope, {"domain": "domain.example"}).json()
    assert with_domain["verified"] is False
    assert "a VC-JWT carries no domain" in " ".join(with_domain["errors"])


def test_domain_and_challenge_match_the_proof() -> None:
    """vc-data-integrity §4.4 step 8 (no database): options.domain / options.challenge against the proof's."""
    proof = {"proofPurpose": "authentication", "domain": ["a.example", "b.example"], "challenge": "c1"}
    credential = {"proof": [proof]}
    result = VerificationResult(True, (CheckResult("proof", True, "signed"),), credential, "di")
    matched = vc_api.apply_options(result, vc_api.VerifyOptions(domain="b.example", challenge="c1"))
    assert matched.verified and [c.check for c in matched.checks] == ["proof", "domain", "challenge"]
    wrong = vc_api.apply_options(result, vc_api.VerifyOptions(challenge="other"))
    assert not wrong.verified and "does not match options.challenge 'other'" in wrong.checks[-1].reason
    purpose = vc_api.apply_options(result, vc_api.VerifyOptions(expected_proof_purpose="authentication"))
    assert not purpose.verified and "assertionMethod proofs" in purpose.checks[-1].reason

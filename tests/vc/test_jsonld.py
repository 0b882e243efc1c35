"""Safe mode, the offline loader, and the differential test of the fast canonicalization against pyld."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from microcred.vc import (
    ContextRegistry,
    Ed25519Key,
    JsonLdSafeModeError,
    UnknownContextError,
    VCError,
    jsonld,
    sign_data_integrity,
)
from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.errors import JsonLdError
from support.credentials import assessed_credential, sample_credential, signed_sample, transcript_credential
from support.vectors import EXAMPLES, load

SAMPLES = sorted(p.name for p in EXAMPLES.glob("*.json") if not p.name.endswith("legacy-vc1-ed25519signature2020.json"))


MICROCRED_VOCAB = "https://microcred.org/ns/ob-extensions#"


def endorsement_credential(key: Ed25519Key) -> dict[str, Any]:
    """A partner's EndorsementCredential with the two answers in its endorsementComment (standard terms only)."""
    from datetime import UTC, datetime

    from microcred.vc.endorsement import build_endorsement_credential, endorsement_comment
    from microcred.vc.ob import IssuerProfile

    return build_endorsement_credential(
        credential_id="https://example.ca/endorsements/1",
        endorser=IssuerProfile(id=key.did_key, name="Great Lakes Hospitality Group"),
        endorsed_id="https://example.ca/achievements/1",
        name="Endorsement of Food Safety by Great Lakes Hospitality Group",
        valid_from=datetime(2026, 3, 1, tzinfo=UTC),
        comment=endorsement_comment(
            "We hire graduates of this micro-credential.",
            "1,200 openings in Ontario ask for it.",
            "The practical mirrors a real shift.",
        ),
        credential_status={
            "id": "https://example.ca/status/1#42",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "42",
            "statusListCredential": "https://example.ca/status/1",
        },
    )


def _documents() -> list[tuple[str, dict[str, Any]]]:
    key = Ed25519Key.from_seed(bytes(range(32)))
    docs: list[tuple[str, dict[str, Any]]] = [
        ("builder", sample_credential(issuer_id=key.did_key)),
        ("builder-signed", signed_sample(key)),
        ("builder-fr", sample_credential(issuer_id=key.did_key, language="fr")),
        ("builder-assessed-extension", assessed_credential(issuer_id=key.did_key)),
        ("builder-transcript-extension", transcript_credential(issuer_id=key.did_key)),
        (
            "builder-transcript-percent-no-outcomes",
            transcript_credential(issuer_id=key.did_key, grading_scheme="percent", result="87.5", with_outcomes=False),
        ),
        (
            "builder-transcript-pass",
            transcript_credential(issuer_id=key.did_key, grading_scheme="pass_fail", result="Pass"),
        ),
    ]
    docs.append(("builder-endorsement-extension", endorsement_credential(key)))
    docs.append(
        (
            "builder-endorsement-signed",
            sign_data_integrity(endorsement_credential(key), key, key.did_key_verification_method),
        )
    )
    for name in SAMPLES:
        data = load(EXAMPLES / name)
        for field in ("unsignedCredential", "signedCredential"):
            if field in data:
                docs.append((f"{name}:{field}", data[field]))
        if "@context" in data:
            docs.append((name, data))
    return docs


@pytest.mark.parametrize(("name", "document"), _documents(), ids=[n for n, _ in _documents()])
def test_fast_canonicalization_equals_pyld_reference(name: str, document: dict[str, Any]) -> None:
    assert jsonld.canonicalize(document) == jsonld.canonicalize_reference(document)


def test_repeated_canonicalization_is_stable() -> None:
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    first = jsonld.canonicalize(doc)
    for _ in range(5):
        assert jsonld.canonicalize(copy.deepcopy(doc)) == first


@pytest.mark.parametrize(
    "path",
    [
        ("foo",),
        ("credentialSubject", "foo"),
        ("credentialSubject", "achievement", "inventedField"),
        ("issuer", "nickname"),
    ],
)
def test_undefined_property_is_an_error_not_dropped(path: tuple[str, ...]) -> None:
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "added after signing"
    with pytest.raises(JsonLdSafeModeError, match=path[-1]):
        jsonld.canonicalize(doc)
    with pytest.raises(JsonLdSafeModeError):
        jsonld.canonicalize_reference(doc) if False else jsonld.expand(doc, cached=False)


def test_undefined_type_is_an_error() -> None:
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    doc["credentialSubject"]["type"] = ["AchievementSubject", "MadeUpType"]
    with pytest.raises(JsonLdSafeModeError, match="MadeUpType"):
        jsonld.canonicalize(doc)


def test_relative_id_is_an_error() -> None:
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    doc["id"] = "credentials/1"
    with pytest.raises(JsonLdSafeModeError, match="credentials/1"):
        jsonld.canonicalize(doc)


def test_unknown_context_is_named_and_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    doc["@context"].append("https://evil.example/context.jsonld")
    with pytest.raises(UnknownContextError) as caught:
        jsonld.canonicalize(doc)
    assert caught.value.url == "https://evil.example/context.jsonld"
    with pytest.raises(UnknownContextError):
        jsonld.canonicalize_reference(doc)


def test_scoped_remote_context_inside_document_is_not_fetched() -> None:
    doc = sample_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    doc["credentialSubject"]["@context"] = "https://evil.example/inner.jsonld"
    with pytest.raises(VCError, match=r"evil\.example"):
        jsonld.canonicalize(doc)


def test_missing_context_and_invalid_json_ld() -> None:
    with pytest.raises(JsonLdError):
        jsonld.canonicalize({"type": "VerifiableCredential"})
    with pytest.raises(JsonLdError):
        jsonld.canonicalize({"@context": ["https://www.w3.org/ns/credentials/v2"], "@id": 5})


def test_extra_context_dir_and_examples_vocab(tmp_path: Any) -> None:
    registry = ContextRegistry.default()
    assert "https://www.w3.org/ns/credentials/examples/v2" not in registry
    (tmp_path / "index.json").write_text('{"https://x.example/ctx": "ctx.json"}')
    (tmp_path / "ctx.json").write_text('{"@context": {"nick": "https://x.example/#nick"}}')
    extended = registry.with_extra_dir(tmp_path)
    doc = {"@context": ["https://x.example/ctx"], "@id": "urn:x", "nick": "n"}
    assert "https://x.example/#nick" in jsonld.canonicalize(doc, extended)
    with pytest.raises(VCError, match=r"index\.json"):
        registry.with_extra_dir(tmp_path / "missing")
    (tmp_path / "index.json").write_text("[1]")
    with pytest.raises(VCError):
        registry.with_extra_dir(tmp_path)


def test_pyoxigraph_alone_reproduces_the_ob_vector_with_inlined_contexts() -> None:
    """The measurement behind the fast path's design: pyoxigraph's own JSON-LD parser, contexts inlined."""
    import json

    import pyoxigraph as ox

    vector = load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")
    registry = ContextRegistry.default()
    document = copy.deepcopy(vector["unsignedCredential"])
    document["@context"] = [registry.get(url)["@context"] for url in document["@context"]]
    dataset = ox.Dataset(ox.parse(json.dumps(document), ox.RdfFormat.JSON_LD))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = sorted(line for line in ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode().split("\n") if line)
    assert "".join(line + "\n" for line in lines) == vector["documentCanonicalNQuads"]


def test_outcome_and_assessment_facts_use_only_standard_terms_and_an_unknown_one_is_refused() -> None:
    doc = assessed_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    assert doc["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]
    nquads = jsonld.canonicalize(doc)
    assert MICROCRED_VOCAB not in nquads and "issuer-dependent" not in nquads
    # the outcome kind is an ext:OutcomeKind alignment of its ResultDescription; the assessment an Evidence entry
    assert '"ext:OutcomeKind"' in nquads and '"https://microcred.org/ns/outcome-kind/skill"^^' in nquads
    assert '"Summative assessment"' in nquads and "Learning outcome: " in nquads
    doc["credentialSubject"]["achievement"]["resultDescription"][0]["outcomeLevel"] = "made up"
    with pytest.raises(JsonLdSafeModeError, match="outcomeLevel"):
        jsonld.canonicalize(doc)


TRANSCRIPT_TYPES = (
    "ext:CreditUnit",
    "ext:NotionalWorkload",
    "ext:EQFLevel",
    "ext:QualificationLevel",
    "ext:FormOfParticipation",
    "ext:QualityAssurance",
    "ext:AwardingBody",
    "ext:Prerequisite",
    "ext:AwardRoute",
)


def test_transcript_terms_pass_safe_mode_and_land_in_the_graph() -> None:
    doc = transcript_credential(issuer_id="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    nquads = jsonld.canonicalize(doc)
    assert MICROCRED_VOCAB not in nquads and "issuer-dependent" not in nquads
    for kind in TRANSCRIPT_TYPES:
        assert f'"{kind}"' in nquads, kind
    for term in ("creditsEarned", "term", "activityStartDate", "activityEndDate", "creditsAvailable", "humanCode"):
        assert f"<https://purl.imsglobal.org/spec/vc/ob/vocab.html#{term}>" in nquads, term
    assert '"PT42H30M"' in nquads and '"http://data.europa.eu/snb/eqf/5"^^' in nquads
    assert '"recognitionOfPriorLearning"' in nquads
    subject = doc["credentialSubject"]
    assert subject["result"][-1] == {
        "type": ["Result"],
        "resultDescription": "https://example.ca/achievements/3#final-result",
        "value": "A-",
    }
    subject["achievement"]["creditUnits"] = "typo"
    with pytest.raises(JsonLdSafeModeError, match="creditUnits"):
        jsonld.canonicalize(doc)


def test_endorsement_answers_travel_in_the_standard_comment() -> None:
    from microcred.vc.endorsement import read_endorsement_comment

    doc = endorsement_credential(Ed25519Key.from_seed(bytes(range(32))))
    assert doc["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]
    nquads = jsonld.canonicalize(doc)
    assert MICROCRED_VOCAB not in nquads
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementComment>" in nquads
    answers = read_endorsement_comment(doc["credentialSubject"]["endorsementComment"])
    assert answers.comment == "We hire graduates of this micro-credential."
    assert answers.in_demand is True and answers.rationale == "1,200 openings in Ontario ask for it."
    assert answers.reflects_job_performance is True
    assert answers.job_performance_comment == "The practical mirrors a real shift."
    doc["credentialSubject"]["inDemand"] = True  # not a defined term
    with pytest.raises(JsonLdSafeModeError, match="inDemand"):
        jsonld.canonicalize(doc)

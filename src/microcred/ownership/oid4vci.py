"""Wallet delivery over OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow).

Flow: the earner asks for an offer (backpack or `microcred earners offer`) and scans the QR code
``openid-credential-offer://?credential_offer_uri=<base>/oid4vci/offers/<pre-authorized code>``. The wallet fetches
the offer, then ``/.well-known/openid-credential-issuer`` (and ``/.well-known/oauth-authorization-server``: this
instance is its own authorization server), redeems the code (and the transaction code shown next to the QR) at
``/oid4vci/token``, gets a ``c_nonce`` from ``/oid4vci/nonce``, signs a key proof (``typ: openid4vci-proof+jwt``,
``aud`` = the credential issuer, ``iat``, ``nonce``; key by did:key ``kid`` or ``jwk``) and posts it to
``/oid4vci/credential`` with its ``credential_configuration_id``.

What the wallet receives: a holder-bound copy of the award. Same credential id, content, validity and status-list
entries (revoking the award revokes every copy), ``credentialSubject.id`` = the holder's DID from the proof, checked
against the OB 3.0 schema and signed now with the organisation's active key, as ``ldp_vc`` (Data Integrity
eddsa-rdfc-2022) or ``jwt_vc_json`` (VC-JOSE). The copy is not stored; the delivery is recorded.

Codes, access tokens and nonces are random (256/192 bits) and kept only as SHA-256 hashes. The pre-authorized code is
the last path segment of the offer URI, so the offer document can be served without keeping the code itself.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred import urls
from microcred.analytics import services as analytics
from microcred.audit import services as audit
from microcred.awards import exports
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.errors import DomainError
from microcred.issuers import services as issuers
from microcred.ownership import nonces
from microcred.ownership.models import WalletDelivery, WalletOffer
from microcred.vc import sign_data_integrity, sign_jwt
from microcred.vc.contexts import OB_V3P0_CONTEXT
from microcred.vc.holder import OID4VCI_PROOF_TYP, HolderProofError, verify_holder_jwt
from microcred.vc.schema import schema_errors, schema_for

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
NONCE_PURPOSE = "oid4vci"
OFFER_LIFETIME = timedelta(days=1)
TOKEN_LIFETIME = timedelta(minutes=10)
MAX_TX_CODE_ATTEMPTS = 5
VC_V2 = "https://www.w3.org/ns/credentials/v2"
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
CONFIGURATIONS = {
    "OpenBadgeCredential_ldp_vc": "ldp_vc",
    "OpenBadgeCredential_jwt_vc_json": "jwt_vc_json",
}


class OAuthError(DomainError):
    """An error answered as ``{"error": code, "error_description": text}`` (RFC 6749 / OID4VCI §8.3.1.2).

    A domain error like the others (one error model), but its routes answer it in the OAuth shape with its own
    ``status``, so it is caught there before the generic domain-error handler sees it."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status

    def to_json(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def issuer_id(base_url: str) -> str:
    return urls.base(base_url)


def _display() -> list[dict[str, Any]]:
    return [
        {"name": "Open Badge (micro-credential)", "locale": "en"},
        {"name": "Open Badge (microtitre)", "locale": "fr"},
    ]


def issuer_metadata(base_url: str) -> dict[str, Any]:
    """Credential Issuer Metadata (OID4VCI 1.0 §12.2)."""
    base = issuer_id(base_url)
    proof_types = {"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}}
    binding = ["did:key", "jwk"]
    return {
        "credential_issuer": base,
        "authorization_servers": [base],
        "credential_endpoint": urls.oid4vci_url("credential", base_url),
        "nonce_endpoint": urls.oid4vci_url("nonce", base_url),
        "display": [{"name": "microcred", "locale": "en"}, {"name": "microcred", "locale": "fr"}],
        "credential_configurations_supported": {
            "OpenBadgeCredential_ldp_vc": {
                "format": "ldp_vc",
                "credential_definition": {"@context": [VC_V2, OB_V3P0_CONTEXT], "type": TYPES},
                "cryptographic_binding_methods_supported": binding,
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": proof_types,
                "credential_metadata": {"display": _display()},
            },
            "OpenBadgeCredential_jwt_vc_json": {
                "format": "jwt_vc_json",
                "credential_definition": {"type": TYPES},
                "cryptographic_binding_methods_supported": binding,
                "credential_signing_alg_values_supported": ["EdDSA"],
                "proof_types_supported": proof_types,
                "credential_metadata": {"display": _display()},
            },
        },
    }


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 metadata: only the token endpoint, for the pre-authorized code grant (anonymous wallets)."""
    base = issuer_id(base_url)
    return {
        "issuer": base,
        "token_endpoint": urls.oid4vci_url("token", base_url),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# -- offers ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    id: uuid.UUID
    pre_authorized_code: str
    tx_code: str | None
    offer_uri: str
    deep_link: str
    expires_at: str


def offer_uri(base_url: str, code: str) -> str:
    return urls.oid4vci_url(f"offers/{code}", base_url)


def create_offer(
    session: Session, award: Award, *, base_url: str, with_tx_code: bool = True, lifetime: timedelta = OFFER_LIFETIME
) -> Offer:
    if exports.award_erased(session, award):
        raise OAuthError("credential_request_denied", "this award's holder erased their data")
    code = secrets.token_urlsafe(32)
    tx_code = f"{secrets.randbelow(10**6):06d}" if with_tx_code else None
    now = utcnow()
    row = WalletOffer(
        id=uuid.uuid4(), award_id=award.id, code_hash=_hash(code), tx_code_hash=_hash(tx_code) if tx_code else None,
        tx_code_length=len(tx_code) if tx_code else None, created_at=now, expires_at=now + lifetime,
        failed_attempts=0,
    )
    session.add(row)
    audit.record(session, "award.wallet_offer_created", f"award:{award.id}", {"offer_id": str(row.id)})
    session.flush()
    uri = offer_uri(base_url, code)
    return Offer(
        id=row.id, pre_authorized_code=code, tx_code=tx_code, offer_uri=uri,
        deep_link=OFFER_SCHEME + "?credential_offer_uri=" + quote(uri, safe=""),
        expires_at=row.expires_at.isoformat(),
    )


def _offer_by_code(session: Session, code: str) -> WalletOffer | None:
    if not code or len(code) > 200:
        return None
    return session.scalars(select(WalletOffer).where(WalletOffer.code_hash == _hash(code)).with_for_update()).first()


def offer_document(session: Session, code: str, *, base_url: str) -> dict[str, Any]:
    """The Credential Offer (OID4VCI 1.0 §4.1.1) behind an offer URI."""
    row = _offer_by_code(session, code)
    if row is None or row.redeemed_at is not None or row.expires_at <= utcnow():
        raise OAuthError("invalid_request", "this credential offer is unknown, used or expired", 404)
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if row.tx_code_hash:
        grant["tx_code"] = {
            "input_mode": "numeric", "length": row.tx_code_length or 6,
            "description": "The code shown next to the QR code / Le code affiché à côté du code QR",
        }
    return {
        "credential_issuer": issuer_id(base_url),
        "credential_configuration_ids": list(CONFIGURATIONS),
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


# -- token ------------------------------------------------------------------------------------------
def exchange_code(session: Session, form: dict[str, str]) -> dict[str, Any]:
    """Token Request with the pre-authorized code grant (OID4VCI 1.0 §6.1) -> Token Response."""
    if form.get("grant_type") != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"grant_type must be {PRE_AUTHORIZED_GRANT}")
    code = form.get("pre-authorized_code") or ""
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is required")
    row = _offer_by_code(session, code)
    if row is None or row.redeemed_at is not None or row.expires_at <= utcnow():
        raise OAuthError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    if row.tx_code_hash:
        tx_code = form.get("tx_code") or ""
        if not tx_code:
            raise OAuthError("invalid_request", "this offer needs its transaction code (tx_code)")
        if not secrets.compare_digest(_hash(tx_code), row.tx_code_hash):
            row.failed_attempts += 1
            if row.failed_attempts >= MAX_TX_CODE_ATTEMPTS:
                row.expires_at = utcnow()  # too many guesses: the offer is spent
            session.flush()
            raise OAuthError("invalid_grant", "the transaction code is wrong")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row.redeemed_at, row.access_token_hash, row.token_expires_at = now, _hash(token), now + TOKEN_LIFETIME
    session.flush()
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "authorization_details": [
            {"type": "openid_credential", "credential_configuration_id": cid, "credential_identifiers": [cid]}
            for cid in CONFIGURATIONS
        ],
    }


def new_c_nonce(session: Session) -> str:
    return nonces.new_nonce(session, NONCE_PURPOSE, lifetime=timedelta(minutes=5))


# -- credential -------------------------------------------------------------------------------------
def _offer_by_token(session: Session, token: str | None) -> WalletOffer:
    if not token or len(token) > 200:
        raise OAuthError("invalid_token", "a bearer access token from the token endpoint is required", 401)
    row = session.scalars(select(WalletOffer).where(WalletOffer.access_token_hash == _hash(token))).first()
    if row is None or row.token_expires_at is None or row.token_expires_at <= utcnow():
        raise OAuthError("invalid_token", "the access token is unknown or expired", 401)
    return row


def _single_proof(body: dict[str, Any]) -> str:
    proofs = body.get("proofs")
    if isinstance(proofs, dict):
        if set(proofs) != {"jwt"}:
            raise OAuthError("invalid_proof", "only the jwt proof type is supported")
        values = proofs["jwt"]
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise OAuthError("invalid_proof", "send exactly one jwt proof (no batch issuance)")
        return values[0]
    proof = body.get("proof")  # drafts before 1.0 sent one proof object
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt" and isinstance(proof.get("jwt"), str):
        return str(proof["jwt"])
    raise OAuthError("invalid_proof", "a key proof is required: proofs.jwt = [<openid4vci-proof+jwt>]")


def holder_bound_credential(session: Session, award: Award, holder_did: str) -> dict[str, Any]:
    """The award's credential (without proof) with ``credentialSubject.id`` = the holder's DID, schema-checked."""
    document = copy.deepcopy(awards.credential_document(award))
    document.pop("proof", None)
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        raise OAuthError("credential_request_denied", "the stored credential has no single subject", 500)
    subject["id"] = holder_did
    schema = schema_for(document)
    if schema is not None:
        problems = schema_errors(document, schema)
        if problems:
            raise OAuthError("credential_request_denied", "the credential failed the schema: " + problems[0], 500)
    return document


def issue_credential(
    session: Session, token: str | None, body: Any, *, base_url: str, master_key: bytes
) -> dict[str, Any]:
    """Credential Request (OID4VCI 1.0 §8.2) -> Credential Response ``{"credentials": [{"credential": ...}]}``."""
    offer = _offer_by_token(session, token)
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "the request body must be a JSON object")
    config_id = body.get("credential_configuration_id") or body.get("credential_identifier")
    if config_id not in CONFIGURATIONS:
        raise OAuthError("unknown_credential_configuration",
                         f"credential_configuration_id must be one of {', '.join(CONFIGURATIONS)}")
    fmt = CONFIGURATIONS[str(config_id)]
    proof_jwt = _single_proof(body)
    try:
        proof = verify_holder_jwt(proof_jwt, typ=OID4VCI_PROOF_TYP, audience=issuer_id(base_url))
    except HolderProofError as exc:
        raise OAuthError("invalid_proof", str(exc)) from None
    if not nonces.use_nonce(session, NONCE_PURPOSE, proof.nonce):
        raise OAuthError("invalid_nonce", "the proof's nonce is unknown, used or expired: get one from the nonce "
                                          "endpoint")
    award = awards.get_award(session, offer.award_id)
    if award.status == "revoked" or exports.award_erased(session, award):
        raise OAuthError("credential_request_denied", "this award can no longer be delivered")
    document = holder_bound_credential(session, award, proof.did)
    org = issuers.get_organisation(session, catalog.get_achievement(session, award.achievement_id).issuer_id)
    material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
    credential: dict[str, Any] | str
    if fmt == "ldp_vc":
        credential = sign_data_integrity(document, material.key, material.verification_method)
    else:
        credential = sign_jwt(document, material.key, kid=material.verification_method)
    session.add(WalletDelivery(id=uuid.uuid4(), award_id=award.id, holder_did=proof.did, format=fmt,
                               delivered_at=utcnow(), details={"offer_id": str(offer.id)}))
    audit.record(session, "award.wallet_delivered", f"award:{award.id}",
                 {"format": fmt, "holder_did_sha256": _hash(proof.did)})
    analytics.record(session, analytics.EventKind.WALLET_DELIVERY, achievement_id=award.achievement_id, channel=fmt)
    session.flush()
    return {"credentials": [{"credential": credential}]}

"""The verifier: a fixed sequence of small checks, each with a typed outcome and a plain-language reason.

A check that could not run is a failure, never a pass; the result is verified only when every check that
applies passed and a proof was actually checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from microcred.vc import jsonld, memo
from microcred.vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2, LEGACY_CONTEXTS, ContextRegistry
from microcred.vc.dataintegrity import (
    PreparedProof,
    ProofOutcome,
    check_prepared,
    parse_datetime,
    prepare_proof,
    proofs_of,
)
from microcred.vc.errors import JsonLdError, JsonLdSafeModeError, UnknownContextError
from microcred.vc.fields import as_list, issuer_id
from microcred.vc.jose import JwtOutcome, decode_unverified, looks_like_jwt, verify_jwt
from microcred.vc.resolvers import KeyResolver, ResolvedKey
from microcred.vc.schema import (
    as_json_ld_sets,
    credential_schema_errors,
    legacy_schema_errors,
    reference_schema_errors,
    schema_for,
)


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "reason": self.reason}


@dataclass(frozen=True)
class NestedResult:
    """A credential carried inside another (a CLR's achievement credentials, embedded endorsements)."""

    label: str  # where it sits, e.g. "credentialSubject.verifiableCredential[0]"
    kind: str  # "credential" | "endorsement"
    result: VerificationResult


@dataclass(frozen=True)
class VerificationResult:
    verified: bool
    checks: tuple[CheckResult, ...]
    credential: dict[str, Any] | None = None
    format: str | None = None  # "di" | "jwt"
    issuer: str | None = None
    nested: tuple[NestedResult, ...] = ()

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    @property
    def summary(self) -> str:
        if self.verified:
            return "verified"
        return "not verified: " + "; ".join(c.reason for c in self.failures)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"verified": self.verified, "checks": [c.to_json() for c in self.checks]}
        if self.nested:
            doc["nested"] = [{"source": n.label, "kind": n.kind, **n.result.to_json()} for n in self.nested]
        return doc


class HoldChecker(Protocol):
    """The issuer's own knowledge of a hold (suspension) on a credential: (passed, reason), or None when the
    credential is not one the checker knows."""

    def __call__(self, credential: dict[str, Any]) -> tuple[bool, str] | None: ...


class StatusChecker(Protocol):
    """Checks one ``credentialStatus`` entry; returns (passed, reason). Unknown or unreachable means failed."""

    def __call__(self, entry: dict[str, Any], credential: dict[str, Any]) -> tuple[bool, str]: ...


@dataclass(frozen=True)
class _ContentChecks:
    checks: tuple[CheckResult, ...]  # schema, context, vocabulary: in the order they are reported
    proofs: tuple[PreparedProof | ProofOutcome, ...] | None  # None: not to be checked (untrusted contexts, a JWT)


@dataclass
class _Run:
    checks: list[CheckResult] = field(default_factory=list)

    def add(self, check: str, passed: bool, reason: str) -> None:
        self.checks.append(CheckResult(check, passed, reason))


class Verifier:
    def __init__(
        self,
        key_resolver: KeyResolver,
        *,
        registry: ContextRegistry | None = None,
        status_checker: StatusChecker | None = None,
        hold_checker: HoldChecker | None = None,
        now: Callable[[], datetime] | None = None,
        max_depth: int = 3,
        reference: bool = False,
    ) -> None:
        """``reference=True``: the reference path (pyld alone, python-jsonschema, nothing memoised), for the
        differential tests and the benchmark baseline; same verdicts and reasons."""
        self._max_depth = max_depth
        self._reference = reference
        self._hold_checker = hold_checker
        self._resolver = key_resolver
        self._registry = registry or ContextRegistry.default()
        self._status_checker = status_checker
        self._now = now or (lambda: datetime.now(UTC))

    # -- entry point ----------------------------------------------------------------------------
    def verify(self, source: dict[str, Any] | str, *, _depth: int = 0) -> VerificationResult:
        run = _Run()
        credential: dict[str, Any] | None
        fmt: str | None
        jwt_payload: dict[str, Any] | None = None
        if isinstance(source, str):
            text = source.strip()
            if looks_like_jwt(text):
                fmt = "jwt"
                try:
                    _, jwt_payload = decode_unverified(text)
                except ValueError as exc:
                    run.add("format", False, f"not a readable JWT: {exc}")
                    return VerificationResult(False, tuple(run.checks), None, fmt)
                from microcred.vc.jose import credential_from_payload

                credential = credential_from_payload(jwt_payload)
            else:
                try:
                    parsed = json.loads(text)
                except json.JSONDecodeError as exc:
                    run.add("format", False, f"neither JSON nor a compact JWT: {exc.msg} at line {exc.lineno}")
                    return VerificationResult(False, tuple(run.checks))
                if not isinstance(parsed, dict):
                    run.add("format", False, "a credential must be a JSON object")
                    return VerificationResult(False, tuple(run.checks))
                credential, fmt = parsed, "di"
        elif isinstance(source, dict):
            credential, fmt = source, "di"
        else:
            run.add("format", False, "a credential must be a JSON object or a compact JWT")
            return VerificationResult(False, tuple(run.checks))

        content = self._content(credential, fmt == "di")
        run.checks.extend(content.checks)
        resolved: ResolvedKey | None
        created: datetime | None
        if fmt == "jwt":
            resolved, created = self._check_jwt(run, str(source))
        elif content.proofs is None:
            resolved, created = None, None
            run.add("proof", False, "the proof was not checked because the contexts are not trusted")
        else:
            resolved, created = self._check_proofs(run, content.proofs)
        self._check_issuer(run, credential, resolved, created)
        self._check_validity(run, credential)
        self._check_status(run, credential)
        nested = self._check_nested(run, credential, _depth)
        verified = (
            bool(run.checks)
            and all(c.passed for c in run.checks)
            and any(c.check == "proof" and c.passed for c in run.checks)
        )
        return VerificationResult(verified, tuple(run.checks), credential, fmt, issuer_id(credential), nested)

    # -- checks ---------------------------------------------------------------------------------
    def _content(self, credential: dict[str, Any], with_proofs: bool) -> _ContentChecks:
        """The checks that depend on nothing but the document's content (schema, contexts, vocabulary, and each
        proof made ready for its signature check), memoised by the exact content: a credential seen before, or the
        same endorsement embedded in a thousand awards, costs one hash here."""

        def compute() -> _ContentChecks:
            run = _Run()
            self._check_shape(run, credential)
            contexts_ok = self._check_contexts(run, credential)
            if contexts_ok:
                self._check_vocabulary(run, credential)
            proofs = tuple(self._prepare(credential)) if contexts_ok and with_proofs else None
            return _ContentChecks(tuple(run.checks), proofs)

        if self._reference:
            return compute()
        found: _ContentChecks = jsonld.content_memo(self._registry).get(
            memo.content_key(with_proofs, credential), compute
        )
        return found

    def _prepare(self, credential: dict[str, Any]) -> list[PreparedProof | ProofOutcome]:
        return [
            prepare_proof(credential, proof, registry=self._registry, reference=self._reference)
            for proof in proofs_of(credential)
        ]

    def _check_nested(self, run: _Run, credential: dict[str, Any], depth: int) -> tuple[NestedResult, ...]:
        """Verify the credentials a credential carries: a CLR's credentials, embedded endorsements."""
        found = list(_embedded(credential))
        if not found:
            return ()
        if depth >= self._max_depth:
            run.add("nested", False, f"credentials nested deeper than {self._max_depth} levels were not checked")
            return ()
        results = tuple(NestedResult(label, kind, self.verify(item, _depth=depth + 1)) for label, kind, item in found)
        for kind, check in (("credential", "nested credentials"), ("endorsement", "endorsements")):
            group = [n for n in results if n.kind == kind]
            if not group:
                continue
            failed = [n for n in group if not n.result.verified]
            if failed:
                first = failed[0]
                run.add(
                    check, False, f"{len(failed)} of {len(group)} not verified; {first.label}: {first.result.summary}"
                )
            else:
                run.add(check, True, f"all {len(group)} verified")
        return results

    def _check_shape(self, run: _Run, credential: dict[str, Any]) -> None:
        types = as_list(credential.get("type"))
        if "VerifiableCredential" not in types:
            run.add("schema", False, "the document is not a VerifiableCredential (type is missing it)")
            return
        if "ClrCredential" in types:
            problems = _clr_shape_problems(credential)
            if problems:
                run.add("schema", False, f"not a valid ClrCredential: {problems[0]}")
            else:
                run.add("schema", True, "has the shape CLR 2.0 requires (no published JSON Schema exists)")
            return
        contexts = as_list(credential.get("@context"))
        schema_url = schema_for(credential)
        if schema_url and contexts[:1] == [CREDENTIALS_V2]:
            unsigned = {k: v for k, v in credential.items() if k != "proof"}
            proofs = proofs_of(credential)
            if proofs:
                unsigned["proof"] = proofs
            legacy = any(isinstance(c, str) and c in LEGACY_CONTEXTS for c in contexts)
            status_value = credential.get("credentialStatus")
            if isinstance(status_value, list) and not legacy:
                run.add(
                    "schema",
                    False,
                    f"OB 3.0 allows one credentialStatus entry (an object); this credential has {len(status_value)}",
                )
                return
            errors = self._schema_errors(unsigned, schema_url, legacy)
            name = schema_url.rsplit("/", 1)[-1]
            if errors:
                run.add("schema", False, f"does not match {name}: {errors[0]}")
            else:
                run.add("schema", True, f"matches the 1EdTech JSON Schema {name}")
            return
        missing = [f for f in ("@context", "type", "issuer", "credentialSubject") if f not in credential]
        if contexts[:1] == [CREDENTIALS_V1] and "issuanceDate" not in credential:
            missing.append("issuanceDate")
        if missing:
            run.add("schema", False, f"missing required field(s): {', '.join(missing)}")
        else:
            run.add("schema", True, "has the fields a Verifiable Credential requires")

    def _schema_errors(self, unsigned: dict[str, Any], schema_url: str, legacy: bool) -> list[str]:
        if self._reference:
            if legacy:
                return legacy_schema_errors(as_json_ld_sets(unsigned), schema_url, check=reference_schema_errors)
            return reference_schema_errors(as_json_ld_sets(unsigned), schema_url)
        return credential_schema_errors(unsigned, schema_url, legacy=legacy)

    def _check_contexts(self, run: _Run, credential: dict[str, Any]) -> bool:
        contexts = as_list(credential.get("@context"))
        if not contexts or contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
            run.add("context", False, "the first @context must be https://www.w3.org/ns/credentials/v2")
            return False
        unknown = [c for c in contexts if isinstance(c, str) and c not in self._registry]
        inline = [c for c in contexts if not isinstance(c, str)]
        if unknown:
            run.add("context", False, f"unknown @context {unknown[0]} (not on the allow-list; never fetched)")
            return False
        if inline:
            run.add("context", False, "inline @context objects are not accepted; use published context URLs")
            return False
        legacy = [c for c in contexts if isinstance(c, str) and c in LEGACY_CONTEXTS]
        if legacy:
            run.add(
                "context",
                True,
                "every @context is on the allow-list, but this credential is in microcred's earlier form (context "
                f"{legacy[0]}), which other verifiers cannot read: ask the issuer to re-issue it",
            )
            return True
        run.add("context", True, "every @context is on the allow-list")
        return True

    def _check_vocabulary(self, run: _Run, credential: dict[str, Any]) -> None:
        unsecured = {k: v for k, v in credential.items() if k != "proof"}
        if self._reference:
            try:
                jsonld.expand(unsecured, self._registry, cached=False)
            except (JsonLdSafeModeError, JsonLdError, UnknownContextError) as exc:
                run.add("vocabulary", False, str(exc))
                return
        else:  # memoised: the proof's document hash reuses this very expansion
            problem = jsonld.vocabulary_problem(unsecured, self._registry)
            if problem is not None:
                run.add("vocabulary", False, problem)
                return
        run.add("vocabulary", True, "every property and type is defined by the contexts")

    def _check_proofs(
        self, run: _Run, proofs: tuple[PreparedProof | ProofOutcome, ...]
    ) -> tuple[ResolvedKey | None, datetime | None]:
        if not proofs:
            run.add("proof", False, "the credential has no proof")
            return None, None
        outcomes: list[ProofOutcome] = [check_prepared(prepared, self._resolver) for prepared in proofs]
        failed = [o for o in outcomes if not o.verified]
        if failed:
            run.add("proof", False, failed[0].reason)
            return failed[0].resolved, failed[0].created
        run.add("proof", True, "; ".join(o.reason for o in outcomes))
        return outcomes[0].resolved, outcomes[0].created

    def _check_jwt(self, run: _Run, token: str) -> tuple[ResolvedKey | None, datetime | None]:
        outcome: JwtOutcome = verify_jwt(token, self._resolver)
        run.add("proof", outcome.verified, outcome.reason)
        return outcome.resolved, None

    def _check_issuer(
        self, run: _Run, credential: dict[str, Any], resolved: ResolvedKey | None, created: datetime | None
    ) -> None:
        issuer = issuer_id(credential)
        if issuer is None:
            run.add("issuer", False, "the credential names no issuer id")
            return
        if resolved is None:
            run.add("issuer", False, "the issuer's key could not be established, so the issuer is unconfirmed")
            return
        if resolved.controller != issuer:
            run.add("issuer", False, f"the signing key belongs to {resolved.controller}, not to the issuer {issuer}")
            return
        if resolved.status == "compromised":
            since = resolved.compromised_since
            if since is None or created is None or created >= since:
                when = f" since {since.isoformat()}" if since else ""
                run.add("issuer", False, f"the signing key was reported compromised{when}; signature not trusted")
                return
        run.add("issuer", True, f"signed with a key controlled by the issuer {issuer}")

    def _check_validity(self, run: _Run, credential: dict[str, Any]) -> None:
        now = self._now()
        start_field = "validFrom" if "validFrom" in credential else "issuanceDate"
        end_field = "validUntil" if "validUntil" in credential else "expirationDate"
        try:
            start = parse_datetime(credential[start_field]) if start_field in credential else None
            end = parse_datetime(credential[end_field]) if end_field in credential else None
        except (ValueError, TypeError) as exc:
            run.add("validity", False, f"invalid date: {exc}")
            return
        # validFrom and validUntil are both optional (VCDM 2.0 §4.9); a bound that is absent is not checked.
        if start is not None and start > now:
            run.add("validity", False, f"not valid yet: valid from {credential[start_field]}")
        elif end is not None and end <= now:
            run.add("validity", False, f"expired on {credential[end_field]}")
        elif start is not None and end is not None and end <= start:
            run.add("validity", False, "validUntil is before validFrom")
        elif start is None and end is None:
            run.add("validity", True, "no validity period is stated (validFrom and validUntil are optional)")
        else:
            since = f"valid from {credential[start_field]}" if start is not None else "valid"
            until = f" until {credential[end_field]}" if end is not None else ""
            run.add("validity", True, f"{since}{until}")

    def _check_status(self, run: _Run, credential: dict[str, Any]) -> None:
        if "credentialStatus" not in credential:
            return  # nothing to check: no check is recorded (and none counts as a pass)
        for entry in as_list(credential["credentialStatus"]):
            if not isinstance(entry, dict):
                run.add("status", False, "status could not be checked: credentialStatus is not an object")
                continue
            kind = entry.get("type")
            if self._status_checker is None:
                run.add("status", False, f"status could not be checked: {kind} is not supported here")
                continue
            try:
                passed, reason = self._status_checker(entry, credential)
            except Exception as exc:  # a checker failure is a failed check, never a pass
                passed, reason = False, f"status could not be checked: {exc}"
            run.add("status", passed, reason)
        self._check_hold(run, credential)

    def _check_hold(self, run: _Run, credential: dict[str, Any]) -> None:
        """An issuer-side suspension of a credential that carries only a revocation entry (its issuer's own
        instance knows it; no other verifier can). A credential with its own suspension entry is read from it."""
        if self._hold_checker is None:
            return
        entries = [e for e in as_list(credential.get("credentialStatus")) if isinstance(e, dict)]
        if any(e.get("statusPurpose") == "suspension" for e in entries):
            return
        try:
            outcome = self._hold_checker(credential)
        except Exception as exc:  # a checker failure is a failed check, never a pass
            outcome = (False, f"suspension could not be checked: {exc}")
        if outcome is not None:
            run.add("status", outcome[0], outcome[1])


def _embedded(credential: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(label, kind, credential) for each credential carried inside ``credential``."""
    found: list[tuple[str, str, Any]] = []
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    types = as_list(credential.get("type"))
    if "ClrCredential" in types:
        for index, item in enumerate(as_list(subject.get("verifiableCredential") or [])):
            found.append((f"credentialSubject.verifiableCredential[{index}]", "credential", item))
    holders: list[tuple[str, Any]] = [("", credential), ("issuer.", credential.get("issuer"))]
    achievement = subject.get("achievement")
    if isinstance(achievement, dict):
        holders.append(("credentialSubject.achievement.", achievement))
    for prefix, holder in holders:
        if not isinstance(holder, dict):
            continue
        for name in ("endorsement", "endorsementJwt"):
            for index, item in enumerate(as_list(holder.get(name) or [])):
                found.append((f"{prefix}{name}[{index}]", "endorsement", item))
    return found


def _clr_shape_problems(credential: dict[str, Any]) -> list[str]:
    """CLR 2.0 has no published JSON Schema; check the fields its data model requires."""
    problems = [
        f"missing {f}" for f in ("id", "issuer", "validFrom", "name", "credentialSubject") if f not in credential
    ]
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        return problems or ["credentialSubject must be an object"]
    if "ClrSubject" not in as_list(subject.get("type")):
        problems.append("credentialSubject.type must include ClrSubject")
    if not subject.get("id") and not subject.get("identifier"):
        problems.append("credentialSubject needs an id or an identifier")
    credentials = subject.get("verifiableCredential")
    if not isinstance(credentials, list) or not credentials:
        problems.append("credentialSubject.verifiableCredential must list at least one credential")
    for index, association in enumerate(as_list(subject.get("association") or [])):
        if not isinstance(association, dict) or not all(
            k in association for k in ("associationType", "sourceId", "targetId")
        ):
            problems.append(f"association[{index}] needs associationType, sourceId and targetId")
    return problems

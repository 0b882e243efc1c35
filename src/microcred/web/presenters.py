"""Turn a credential document and a verification result into what the verification page shows.

The page shows what the *credential* says (the signed document is the source of truth, and pasted
credentials from elsewhere have no database rows), so every field is read defensively: anything may be
missing or of the wrong type. Links are only emitted for http(s) URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from microcred.i18n import N_
from microcred.vc.endorsement import read_endorsement_comment
from microcred.vc.ob import OUTCOME_LINE
from microcred.web import outcome_views
from microcred.web.document_fields import Link, alignment_link, format_date, humanize, is_ext, safe_url
from microcred.web.document_fields import list_of as _list
from microcred.web.document_fields import text_of as _text
from microcred.web.outcome_views import EvidenceView, OutcomeView

CHECK_LABELS = {
    "format": N_("Format"),
    "shape": N_("Document shape"),
    "vocabulary": N_("Vocabulary (all terms defined)"),
    "schema": N_("OB 3.0 JSON Schema"),
    "context": N_("JSON-LD contexts"),
    "contexts": N_("JSON-LD contexts"),
    "proof": N_("Signature (proof)"),
    "signature": N_("Signature"),
    "issuer": N_("Issuer key and identity"),
    "issuer_key": N_("Issuer key and identity"),
    "key": N_("Issuer key"),
    "validity": N_("Validity period"),
    "validity_window": N_("Validity period"),
    "status": N_("Revocation status"),
    "endorsements": N_("Endorsements"),
    "jwt_claims": N_("JWT claims"),
    "recipient": N_("Recipient"),
}


@dataclass
class CheckView:
    check: str
    label: str
    passed: bool
    reason: str


@dataclass
class IssuerView:
    id: str | None
    name: str | None
    legal_name: str | None
    country: str | None
    region: str | None
    url: str | None
    email: str | None
    description: str | None


@dataclass
class AchievementView:
    id: str | None
    name: str | None
    description: str | None
    type: str | None
    criteria_narrative: str | None
    criteria_url: str | None
    credits: str | None
    level: str | None
    human_code: str | None
    alignments: list[Link] = field(default_factory=list)
    details: list[Link] = field(default_factory=list)  # ext: alignments: EQF level, workload, QA, prerequisites…


@dataclass
class EndorsementView:
    """An embedded EndorsementCredential (issue 7) with the verifier's own result for it."""

    endorser: str
    endorser_url: str | None
    comment: str | None
    in_demand: bool | None
    rationale: str | None
    reflects_job_performance: bool | None
    job_performance_comment: str | None
    valid_until: str | None
    verified: bool
    failures: list[str] = field(default_factory=list)


def _endorsements(achievement: dict[str, Any], nested: Sequence[Any]) -> list[EndorsementView]:
    """The achievement's ``endorsement[]``, each matched with its nested verification result (by position)."""
    results = {
        str(getattr(n, "label", "")): getattr(n, "result", None)
        for n in nested
        if getattr(n, "kind", None) == "endorsement"
    }
    out = []
    for index, item in enumerate(_list(achievement.get("endorsement"))):
        if not isinstance(item, dict):
            continue
        raw_subject = item.get("credentialSubject")
        subject: dict[str, Any] = raw_subject if isinstance(raw_subject, dict) else {}
        issuer = _issuer(item.get("issuer"))
        result = next((r for label, r in results.items() if label.endswith(f"achievement.endorsement[{index}]")), None)
        in_demand, reflects = subject.get("competencyInDemand"), subject.get("reflectsJobPerformance")
        # the answers are in the endorsementComment; the legacy form had them in microcred terms
        answers = read_endorsement_comment(_text(subject.get("endorsementComment")))
        out.append(
            EndorsementView(
                endorser=issuer.name or issuer.id or "?",
                endorser_url=issuer.url,
                comment=answers.comment,
                in_demand=in_demand if isinstance(in_demand, bool) else answers.in_demand,
                rationale=_text(subject.get("labourMarketRationale")) or answers.rationale,
                reflects_job_performance=reflects if isinstance(reflects, bool) else answers.reflects_job_performance,
                job_performance_comment=_text(subject.get("jobPerformanceComment")) or answers.job_performance_comment,
                valid_until=format_date(item.get("validUntil")),
                verified=bool(getattr(result, "verified", False)),
                failures=[
                    str(getattr(c, "reason", ""))
                    for c in getattr(result, "checks", ())
                    if not getattr(c, "passed", True)
                ]
                if result is not None
                else [N_("not checked")],
            )
        )
    return out


@dataclass
class CredentialView:
    """Everything the verification page shows."""

    verified: bool
    format: str | None
    failures: list[CheckView]
    checks: list[CheckView]
    id: str | None
    title: str
    issuer: IssuerView
    achievement: AchievementView
    outcomes: list[OutcomeView]
    evidence: list[EvidenceView]
    recipient: str | None
    narrative: str | None
    results: list[str]
    issued: str | None
    awarded: str | None
    valid_from: str | None
    valid_until: str | None
    page_url: str | None = None
    # the achievement's name / description in the reader's language, from this instance's translations
    translated_name: str | None = None
    translated_description: str | None = None
    qr_svg: str | None = None
    json_url: str | None = None
    jwt_url: str | None = None
    endorsements: list[EndorsementView] = field(default_factory=list)
    # the holder's name from this instance's store, only when its earner chose to show it (never from the document)
    holder_name: str | None = None


DETAIL_LABELS = {
    "ext:CreditUnit": N_("Credit unit"),
    "ext:NotionalWorkload": N_("Notional workload"),
    "ext:EQFLevel": N_("European Qualifications Framework level"),
    "ext:QualificationLevel": N_("Qualification level"),
    "ext:FormOfParticipation": N_("Form of participation"),
    "ext:QualityAssurance": N_("Quality assurance"),
    "ext:AwardingBody": N_("Awarding body"),
    "ext:Prerequisite": N_("Prerequisite"),
}


def _detail(value: Any) -> Link | None:
    """An ``ext:`` alignment (a fact about the definition, not a framework concept): ``detail`` is its kind."""
    link = alignment_link(value)
    if link is None:
        return None
    kind = str(_text(value.get("targetType")))
    url = link.url if link.url and "#" not in link.url else None
    return Link(label=link.label, url=url, detail=DETAIL_LABELS.get(kind, humanize(kind)))


def _issuer(value: Any) -> IssuerView:
    if isinstance(value, str):
        return IssuerView(value, None, None, None, None, safe_url(value), None, None)
    if not isinstance(value, dict):
        return IssuerView(None, None, None, None, None, None, None, None)
    raw_address = value.get("address")
    address: dict[str, Any] = raw_address if isinstance(raw_address, dict) else {}
    legal = _text(value.get("legalName"))
    if legal is None:
        for ident in _list(value.get("otherIdentifier")):
            if isinstance(ident, dict) and _text(ident.get("identifierType")) in ("name", "ext:legalName"):
                legal = _text(ident.get("identifier"))
    return IssuerView(
        id=_text(value.get("id")),
        name=_text(value.get("name")),
        legal_name=legal,
        country=_text(address.get("addressCountry")) or _text(address.get("addressCountryCode")),
        region=_text(address.get("addressRegion")),
        url=safe_url(value.get("url")),
        email=_text(value.get("email")),
        description=_text(value.get("description")),
    )


def _achievement(value: Any) -> AchievementView:
    a = value if isinstance(value, dict) else {}
    raw_criteria = a.get("criteria")
    criteria: dict[str, Any] = raw_criteria if isinstance(raw_criteria, dict) else {}
    atype = _text(a.get("achievementType"))
    credits = a.get("creditsAvailable")
    return AchievementView(
        id=_text(a.get("id")),
        name=_text(a.get("name")),
        description=_text(a.get("description")),
        type=humanize(atype) if atype else None,
        criteria_narrative=_text(criteria.get("narrative")),
        criteria_url=safe_url(criteria.get("id")),
        credits=_text(credits) if credits is not None else None,
        level=_text(a.get("level")) or _text(a.get("educationalLevel")),
        human_code=_text(a.get("humanCode")),
        alignments=[
            link for link in map(alignment_link, (x for x in _list(a.get("alignment")) if not is_ext(x))) if link
        ],
        details=[link for link in map(_detail, (x for x in _list(a.get("alignment")) if is_ext(x))) if link],
    )


def _evidence(values: Any) -> list[EvidenceView]:
    out = []
    for item in _list(values):
        if not isinstance(item, dict):
            continue
        narrative = _text(item.get("narrative"))
        outcome_text = None  # the standard form names the outcome on the narrative's last line
        if narrative:
            head, _sep, last = narrative.rpartition("\n")
            if last.startswith(OUTCOME_LINE):
                outcome_text = last[len(OUTCOME_LINE) :].strip() or None
                narrative = head.strip() or None
        out.append(
            EvidenceView(
                name=_text(item.get("name")),
                url=safe_url(item.get("id")),
                narrative=narrative,
                description=_text(item.get("description")),
                genre=_text(item.get("genre")),
                outcome=_text(item.get("assessedOutcome")) or outcome_text,
            )
        )
    return out


def _recipient(subject: dict[str, Any]) -> str | None:
    name = _text(subject.get("name"))
    if name:
        return name
    for ident in _list(subject.get("identifier")):
        if isinstance(ident, dict):
            kind = _text(ident.get("identityType")) or "identifier"
            if ident.get("hashed") is True:
                return f"{humanize(kind)} (hashed, not shown)"
            value = _text(ident.get("identityHash"))
            if value:
                return f"{humanize(kind)}: {value}"
    return _text(subject.get("id"))


def present(
    credential: Any, verified: bool, checks: list[Any], fmt: str | None = None, nested: Sequence[Any] = ()
) -> CredentialView:
    """Build the page model. ``checks`` are the verifier's CheckResult objects (check, passed, reason); ``nested``
    its results for embedded credentials (endorsements are listed with their own result)."""
    doc = credential if isinstance(credential, dict) else {}
    if isinstance(doc.get("vc"), dict) and "credentialSubject" not in doc:  # VC 1.1 JWT payload
        doc = doc["vc"]
    subject = doc.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    subject = subject if isinstance(subject, dict) else {}
    raw_achievement = subject.get("achievement")
    achievement_doc = raw_achievement if isinstance(raw_achievement, dict) else {}
    check_views = [
        CheckView(
            check=str(getattr(c, "check", "")),
            label=CHECK_LABELS.get(str(getattr(c, "check", "")), humanize(str(getattr(c, "check", "check")))),
            passed=bool(getattr(c, "passed", False)),
            reason=str(getattr(c, "reason", "")),
        )
        for c in checks
    ]
    achievement = _achievement(achievement_doc)
    outcomes = outcome_views.outcomes(achievement_doc)
    # The builder repeats every outcome's alignments on the achievement: show only the ones not shown already.
    shown = {(a.label, a.url) for o in outcomes for a in o.alignments}
    achievement.alignments = [a for a in achievement.alignments if (a.label, a.url) not in shown]
    # Evidence that names the outcome it supports is shown under that outcome; the rest in the evidence list.
    evidence = _evidence(doc.get("evidence"))
    by_outcome = {o.id: o for o in outcomes if o.id}
    by_outcome.update({o.text: o for o in outcomes if o.text not in by_outcome})
    for item in list(evidence):
        if item.outcome and item.outcome in by_outcome:
            by_outcome[item.outcome].evidence.append(item)
            evidence.remove(item)
    return CredentialView(
        verified=verified,
        format=fmt,
        failures=[c for c in check_views if not c.passed],
        checks=check_views,
        id=_text(doc.get("id")),
        title=achievement.name or _text(doc.get("name")) or "Credential",
        issuer=_issuer(doc.get("issuer")),
        achievement=achievement,
        outcomes=outcomes,
        evidence=evidence,
        recipient=_recipient(subject),
        narrative=_text(subject.get("narrative")),
        results=outcome_views.results(subject, outcomes),
        issued=format_date(doc.get("awardedDate") or doc.get("validFrom") or doc.get("issuanceDate")),
        awarded=format_date(doc.get("awardedDate")),
        valid_from=format_date(doc.get("validFrom") or doc.get("issuanceDate")),
        valid_until=format_date(doc.get("validUntil") or doc.get("expirationDate")),
        endorsements=_endorsements(achievement_doc, nested),
    )

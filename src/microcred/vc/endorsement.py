"""OB 3.0 EndorsementCredential: a partner vouches for an achievement, an issuer or a credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.kwargs import reject_unknown
from microcred.vc.ob import IssuerProfile
from microcred.vc.schema import ENDORSEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors

# The partner's two answers (END-1) travel in the standard ``endorsementComment`` as labelled paragraphs: an
# EndorsementCredential is only signed when both answers are yes. The structured answers stay in the issuer's store.
IN_DEMAND_LABEL = "Competency in demand in the labour market: yes."
JOB_PERFORMANCE_LABEL = "Assessment reflects job performance: yes."


@dataclass(frozen=True)
class EndorsementAnswers:
    """What a reader can recover from an ``endorsementComment`` written by :func:`endorsement_comment`."""

    comment: str | None
    in_demand: bool | None
    rationale: str | None
    reflects_job_performance: bool | None
    job_performance_comment: str | None


def endorsement_comment(comment: str | None, rationale: str, job_performance_comment: str) -> str:
    """One ``endorsementComment`` carrying the public comment and both answers with their reasons."""
    parts = [comment.strip()] if comment and comment.strip() else []
    parts.append(f"{IN_DEMAND_LABEL} {rationale.strip()}")
    parts.append(f"{JOB_PERFORMANCE_LABEL} {job_performance_comment.strip()}")
    return "\n\n".join(parts)


def read_endorsement_comment(text: str | None) -> EndorsementAnswers:
    """The answers in an ``endorsementComment`` (None where the comment does not state them)."""
    if not text:
        return EndorsementAnswers(None, None, None, None, None)
    comment: list[str] = []
    rationale = job = None
    for paragraph in text.split("\n\n"):
        if paragraph.startswith(IN_DEMAND_LABEL):
            rationale = paragraph[len(IN_DEMAND_LABEL) :].strip() or None
        elif paragraph.startswith(JOB_PERFORMANCE_LABEL):
            job = paragraph[len(JOB_PERFORMANCE_LABEL) :].strip() or None
        else:
            comment.append(paragraph)
    found_demand = IN_DEMAND_LABEL in text
    found_job = JOB_PERFORMANCE_LABEL in text
    return EndorsementAnswers(
        "\n\n".join(comment).strip() or None,
        True if found_demand else None,
        rationale,
        True if found_job else None,
        job,
    )


class EndorsementOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`build_endorsement_credential`."""

    comment: str | None
    description: str | None
    valid_until: datetime | None
    extra_contexts: tuple[str, ...]
    subject_extra: dict[str, Any] | None
    credential_status: dict[str, Any] | None


def build_endorsement_credential(
    *,
    credential_id: str,
    endorser: IssuerProfile,
    endorsed_id: str,
    name: str,
    valid_from: datetime,
    **options: Unpack[EndorsementOptions],
) -> dict[str, Any]:
    """An unsigned ``EndorsementCredential`` validated against the 1EdTech schema.

    ``subject_extra`` adds properties to the EndorsementSubject; they must be defined by ``extra_contexts``
    (the vocabulary check refuses undefined terms when signing). ``credential_status``: e.g. a
    BitstringStatusListEntry (revocation) in the endorser's list.
    """
    reject_unknown(options, EndorsementOptions, "build_endorsement_credential")
    comment = options.get("comment")
    description = options.get("description")
    valid_until = options.get("valid_until")
    credential_status = options.get("credential_status")
    subject: dict[str, Any] = {"id": endorsed_id, "type": ["EndorsementSubject"]}
    if comment:
        subject["endorsementComment"] = comment
    subject.update(options.get("subject_extra") or {})
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, *options.get("extra_contexts", ())],
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name,
        "issuer": endorser.to_json(),
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }
    if description:
        credential["description"] = description
    if valid_until is not None:
        if valid_until <= valid_from:
            raise SchemaValidationError(["validUntil: must be later than validFrom"])
        credential["validUntil"] = format_datetime(valid_until)
    if credential_status is not None:  # one entry (the endorsement schema's credentialStatus is a single object)
        credential["credentialStatus"] = credential_status
    credential["credentialSchema"] = [{"id": ENDORSEMENT_CREDENTIAL_SCHEMA, "type": SCHEMA_TYPE}]
    errors = schema_errors(credential, ENDORSEMENT_CREDENTIAL_SCHEMA)
    if errors:
        raise SchemaValidationError(errors)
    return credential

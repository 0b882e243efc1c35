"""OB 3.0 EndorsementCredential: a partner vouches for an achievement, an issuer or a credential."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.ob import IssuerProfile
from microcred.vc.schema import ENDORSEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors


def build_endorsement_credential(
    *,
    credential_id: str,
    endorser: IssuerProfile,
    endorsed_id: str,
    name: str,
    valid_from: datetime,
    comment: str | None = None,
    description: str | None = None,
    valid_until: datetime | None = None,
    extra_contexts: tuple[str, ...] = (),
    subject_extra: dict[str, Any] | None = None,
    credential_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned ``EndorsementCredential`` validated against the 1EdTech schema.

    ``subject_extra`` adds properties to the EndorsementSubject; they must be defined by ``extra_contexts``
    (the vocabulary check refuses undefined terms when signing). ``credential_status``: e.g. a
    BitstringStatusListEntry (revocation) in the endorser's list.
    """
    subject: dict[str, Any] = {"id": endorsed_id, "type": ["EndorsementSubject"]}
    if comment:
        subject["endorsementComment"] = comment
    subject.update(subject_extra or {})
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, *extra_contexts],
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

"""CLR 2.0 (1EdTech Comprehensive Learner Record): a ClrCredential bundling signed achievement credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from microcred.vc.contexts import CLR_V2P0_CONTEXT, CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.kwargs import reject_unknown
from microcred.vc.ob import IssuerProfile, SubjectIdentity
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors

CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
ASSOCIATION_TYPES = (
    "exactMatchOf",
    "isChildOf",
    "isParentOf",
    "isPartOf",
    "isPeerOf",
    "isRelatedTo",
    "precedes",
    "replacedBy",
)


@dataclass(frozen=True)
class Association:
    """A relation between two achievements, e.g. a pathway ``isParentOf`` its components."""

    association_type: str
    source_id: str
    target_id: str

    def __post_init__(self) -> None:
        if self.association_type not in ASSOCIATION_TYPES:
            raise ValueError(f"unknown associationType {self.association_type!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "Association",
            "associationType": self.association_type,
            "sourceId": self.source_id,
            "targetId": self.target_id,
        }


class ClrOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`build_clr_credential`."""

    associations: list[Association] | tuple[Association, ...]
    partial: bool | None
    description: str | None
    extra_contexts: tuple[str, ...]


def _check_credentials(credentials: list[dict[str, Any]]) -> None:
    """A CLR holds at least one credential, each a valid OB 3.0 AchievementCredential."""
    if not credentials:
        raise SchemaValidationError(["credentialSubject.verifiableCredential: a CLR holds at least one credential"])
    for index, item in enumerate(credentials):
        errors = schema_errors(item, ACHIEVEMENT_CREDENTIAL_SCHEMA)
        if errors:
            raise SchemaValidationError([f"verifiableCredential[{index}]: {e}" for e in errors])


def _achievements(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The credentials' achievements, each id once (first seen first)."""
    achievements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in credentials:
        achievement = item.get("credentialSubject", {}).get("achievement")
        if isinstance(achievement, dict) and achievement.get("id") not in seen:
            seen.add(str(achievement.get("id")))
            achievements.append(achievement)
    return achievements


def _contexts(credentials: list[dict[str, Any]], extra_contexts: tuple[str, ...]) -> list[str]:
    contexts = [CREDENTIALS_V2, CLR_V2P0_CONTEXT, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, *extra_contexts]
    # The achievements copied into the CLR subject keep their terms: bring along their credentials' contexts.
    for item in credentials:
        for url in item.get("@context", []):
            if isinstance(url, str) and url not in contexts:
                contexts.append(url)
    return contexts


def build_clr_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    subject: SubjectIdentity,
    name: str,
    credentials: list[dict[str, Any]],
    valid_from: datetime,
    **options: Unpack[ClrOptions],
) -> dict[str, Any]:
    """An unsigned ``ClrCredential`` holding ``credentials`` (each already signed, kept byte-for-byte as given)."""
    reject_unknown(options, ClrOptions, "build_clr_credential")
    associations = tuple(options.get("associations", ()))
    partial = options.get("partial")
    description = options.get("description")
    _check_credentials(credentials)
    achievements = _achievements(credentials)
    known = {str(achievement.get("id")) for achievement in achievements}
    for association in associations:
        missing = {association.source_id, association.target_id} - known
        if missing:
            raise SchemaValidationError([f"association refers to achievements not in this CLR: {sorted(missing)}"])
    subject_json: dict[str, Any] = {"type": ["ClrSubject"]}
    subject_json.update(subject.to_json())
    subject_json["verifiableCredential"] = list(credentials)
    subject_json["achievement"] = achievements
    if associations:
        subject_json["association"] = [a.to_json() for a in associations]
    credential: dict[str, Any] = {
        "@context": _contexts(credentials, tuple(options.get("extra_contexts", ()))),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer.to_json(),
        "validFrom": format_datetime(valid_from),
        "name": name,
    }
    if description:
        credential["description"] = description
    if partial is not None:
        credential["partial"] = partial
    credential["credentialSubject"] = subject_json
    credential["credentialSchema"] = [{"id": CLR_SCHEMA, "type": SCHEMA_TYPE}]
    return credential

"""Validation against the 1EdTech OB 3.0 JSON Schemas (bundled, Draft 2019-09)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator

ACHIEVEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
ENDORSEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
PROFILE_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"


@cache
def _validator(url: str) -> Draft201909Validator:
    folder = resources.files("microcred.vc").joinpath("schemas")
    index = json.loads(folder.joinpath("index.json").read_text(encoding="utf-8"))
    schema = json.loads(folder.joinpath(index[url]).read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def known_schema(url: str) -> bool:
    folder = resources.files("microcred.vc").joinpath("schemas")
    return url in json.loads(folder.joinpath("index.json").read_text(encoding="utf-8"))


def schema_errors(document: Any, schema_url: str = ACHIEVEMENT_CREDENTIAL_SCHEMA) -> list[str]:
    """Readable schema violations (``path: message``), best first; empty when the document conforms.

    The 1EdTech schema is applied verbatim, as the 1EdTech validator and certification apply it."""
    validator = _validator(schema_url)
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), e.message))
    messages = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path) or "(document)"
        messages.append(f"{path}: {error.message[:300]}")
    return messages


def legacy_schema_errors(document: Any, schema_url: str = ACHIEVEMENT_CREDENTIAL_SCHEMA) -> list[str]:
    """Schema violations of a credential in microcred's earlier form (read only, never written now): that form
    carried two status entries (revocation, suspension), each checked on its own against CredentialStatus."""
    if isinstance(document, dict) and isinstance(document.get("credentialStatus"), list):
        entries = document["credentialStatus"]
        if not entries:
            return ["credentialStatus: an empty list of status entries"]
        messages: list[str] = []
        for index, entry in enumerate(entries):
            for message in schema_errors({**document, "credentialStatus": entry}, schema_url):
                messages.append(message.replace("credentialStatus", f"credentialStatus/{index}", 1))
        return sorted(set(messages), key=messages.index)
    return schema_errors(document, schema_url)


# Classes whose `type` the generated schemas require as an array. In JSON-LD a single value and a one-element
# array are the same statement (the signature covers the RDF, which cannot tell them apart), and 1EdTech's own
# samples use the single form (the CLR test vector's nested credential has "type": "Profile"), so a verifier
# reads the single form as the set it denotes. Builders always write arrays.
_SET_TYPED = frozenset(
    {
        "Achievement",
        "AchievementSubject",
        "Address",
        "Alignment",
        "EndorsementSubject",
        "Evidence",
        "Profile",
        "Related",
        "Result",
        "ResultDescription",
        "RubricCriterionLevel",
    }
)


def as_json_ld_sets(node: Any) -> Any:
    """A copy of ``node`` where a single ``type`` value of a set-typed OB class is written as an array."""
    if isinstance(node, list):
        return [as_json_ld_sets(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: as_json_ld_sets(value) for key, value in node.items()}
    if isinstance(copy.get("type"), str) and copy["type"] in _SET_TYPED:
        copy["type"] = [copy["type"]]
    return copy


def schema_for(document: dict[str, Any]) -> str | None:
    """Which bundled schema applies to a credential, from its type."""
    types = document.get("type")
    type_list = types if isinstance(types, list) else [types]
    if "EndorsementCredential" in type_list:
        return ENDORSEMENT_CREDENTIAL_SCHEMA
    if "OpenBadgeCredential" in type_list or "AchievementCredential" in type_list:
        return ACHIEVEMENT_CREDENTIAL_SCHEMA
    return None

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
    """Readable schema violations (``path: message``), best first; empty when the document conforms."""
    validator = _validator(schema_url)
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), e.message))
    messages = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path) or "(document)"
        messages.append(f"{path}: {error.message[:300]}")
    return messages


def schema_for(document: dict[str, Any]) -> str | None:
    """Which bundled schema applies to a credential, from its type."""
    types = document.get("type")
    type_list = types if isinstance(types, list) else [types]
    if "EndorsementCredential" in type_list:
        return ENDORSEMENT_CREDENTIAL_SCHEMA
    if "OpenBadgeCredential" in type_list or "AchievementCredential" in type_list:
        return ACHIEVEMENT_CREDENTIAL_SCHEMA
    return None

"""Validation against the 1EdTech OB 3.0 JSON Schemas (bundled, Draft 2019-09)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft201909Validator

from microcred.vc import memo

ACHIEVEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
ENDORSEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
PROFILE_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"


@cache
def _schema(url: str) -> Any:
    folder = resources.files("microcred.vc").joinpath("schemas")
    index = json.loads(folder.joinpath("index.json").read_text(encoding="utf-8"))
    return json.loads(folder.joinpath(index[url]).read_text(encoding="utf-8"))


@cache
def _validator(url: str) -> Draft201909Validator:
    """The reference validator (python-jsonschema): it words the messages."""
    return Draft201909Validator(_schema(url), format_checker=Draft201909Validator.FORMAT_CHECKER)


@cache
def _fast_validator(url: str) -> jsonschema_rs.Draft201909Validator:
    """The same schema compiled by jsonschema-rs, which checks every format (at least as strict as the reference:
    ``tests/vc/test_schema_engines.py`` proves both agree on every fixture). It only answers "valid?"."""
    return jsonschema_rs.Draft201909Validator(_schema(url), validate_formats=True)


_results: memo.Memo[tuple[str, ...]] = memo.Memo("JSON Schema results", 1024)


def known_schema(url: str) -> bool:
    folder = resources.files("microcred.vc").joinpath("schemas")
    return url in json.loads(folder.joinpath("index.json").read_text(encoding="utf-8"))


def schema_errors(document: Any, schema_url: str = ACHIEVEMENT_CREDENTIAL_SCHEMA) -> list[str]:
    """Readable schema violations (``path: message``), best first; empty when the document conforms.

    The 1EdTech schema is applied verbatim, as the 1EdTech validator and certification apply it. A document that
    the fast validator accepts is valid; any other is worded by the reference validator (so a format only the fast
    one checks cannot refuse a document the reference accepts). Results are memoised by exact content."""
    return list(_results.get(memo.content_key(schema_url, document), lambda: _errors(document, schema_url)))


def reference_schema_errors(document: Any, schema_url: str = ACHIEVEMENT_CREDENTIAL_SCHEMA) -> list[str]:
    """:func:`schema_errors` by python-jsonschema alone, nothing memoised (the reference path)."""
    return list(_reference_errors(document, schema_url))


def _errors(document: Any, schema_url: str) -> tuple[str, ...]:
    try:
        if _fast_validator(schema_url).is_valid(document):
            return ()
    except (ValueError, TypeError):  # a value JSON cannot hold: the reference validator words the problem
        pass
    return _reference_errors(document, schema_url)


def _reference_errors(document: Any, schema_url: str) -> tuple[str, ...]:
    validator = _validator(schema_url)
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), e.message))
    messages = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path) or "(document)"
        messages.append(f"{path}: {error.message[:300]}")
    return tuple(messages)


def legacy_schema_errors(
    document: Any,
    schema_url: str = ACHIEVEMENT_CREDENTIAL_SCHEMA,
    *,
    check: Callable[[Any, str], list[str]] | None = None,
) -> list[str]:
    """Schema violations of a credential in microcred's earlier form (read only, never written now): that form
    carried two status entries (revocation, suspension), each checked on its own against CredentialStatus.
    ``check`` validates each form (default :func:`schema_errors`; the reference path passes its own)."""
    validate = check or schema_errors
    if isinstance(document, dict) and isinstance(document.get("credentialStatus"), list):
        entries = document["credentialStatus"]
        if not entries:
            return ["credentialStatus: an empty list of status entries"]
        messages: list[str] = []
        for index, entry in enumerate(entries):
            for message in validate({**document, "credentialStatus": entry}, schema_url):
                messages.append(message.replace("credentialStatus", f"credentialStatus/{index}", 1))
        return sorted(set(messages), key=messages.index)
    return validate(document, schema_url)


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


def credential_schema_errors(unsigned: dict[str, Any], schema_url: str, *, legacy: bool = False) -> list[str]:
    """What the verifier reports for a credential without its proof: the schema applied to the credential read as
    JSON-LD sets (:func:`as_json_ld_sets`), a ``legacy`` one entry by entry. Memoised by exact content, so a
    credential seen before costs one hash, not a copy and a validation."""
    check = legacy_schema_errors if legacy else schema_errors
    key = memo.content_key("as sets", legacy, schema_url, unsigned)
    return list(_results.get(key, lambda: tuple(check(as_json_ld_sets(unsigned), schema_url))))


def schema_for(document: dict[str, Any]) -> str | None:
    """Which bundled schema applies to a credential, from its type."""
    types = document.get("type")
    type_list = types if isinstance(types, list) else [types]
    if "EndorsementCredential" in type_list:
        return ENDORSEMENT_CREDENTIAL_SCHEMA
    if "OpenBadgeCredential" in type_list or "AchievementCredential" in type_list:
        return ACHIEVEMENT_CREDENTIAL_SCHEMA
    return None

"""The fast JSON Schema engine (jsonschema-rs) against the reference (python-jsonschema) on every fixture.

`schema_errors` trusts jsonschema-rs for "valid" and asks python-jsonschema for the verdict and wording otherwise,
so the one property that matters is: whatever jsonschema-rs accepts, the reference accepts. They may differ the other
way only where jsonschema-rs checks a format the reference does not (python-jsonschema checks `date-time` only with
an optional package); then the reference's verdict is the one reported. Checked on every credential
fixture, every credential the builders produce here, and every single-field change of each (deleted, replaced by
a string, by a number, by a bad date-time, by an empty list), as the verifier reads them (JSON-LD sets).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from microcred.vc import Ed25519Key, memo
from microcred.vc.schema import (
    _fast_validator,
    _schema,
    as_json_ld_sets,
    credential_schema_errors,
    reference_schema_errors,
    schema_errors,
    schema_for,
)
from support.credentials import signed_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _credentials(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a fixture that names an OB 3.0 schema by its type (signed or not, nested included)."""
    if isinstance(node, dict):
        if schema_for(node) is not None and "@context" in node:
            yield node
        for value in node.values():
            yield from _credentials(value)
    elif isinstance(node, list):
        for item in node:
            yield from _credentials(item)


def _fixture_credentials() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        for index, credential in enumerate(_credentials(json.loads(path.read_text(encoding="utf-8")))):
            found.append((f"{path.relative_to(FIXTURES)}#{index}", credential))
    found.append(("signed_sample", signed_sample(Ed25519Key.from_seed(bytes(range(1, 33))))))
    return found


CREDENTIALS = _fixture_credentials()


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _leaves(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _leaves(value, (*prefix, index))


REPLACEMENTS: tuple[Any, ...] = ("x", 7, "2026-13-45T99:00:00Z", [], {"type": "Nonsense"})
MAX_PATHS = 60  # per document: every field of the small fixtures; an even spread over the large ones (deterministic)


def _variants(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield document
    paths = list(_leaves(document))
    stride = max(1, -(-len(paths) // MAX_PATHS))
    for path in paths[::stride]:
        for replacement in (None, *REPLACEMENTS):  # None: the field deleted
            changed = copy.deepcopy(document)
            parent = changed
            for part in path[:-1]:
                parent = parent[part]
            if replacement is None:
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
            yield changed


def test_the_fixtures_hold_credentials_of_both_schemas() -> None:
    kinds = {schema_for(doc) for _, doc in CREDENTIALS}
    assert len(CREDENTIALS) >= 10
    assert len(kinds) == 2, kinds


@pytest.mark.parametrize(("name", "credential"), CREDENTIALS, ids=[name for name, _ in CREDENTIALS])
def test_fast_engine_accepts_only_what_the_reference_accepts(name: str, credential: dict[str, Any]) -> None:
    url = schema_for(credential)
    assert url is not None
    fast = _fast_validator(url)
    without_formats = jsonschema_rs.Draft201909Validator(_schema(url), validate_formats=False)
    checked = disagreements = 0
    for variant in _variants({k: v for k, v in credential.items() if k != "proof"}):
        document = as_json_ld_sets(variant)
        reference = reference_schema_errors(document, url)
        reference_valid = not reference
        fast_valid = fast.is_valid(document)
        assert not (fast_valid and not reference_valid), f"{name}: jsonschema-rs accepts what the reference refuses"
        # With formats left as annotations, as the reference leaves date-time, both engines agree exactly.
        assert without_formats.is_valid(document) == reference_valid, f"{name}: the engines disagree beyond formats"
        disagreements += fast_valid != reference_valid
        with memo.disabled():
            assert schema_errors(document, url) == reference
        checked += 1
    assert checked > 20
    assert disagreements <= 2 * checked // 5, f"{name}: {disagreements} of {checked} variants judged differently"


def test_memoised_results_equal_fresh_ones_and_are_not_shared_lists() -> None:
    _, credential = CREDENTIALS[-1]
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    url = schema_for(unsigned)
    assert url is not None
    broken = {k: v for k, v in unsigned.items() if k != "issuer"}
    first = credential_schema_errors(broken, url)
    first.append("changed by the caller")
    again = credential_schema_errors(broken, url)
    assert again and "changed by the caller" not in again
    with memo.disabled():
        assert credential_schema_errors(broken, url) == again
    assert credential_schema_errors(unsigned, url) == []

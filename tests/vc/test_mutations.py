"""Every single-field change of a signed credential fails verification (generated mutations, not hand-picked)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from microcred.vc import Ed25519Key, Verifier, default_resolver
from support.credentials import NOW, signed_sample

KEY = Ed25519Key.from_seed(bytes(range(1, 33)))
SIGNED = signed_sample(KEY)
VERIFIER = Verifier(default_resolver(), now=lambda: NOW)

Path = tuple[Any, ...]


def leaf_paths(node: Any, prefix: Path = ()) -> list[Path]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in leaf_paths(value, (*prefix, key))] + (
            [prefix] if prefix else []
        )
    if isinstance(node, list):
        return [p for index, value in enumerate(node) for p in leaf_paths(value, (*prefix, index))] + [prefix]
    return [prefix]


PATHS = leaf_paths(SIGNED)


def get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def mutate(doc: dict[str, Any], path: Path, kind: str, text: str) -> dict[str, Any] | None:
    changed = copy.deepcopy(doc)
    parent = get(changed, path[:-1])
    key = path[-1]
    value = parent[key]
    if kind == "delete":
        del parent[key]
    elif isinstance(value, bool):
        parent[key] = not value
    elif isinstance(value, (int, float)):
        parent[key] = value + 1
    elif isinstance(value, str):
        new = value + text if kind == "append" else text
        if new == value:
            return None
        parent[key] = new
    elif isinstance(value, list):
        if not value:
            return None
        # reordering is not a change: JSON-LD arrays are unordered sets unless declared as @list
        parent[key] = value[1:] if kind == "append" else [*value, text]
    elif isinstance(value, dict):
        parent[key] = {**value, "type": text} if "type" in value else {}
    return changed


@given(
    path=st.sampled_from(PATHS),
    kind=st.sampled_from(["delete", "replace", "append"]),
    text=st.text(min_size=1, max_size=12),
)
def test_any_single_field_change_fails_verification(path: Path, kind: str, text: str) -> None:
    changed = mutate(SIGNED, path, kind, text)
    if changed is None or changed == SIGNED:
        return
    result = VERIFIER.verify(changed)
    assert not result.verified, f"mutation {kind} at {path} still verified"


def test_the_unmutated_credential_verifies_and_every_path_is_reachable() -> None:
    assert VERIFIER.verify(SIGNED).verified
    assert len(PATHS) > 60
    # explicit coverage of the categories the framework names: value, type, issuer, date, proof
    for path in [
        ("name",),
        ("type", 1),
        ("issuer", "id"),
        ("validFrom",),
        ("proof", 0, "proofValue"),
        ("proof", 0, "created"),
        ("credentialSubject", "identifier", 0, "identityHash"),
    ]:
        assert path in PATHS
        changed = mutate(SIGNED, path, "append", "x")
        assert changed is not None and not VERIFIER.verify(changed).verified, path


@given(path=st.sampled_from(PATHS), text=st.text(min_size=1, max_size=8))
def test_jwt_payload_changes_fail(path: Path, text: str) -> None:
    import base64
    import json

    from microcred.vc import sign_jwt

    unsigned = {k: v for k, v in SIGNED.items() if k != "proof"}
    if path[0] == "proof":
        return
    token = sign_jwt(unsigned, KEY, KEY.did_key_verification_method)
    changed = mutate(unsigned, path, "append", text)
    if changed is None or changed == unsigned:
        return
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    assert not VERIFIER.verify(f"{header}.{payload}.{signature}").verified

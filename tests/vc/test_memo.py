"""The content memos: keyed by exact content, bounded, errors memoised, off on request, never a stale verdict."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from microcred.vc import Ed25519Key, JsonLdSafeModeError, Verifier, default_resolver, jsonld, memo
from microcred.vc.memo import Memo, content_key
from support.credentials import NOW, signed_sample

KEY = Ed25519Key.from_seed(bytes(range(1, 33)))


def test_content_key_is_exact_content_and_refuses_what_is_not_json() -> None:
    assert content_key({"a": 1, "b": 2}) == content_key({"a": 1, "b": 2})
    assert content_key({"a": 1}) != content_key({"a": "1"})
    assert content_key({"a": 1, "b": 2}) != content_key({"b": 2, "a": 1})  # member order kept: never conflated
    assert content_key({"when": datetime.now(UTC)}) is None
    assert content_key({"x": float("nan")}) is None
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert content_key(deep) is None  # too deep to hash: not memoised (and no crash)


def test_memo_computes_once_per_content_and_stays_bounded() -> None:
    calls: list[int] = []
    cache: Memo[int] = Memo("test", 2)

    def compute(value: int) -> int:
        calls.append(value)
        return value * 10

    assert [cache.get(content_key(v), lambda v=v: compute(v)) for v in (1, 1, 2, 1, 3, 2)] == [10, 10, 20, 10, 30, 20]
    assert calls == [1, 2, 3, 2]  # 3 evicted 2 (the least recently used), so 2 was computed again
    assert cache.stats().size == 2
    assert cache.get(None, lambda: compute(9)) == 90 and cache.get(None, lambda: compute(9)) == 90
    assert calls[-2:] == [9, 9]  # no key: never memoised


def test_memo_remembers_errors_and_can_be_disabled_or_cleared() -> None:
    calls = 0
    cache: Memo[int] = Memo("errors", 8)

    def fail() -> int:
        nonlocal calls
        calls += 1
        raise ValueError("bad input")

    for _ in range(3):
        with pytest.raises(ValueError, match="bad input"):
            cache.get(b"k", fail)
    assert calls == 1
    with memo.disabled():
        assert not memo.enabled()
        with pytest.raises(ValueError):
            cache.get(b"k", fail)
    assert calls == 2 and memo.enabled()
    memo.clear()
    assert cache.stats().size == 0


def test_unexpected_errors_are_not_memoised() -> None:
    calls = 0
    cache: Memo[int] = Memo("crash", 8)

    def crash() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug, not bad input")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            cache.get(b"k", crash)
    assert calls == 2


def test_vocabulary_problem_and_canonical_form_share_one_expansion() -> None:
    signed = signed_sample(KEY)
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    memo.clear()
    assert jsonld.vocabulary_problem(unsecured) is None
    first = jsonld.canonicalize(unsecured)
    expansion = next(s for s in memo.stats() if s.name == "JSON-LD expansion")
    assert (expansion.misses, expansion.hits) == (1, 1)
    with memo.disabled():
        assert jsonld.canonicalize(unsecured) == first == jsonld.canonicalize_reference(unsecured)
    undefined = {**unsecured, "favouriteColour": "green"}
    problem = jsonld.vocabulary_problem(undefined)
    assert problem is not None and "favouriteColour" in problem
    with pytest.raises(JsonLdSafeModeError):
        jsonld.canonicalize(undefined)


@pytest.mark.parametrize("reference", [False, True])
def test_a_tampered_copy_of_a_verified_credential_is_still_rejected(reference: bool) -> None:
    verifier = Verifier(default_resolver(), now=lambda: NOW, reference=reference)
    signed = signed_sample(KEY)
    for _ in range(2):
        assert verifier.verify(signed).verified
    tampered: dict[str, Any] = copy.deepcopy(signed)
    tampered["name"] = tampered.get("name", "") + " (forged)"
    for _ in range(2):
        result = verifier.verify(tampered)
        assert not result.verified
        assert any(c.check == "proof" and "does not match" in c.reason for c in result.failures)
    added = {**copy.deepcopy(signed), "description": "added after signing"}
    assert not verifier.verify(added).verified
    assert verifier.verify(signed).verified


def test_reference_and_fast_paths_give_the_same_verdicts_and_reasons() -> None:
    signed = signed_sample(KEY)
    broken = {k: v for k, v in signed.items() if k != "issuer"}
    fast = Verifier(default_resolver(), now=lambda: NOW)
    reference = Verifier(default_resolver(), now=lambda: NOW, reference=True)
    for document in (signed, broken):
        assert fast.verify(document).to_json() == reference.verify(document).to_json()

"""Bitstring Status List v1.0: encoding against the spec's example, entries, and the status check."""

from __future__ import annotations

import gzip
from datetime import timedelta
from typing import Any

import pytest

from microcred.vc import Ed25519Key, Verifier, default_resolver, sign_data_integrity
from microcred.vc.statuslist import (
    MIN_ENTRIES,
    Bitstring,
    BitstringStatusChecker,
    StatusListError,
    decode_bitstring,
    encode_bitstring,
    status_entry,
    status_list_credential,
)
from support.credentials import NOW, sample_credential

SPEC_ALL_ZERO = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
KEY = Ed25519Key.from_seed(bytes(range(32)))
LIST_URL = "https://example.ca/status/1"


def test_spec_all_zero_example_decodes() -> None:
    raw = decode_bitstring(SPEC_ALL_ZERO)
    assert len(raw) == 16_384 and not any(raw)
    bits = Bitstring.decode(SPEC_ALL_ZERO)
    assert bits.size == MIN_ENTRIES and bits.count() == 0
    # and our encoding of an all-zero list decodes to the same bytes (GZIP output itself may differ by level)
    assert decode_bitstring(Bitstring().encode()) == raw


def test_bit_order_is_most_significant_first() -> None:
    bits = Bitstring()
    bits.set(0)
    bits.set(9)
    bits.set(MIN_ENTRIES - 1)
    raw = decode_bitstring(bits.encode())
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    assert bits.get(0) and bits.get(9) and not bits.get(1)
    bits.set(9, False)
    assert not bits.get(9) and bits.count() == 2
    assert Bitstring.decode(bits.encode()).get(MIN_ENTRIES - 1)
    assert bits.encode() == bits.encode()  # deterministic (fixed GZIP mtime)


@pytest.mark.parametrize("encoded", ["zabc", "u!!!", "u" + "A" * 8, 5, "u" + encode_bitstring(b"")[1:][:3]])
def test_bad_encoded_lists(encoded: Any) -> None:
    with pytest.raises(StatusListError):
        decode_bitstring(encoded)


def test_decompression_bomb_is_refused() -> None:
    import base64

    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(17 * 1024 * 1024))).rstrip(b"=").decode()
    with pytest.raises(StatusListError, match="size limit"):
        decode_bitstring(bomb)


def test_bitstring_bounds() -> None:
    with pytest.raises(StatusListError):
        Bitstring(10)
    with pytest.raises(StatusListError):
        Bitstring(16, b"\x00")
    with pytest.raises(StatusListError, match="outside"):
        Bitstring().get(MIN_ENTRIES)
    with pytest.raises(StatusListError):
        status_entry(LIST_URL, 1, "bogus")


def signed_list(purpose: str, set_bits: tuple[int, ...] = (), size: int = MIN_ENTRIES, **kw: Any) -> dict[str, Any]:
    bits = Bitstring(size)
    for i in set_bits:
        bits.set(i)
    unsigned = status_list_credential(
        list_url=kw.pop("url", LIST_URL),
        issuer=kw.pop("issuer", KEY.did_key),
        purpose=purpose,
        bits=bits,
        valid_from=NOW - timedelta(days=1),
        ttl_ms=300_000,
        **kw,
    )
    return sign_data_integrity(unsigned, KEY, KEY.did_key_verification_method, created=NOW)


def other_issuers_list() -> dict[str, Any]:
    other = Ed25519Key.from_seed(bytes([3]) * 32)
    unsigned = status_list_credential(
        list_url=LIST_URL, issuer=other.did_key, purpose="revocation", bits=Bitstring(), valid_from=NOW
    )
    return sign_data_integrity(unsigned, other, other.did_key_verification_method, created=NOW)


def credential_with(entries: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    credential = sample_credential(issuer_id=KEY.did_key)
    credential["credentialStatus"] = entries
    return sign_data_integrity(credential, KEY, KEY.did_key_verification_method, created=NOW)


def verifier_with(lists: dict[str, Any]) -> Verifier:
    list_verifier = Verifier(default_resolver(), now=lambda: NOW)

    def fetch(url: str) -> Any:
        if url not in lists:
            raise OSError("connection refused")
        return lists[url]

    return Verifier(default_resolver(), now=lambda: NOW, status_checker=BitstringStatusChecker(fetch, list_verifier))


def status_reasons(result: Any) -> list[tuple[bool, str]]:
    return [(c.passed, c.reason) for c in result.checks if c.check == "status"]


def test_revoked_suspended_and_clear() -> None:
    rev_url, sus_url = LIST_URL + "/revocation", LIST_URL + "/suspension"
    revocation, suspension = status_entry(rev_url, 42, "revocation"), status_entry(sus_url, 42, "suspension")
    assert revocation["statusListIndex"] == "42" and revocation["id"] == rev_url + "#42"
    lists = {rev_url: signed_list("revocation", url=rev_url), sus_url: signed_list("suspension", url=sus_url)}
    clear = verifier_with(lists)
    result = clear.verify(credential_with(revocation))
    assert result.verified, result.summary
    assert status_reasons(result) == [(True, "not revoked")]
    assert status_reasons(clear.verify(credential_with(suspension))) == [(True, "not suspended")]
    revoked = verifier_with({**lists, rev_url: signed_list("revocation", (42,), url=rev_url)})
    assert status_reasons(revoked.verify(credential_with(revocation))) == [(False, "revoked by the issuer")]
    suspended = verifier_with({**lists, sus_url: signed_list("suspension", (42,), url=sus_url)})
    result = suspended.verify(credential_with(suspension))
    assert not result.verified and status_reasons(result) == [(False, "suspended by the issuer")]


def test_two_status_entries_break_the_ob_schema_with_a_plain_reason() -> None:
    rev_url, sus_url = LIST_URL + "/revocation", LIST_URL + "/suspension"
    credential = credential_with([status_entry(rev_url, 42, "revocation"), status_entry(sus_url, 42, "suspension")])
    lists = {rev_url: signed_list("revocation", url=rev_url), sus_url: signed_list("suspension", url=sus_url)}
    result = verifier_with(lists).verify(credential)
    assert not result.verified
    schema = next(c for c in result.checks if c.check == "schema")
    assert not schema.passed and "one credentialStatus entry" in schema.reason and "has 2" in schema.reason


def test_every_failure_to_check_is_a_failure() -> None:
    entry = status_entry(LIST_URL, 7, "revocation")
    credential = credential_with([entry])
    cases = {
        "could not be fetched": {},
        "purpose is not": {LIST_URL: signed_list("suspension")},
        "shorter than": {LIST_URL: signed_list("revocation", size=8 * 100)},
        "does not verify": {LIST_URL: signed_list("revocation", issuer="did:example:other")},
        "not issued by the credential's issuer": {LIST_URL: other_issuers_list()},
    }
    for reason, lists in cases.items():
        result = verifier_with(lists).verify(credential)
        assert not result.verified
        passed, text = status_reasons(result)[0]
        assert not passed and "status could not be checked" in text and reason in text, text
    tampered = signed_list("revocation")
    cleared = Bitstring()
    cleared.set(99)
    tampered["credentialSubject"]["encodedList"] = cleared.encode()
    result = verifier_with({LIST_URL: tampered}).verify(credential)
    assert "does not verify" in status_reasons(result)[0][1]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"statusListIndex": 7}, "base-10"),
        ({"statusListIndex": "-1"}, "base-10"),
        ({"statusListIndex": str(MIN_ENTRIES)}, "outside"),
        ({"statusSize": 2}, "1-bit"),
        ({"statusListCredential": None}, "lacks"),
        ({"type": "1EdTechRevocationList"}, "not supported"),
    ],
)
def test_malformed_entries(change: dict[str, Any], reason: str) -> None:
    entry = {**status_entry(LIST_URL, 7, "revocation"), **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    checker = BitstringStatusChecker(
        lambda url: signed_list("revocation"), Verifier(default_resolver(), now=lambda: NOW)
    )
    passed, text = checker(entry, sample_credential(issuer_id=KEY.did_key))
    assert not passed and reason in text, text


def test_not_a_list_credential() -> None:
    checker = BitstringStatusChecker(lambda url: ["x"], Verifier(default_resolver(), now=lambda: NOW))
    passed, text = checker(status_entry(LIST_URL, 1, "revocation"), sample_credential(issuer_id=KEY.did_key))
    assert not passed and "not a status list credential" in text


def test_status_list_errors_are_standards_errors_and_still_value_errors() -> None:
    """One error model: a list that cannot be read is a VCError (the error table maps it), and callers that
    catch ValueError around decoding keep catching it."""
    from microcred.errors import outcome
    from microcred.vc.errors import VCError

    with pytest.raises(StatusListError) as caught:
        decode_bitstring("not multibase")
    assert isinstance(caught.value, VCError) and isinstance(caught.value, ValueError)
    result = outcome(caught.value)
    assert result is not None and result.http_status == 400


def test_an_unfetchable_status_list_is_unavailable() -> None:
    """The instance's status-list fetcher refuses with a domain `Unavailable` (503 / exit 3), not a bare Exception."""
    from microcred.errors import Unavailable, outcome
    from microcred.verification import StatusListUnavailable

    error = StatusListUnavailable("https://elsewhere.example/status/1 is not on this instance or on a trusted host")
    assert isinstance(error, Unavailable)
    result = outcome(error)
    assert result is not None and result.http_status == 503

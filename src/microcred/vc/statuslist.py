"""W3C Bitstring Status List v1.0: encoded lists, entries, list credentials, and the status check.

Bit order (spec §"Bitstring Encoding"): index 0 is the left-most (most significant) bit of byte 0.
``encodedList`` is multibase base64url without padding (prefix ``u``) of the GZIP-compressed bitstring.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from microcred.vc import memo
from microcred.vc.contexts import CREDENTIALS_V2
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import VCError
from microcred.vc.fields import issuer_id

if TYPE_CHECKING:
    from microcred.vc.verifier import Verifier

MIN_ENTRIES = 131_072  # 16 KiB uncompressed: the spec's minimum, for herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse decompression bombs
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"


class StatusPurpose(StrEnum):
    """``statusPurpose`` values Bitstring Status List v1.0 defines (this instance allocates the first two)."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    REFRESH = "refresh"
    MESSAGE = "message"


PURPOSES: tuple[str, ...] = tuple(purpose.value for purpose in StatusPurpose)


class StatusListError(VCError, ValueError):
    """An encoded list or status entry that cannot be read.

    A standards error (``VCError``, one error model); still a ``ValueError`` as it always was, so a caller that
    catches ``ValueError`` around list decoding keeps catching it."""


class Bitstring:
    """A mutable bitstring of ``size`` entries (1 bit each)."""

    def __init__(self, size: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if size % 8:
            raise StatusListError("the bitstring size must be a multiple of 8")
        self.size = size
        self._bytes = bytearray(data) if data is not None else bytearray(size // 8)
        if len(self._bytes) != size // 8:
            raise StatusListError("bitstring data does not match its size")

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise StatusListError(f"status index {index} is outside the list (size {self.size})")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bytes[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        if value:
            self._bytes[index // 8] |= 0x80 >> (index % 8)
        else:
            self._bytes[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF

    def count(self) -> int:
        return sum(bin(b).count("1") for b in self._bytes)

    def encode(self) -> str:
        return encode_bitstring(bytes(self._bytes))

    @classmethod
    def decode(cls, encoded: str) -> Bitstring:
        raw = decode_bitstring(encoded)
        return cls(len(raw) * 8, raw)


def encode_bitstring(raw: bytes) -> str:
    """GZIP (fixed mtime, so the same list always encodes the same way) then multibase base64url, no padding."""
    compressed = gzip.compress(raw, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise StatusListError("encodedList is not base64url") from None
    try:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container
        raw = decompressor.decompress(compressed, MAX_DECODED_BYTES + 1)
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not GZIP data: {exc}") from None
    if len(raw) > MAX_DECODED_BYTES:
        raise StatusListError("encodedList expands beyond the size limit")
    if not decompressor.eof or decompressor.unused_data or not raw:
        raise StatusListError("encodedList is not one complete GZIP stream")
    return raw


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``credentialStatus`` entry pointing at bit ``index`` of the list credential at ``list_url``."""
    if purpose not in PURPOSES:
        raise StatusListError(f"unknown status purpose {purpose!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *,
    list_url: str,
    issuer: str | dict[str, Any],
    purpose: str,
    bits: Bitstring,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` (sign it with the issuer's key)."""
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bits.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    return credential


ListFetcher = Callable[[str], Any]


class BitstringStatusChecker:
    """Checks ``BitstringStatusListEntry`` entries: fetches the list credential (through ``fetch``, which decides
    which hosts may be reached), verifies its proof and purpose, and reads the bit.

    Any failure to check is reported as "status could not be checked: ...", never as a pass.
    """

    def __init__(self, fetch: ListFetcher, list_verifier: Verifier) -> None:
        self._fetch = fetch
        self._verifier = list_verifier

    def __call__(self, entry: dict[str, Any], credential: dict[str, Any]) -> tuple[bool, str]:
        problem = _entry_problem(entry)
        if problem is not None:
            return False, f"status could not be checked: {problem}"
        url: str = entry["statusListCredential"]
        purpose: str = entry["statusPurpose"]
        try:
            list_credential = self._fetch(url)
        except Exception as exc:
            return False, f"status could not be checked: the status list {url} could not be fetched ({exc})"
        if not isinstance(list_credential, dict):
            return False, f"status could not be checked: {url} is not a status list credential"
        result = self._verifier.verify(list_credential)
        if not result.verified:
            return False, f"status could not be checked: the status list does not verify ({result.summary})"
        problem = _list_problem(list_credential, url, purpose, credential)
        if problem is not None:
            return False, f"status could not be checked: {problem}"
        try:
            bits = _decoded(list_credential["credentialSubject"].get("encodedList", ""))
        except StatusListError as exc:
            return False, f"status could not be checked: {exc}"
        return _read_bit(bits, int(entry["statusListIndex"]), purpose)


_decoded_lists: memo.Memo[bytes] = memo.Memo("decoded status lists", 256)


def _decoded(encoded: str) -> Bitstring:
    """The bitstring of an ``encodedList`` (decompressed once per distinct list content)."""
    raw = _decoded_lists.get(memo.content_key(encoded), lambda: decode_bitstring(encoded))
    return Bitstring(len(raw) * 8, raw)


def _entry_problem(entry: dict[str, Any]) -> str | None:
    """Why a status entry cannot be checked here (type, missing fields, index, size); None if it can."""
    if entry.get("type") != ENTRY_TYPE:
        return f"{entry.get('type')} is not supported here"
    raw_index = entry.get("statusListIndex")
    if not isinstance(entry.get("statusListCredential"), str) or not isinstance(entry.get("statusPurpose"), str):
        return "the status entry lacks statusListCredential or statusPurpose"
    if not isinstance(raw_index, str) or not raw_index.isdigit():
        return "statusListIndex must be a base-10 integer string"
    if entry.get("statusSize", 1) not in (1, "1"):
        return "only 1-bit status entries are supported"
    return None


def _list_problem(list_credential: dict[str, Any], url: str, purpose: str, credential: dict[str, Any]) -> str | None:
    """Why a verified list credential cannot answer for ``credential`` (type, issuer, purpose); None if it can."""
    types = list_credential.get("type", [])
    if LIST_CREDENTIAL_TYPE not in (types if isinstance(types, list) else [types]):
        return f"{url} is not a {LIST_CREDENTIAL_TYPE}"
    if issuer_id(list_credential) != issuer_id(credential):
        return "the status list was not issued by the credential's issuer"
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != purpose:
        return f"the status list's purpose is not {purpose!r}"
    return None


def _read_bit(bits: Bitstring, index: int, purpose: str) -> tuple[bool, str]:
    """The entry's bit, in words: set means revoked / suspended / flagged."""
    if bits.size < MIN_ENTRIES:
        return False, f"status could not be checked: the status list is shorter than {MIN_ENTRIES} entries"
    if index >= bits.size:
        return False, "status could not be checked: statusListIndex is outside the status list"
    if bits.get(index):
        if purpose == "revocation":
            return False, "revoked by the issuer"
        if purpose == "suspension":
            return False, "suspended by the issuer"
        return False, f"status {purpose!r} is set"
    return True, {"revocation": "not revoked", "suspension": "not suspended"}.get(purpose, f"{purpose}: not set")

"""Ed25519 keys as Multikey (did:key, publicKeyMultibase / secretKeyMultibase) and JWK."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from microcred.vc.errors import KeyFormatError

# Multicodec prefixes (varint): ed25519-pub 0xed, ed25519-priv 0x1300.
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode())


def decode_multibase_base58(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise KeyFormatError(f"not a base58btc multibase value (must start with 'z'): {str(value)[:20]!r}")
    body = value[1:]
    # The base58 library strips whitespace; a signed value must match exactly, so refuse anything else.
    if not all(c in _B58_ALPHABET for c in body):
        raise KeyFormatError("invalid base58btc in multibase value (character outside the alphabet)")
    return base58.b58decode(body)


def encode_multibase_base58(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode()


def public_key_from_multibase(value: str) -> bytes:
    raw = decode_multibase_base58(value)
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_PREFIX):
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 Multikey (expected 0xed01 + 32 bytes)")
    return raw[2:]


@dataclass(frozen=True)
class Ed25519Key:
    """An Ed25519 key pair, or a public key alone when ``private`` is None."""

    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def generate(cls) -> Ed25519Key:
        private = Ed25519PrivateKey.generate()
        return cls(private.public_key(), private)

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Key:
        if len(seed) != 32:
            raise KeyFormatError(f"an Ed25519 private key seed is 32 bytes, got {len(seed)}")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(private.public_key(), private)

    @classmethod
    def from_public_bytes(cls, raw: bytes) -> Ed25519Key:
        if len(raw) != 32:
            raise KeyFormatError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    @classmethod
    def from_public_multibase(cls, value: str) -> Ed25519Key:
        return cls.from_public_bytes(public_key_from_multibase(value))

    @classmethod
    def from_secret_multibase(cls, value: str) -> Ed25519Key:
        raw = decode_multibase_base58(value)
        if raw.startswith(ED25519_PRIV_PREFIX) and len(raw) in (34, 66):
            return cls.from_seed(raw[2:34])
        if len(raw) == 64:  # 1EdTech vector form: seed || public key, no multicodec prefix
            return cls.from_seed(raw[:32])
        raise KeyFormatError("secret key multibase is not an Ed25519 key (expected 0x8026 + 32 bytes)")

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Ed25519Key:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "x" not in jwk:
            raise KeyFormatError("JWK is not an Ed25519 OKP key")
        if "d" in jwk:
            key = cls.from_seed(_b64url_decode(jwk["d"]))
            if key.public_bytes() != _b64url_decode(jwk["x"]):
                raise KeyFormatError("JWK private and public parts do not match")
            return key
        return cls.from_public_bytes(_b64url_decode(jwk["x"]))

    # -- views --------------------------------------------------------------------------------
    @property
    def has_private(self) -> bool:
        return self.private is not None

    def public_bytes(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def seed(self) -> bytes:
        if self.private is None:
            raise KeyFormatError("this is a public key only")
        return self.private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    @property
    def public_multibase(self) -> str:
        return encode_multibase_base58(ED25519_PUB_PREFIX + self.public_bytes())

    @property
    def secret_multibase(self) -> str:
        return encode_multibase_base58(ED25519_PRIV_PREFIX + self.seed())

    @property
    def did_key(self) -> str:
        return "did:key:" + self.public_multibase

    @property
    def did_key_verification_method(self) -> str:
        return f"{self.did_key}#{self.public_multibase}"

    def public_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.public_bytes())}

    def private_jwk(self) -> dict[str, str]:
        return {**self.public_jwk(), "d": _b64url(self.seed())}

    def public_only(self) -> Ed25519Key:
        return Ed25519Key(self.public)

    # -- operations ---------------------------------------------------------------------------
    def sign(self, message: bytes) -> bytes:
        if self.private is None:
            raise KeyFormatError("cannot sign with a public key only")
        return self.private.sign(message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:  # never show private material
        return f"Ed25519Key({self.public_multibase}, private={'yes' if self.private else 'no'})"


@dataclass(frozen=True)
class KeyFile:
    """A key read from a key file, with the verification method it names (if any)."""

    key: Ed25519Key
    verification_method: str | None
    controller: str | None


def _private_key(data: dict[str, Any]) -> Ed25519Key | None:
    """The private key in whichever of the known fields carries it (first match wins); None if none does."""
    if isinstance(data.get("secretKeyMultibase"), str):
        return Ed25519Key.from_secret_multibase(data["secretKeyMultibase"])
    if isinstance(data.get("privateKeyMultibase"), str):
        return Ed25519Key.from_secret_multibase(data["privateKeyMultibase"])
    if isinstance(data.get("privateKeyHex"), str):
        try:
            raw = bytes.fromhex(data["privateKeyHex"])
        except ValueError:
            raise KeyFormatError("privateKeyHex is not hexadecimal") from None
        if len(raw) not in (32, 64):
            raise KeyFormatError("privateKeyHex must be 32 or 64 bytes")
        return Ed25519Key.from_seed(raw[:32])
    if isinstance(data.get("privateKeyJwk"), dict):
        return Ed25519Key.from_jwk(data["privateKeyJwk"])
    if data.get("kty") == "OKP" and "d" in data:
        return Ed25519Key.from_jwk(data)
    return None


def load_key_file(data: Any) -> KeyFile:
    """Read the key-file forms users bring.

    - microcred's own (``microcred keys generate``): id, controller, publicKeyMultibase, secretKeyMultibase
    - the W3C vc-di-eddsa vector's keyPair.json: publicKeyMultibase, privateKeyMultibase
    - the 1EdTech vector's keyPair: privateKeyHex / publicKeyHex (+ secretKeyMultibase, verificationMethod)
    - a private JWK (kty OKP, crv Ed25519, d, x)
    """
    if not isinstance(data, dict):
        raise KeyFormatError("a key file must be a JSON object")
    if isinstance(data.get("keyPair"), dict):
        data = data["keyPair"]
    key = _private_key(data)
    if key is None:
        raise KeyFormatError(
            "no private key found: expected secretKeyMultibase, privateKeyMultibase, privateKeyHex or a private JWK"
        )
    declared = data.get("publicKeyMultibase")
    if isinstance(declared, str) and declared != key.public_multibase:
        raise KeyFormatError("the key file's publicKeyMultibase does not match its private key")
    vm = data.get("verificationMethod") or data.get("id")
    if not isinstance(vm, str) or "#" not in vm:
        vm = None
    controller = data.get("controller") if isinstance(data.get("controller"), str) else None
    return KeyFile(key=key, verification_method=vm, controller=controller)

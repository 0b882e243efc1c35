"""Envelope encryption of private keys: AES-256-GCM under a 32-byte master key.

The master key comes from `MICROCRED_MASTER_KEY` (base64url, via settings) or, failing that, from
`<data_dir>/master.key`, created with mode 0600 on first use. Key material is never logged or returned.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from microcred.errors import KeyStoreError
from microcred.private_files import private_dir
from microcred.settings import Settings, get_settings

MASTER_KEY_FILE = "master.key"
_VERSION = b"\x01"
_NONCE_BYTES = 12


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode_master_key(text: str) -> bytes:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyStoreError("the master key is not valid base64url") from None
    if len(raw) != 32:
        raise KeyStoreError(f"the master key must be 32 bytes (base64url), got {len(raw)} bytes")
    return raw


def generate_master_key_text() -> str:
    return _b64url(secrets.token_bytes(32))


def master_key_path(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.data_dir / MASTER_KEY_FILE


def ensure_master_key_file(settings: Settings | None = None) -> tuple[Path, bool]:
    """Create `<data_dir>/master.key` (mode 0600) if absent. Returns (path, created)."""
    path = master_key_path(settings)
    private_dir(path.parent)  # the data folder: 0700 when created here
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w") as fh:
        fh.write(generate_master_key_text() + "\n")
    return path, True


def load_master_key(settings: Settings | None = None) -> bytes:
    """The master key: from the environment if set, else from (or newly created) `<data_dir>/master.key`."""
    settings = settings or get_settings()
    if settings.master_key:
        return decode_master_key(settings.master_key)
    path, _ = ensure_master_key_file(settings)
    try:
        return decode_master_key(path.read_text())
    except OSError as exc:
        raise KeyStoreError(f"cannot read the master key file {path}: {exc.strerror}") from None


def _aad(key_id: str, public_multibase: str) -> bytes:
    # Binds the ciphertext to its row: a blob copied onto another key row will not decrypt.
    return f"microcred-signing-key:{key_id}:{public_multibase}".encode()


def encrypt_private_key(seed: bytes, master_key: bytes, *, key_id: str, public_multibase: str) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(master_key).encrypt(nonce, seed, _aad(key_id, public_multibase))


def decrypt_private_key(blob: bytes, master_key: bytes, *, key_id: str, public_multibase: str) -> bytes:
    if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
        raise KeyStoreError(f"signing key {key_id}: stored private key has an unknown format")
    nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return AESGCM(master_key).decrypt(nonce, ciphertext, _aad(key_id, public_multibase))
    except InvalidTag:
        raise KeyStoreError(
            f"signing key {key_id} cannot be decrypted: wrong master key (MICROCRED_MASTER_KEY / master.key)?"
        ) from None

"""Evidence files: one small storage interface, content-addressed by SHA-256.

`FolderStore` keeps blobs under ``<data dir>/evidence/ab/cd/<sha256>`` (written to a temporary file, then
renamed: a reader never sees half a file); an S3-compatible store can implement the same `EvidenceStore`
protocol. The content type is decided from the bytes (magic numbers), never from a file name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from microcred.errors import DomainError, InvalidInput, NotFound

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG or plain text (UTF-8)"


class EvidenceTooLarge(DomainError):
    """An uploaded file over the size limit (HTTP 413)."""


class UnsupportedEvidenceType(DomainError):
    """An uploaded file whose bytes are not an allowed type (HTTP 415)."""


def sniff_content_type(data: bytes) -> str | None:
    """The content type the bytes themselves show (PDF, PNG, JPEG, UTF-8 plain text), else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and all(ch.isprintable() or ch in "\t\n\r\f" for ch in text):
        return "text/plain"
    return None


def check_file(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The checked content type of an upload; raises EvidenceTooLarge / UnsupportedEvidenceType / InvalidInput."""
    if not data:
        raise InvalidInput("the evidence file is empty")
    if len(data) > max_bytes:
        # Callers read at most max_bytes + 1 bytes of an upload, so len(data) is not the file's size: say only
        # that it is over the limit.
        raise EvidenceTooLarge(
            f"the evidence file is larger than the limit of {max_bytes} bytes ({max_bytes / 1024:.0f} KiB)"
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise UnsupportedEvidenceType(f"the evidence file is not an allowed type: {ALLOWED_DESCRIPTION}")
    return content_type


class EvidenceStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store the bytes; return their SHA-256 (hex). Storing the same bytes twice is harmless."""

    def get(self, sha256: str) -> bytes:
        """The stored bytes; raises NotFound."""


class FolderStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise NotFound("no such evidence file")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("no such evidence file") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise NotFound("the stored evidence file is damaged")
        return data

    def delete(self, sha256: str) -> None:
        """Remove the file (erasure); harmless when it is already gone."""
        self._path(sha256).unlink(missing_ok=True)


def folder_store(data_dir: Path) -> FolderStore:
    return FolderStore(Path(data_dir) / "evidence")

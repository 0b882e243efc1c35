"""Data portability: one ZIP with everything the earner provided and was awarded, and a JSON manifest.

Layout::

    manifest.json                        format, generated time, every file with its SHA-256, size and media type
    profile.json                         name, addresses (verified or not), DID, sharing choices
    credentials/<award id>/credential.json|.jwt|.png|.svg|.pdf   every credential in every format
    evidence/evidence.json               the earner's assessment evidence (narratives, URLs, file names)
    evidence/<evidence id>/<file name>   the evidence files
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.assessments.storage import EvidenceStore
from microcred.audit import services as audit
from microcred.awards import exports
from microcred.awards import queries as awards
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner
from microcred.errors import NotFound
from microcred.ownership import identity, sharing

MANIFEST_FORMAT = "microcred-earner-export/1"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    return _SAFE.sub("_", name).strip("._")[:120] or "file"


class _Archive:
    """The ZIP being written and the manifest's list of its files (path, media type, size, SHA-256)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def add(self, path: str, data: bytes, media_type: str, **extra: Any) -> None:
        self.archive.writestr(path, data)
        self.files.append({"path": path, "media_type": media_type, "bytes": len(data),
                           "sha256": hashlib.sha256(data).hexdigest(), **extra})


@dataclass(frozen=True)
class _Rendering:
    """How the credentials are rendered: the instance's base URL and the language of the human-readable files."""

    base_url: str
    lang: str
    gettext: Callable[[str], str] | None


def _add_credentials(session: Session, out: _Archive, earner: Earner, how: _Rendering) -> list[dict[str, Any]]:
    """Every award of the earner in every export format; the manifest entries."""
    credentials = []
    for award in awards.list_awards(session, earner_id=earner.id):
        summary = awards.summarise(session, award)
        entry: dict[str, Any] = {
            **summary.to_json(how.base_url), "public": sharing.share_choice(session, award.id).public, "files": {}
        }
        for fmt in exports.EXPORT_FORMATS:
            if fmt == "jwt" and not award.credential_jwt:
                continue
            file = exports.export_file(session, award, fmt, base_url=how.base_url, lang=how.lang, gettext=how.gettext)
            path = f"credentials/{award.id}/credential.{exports.EXTENSIONS[fmt]}"
            out.add(path, file.data, file.media_type, award_id=str(award.id), format=fmt)
            entry["files"][fmt] = path
        credentials.append(entry)
    return credentials


def _add_evidence(session: Session, out: _Archive, earner: Earner, base_url: str, store: EvidenceStore | None) -> None:
    """The earner's evidence for the achievements they hold (private items too), with the stored files."""
    achievements = {award.achievement_id for award in awards.list_awards(session, earner_id=earner.id)}
    evidence_meta = []
    for achievement_id in sorted(achievements, key=str):
        for row in assessments.list_evidence(
            session, achievement_id=achievement_id, earner_id=earner.id, include_private=True
        ):
            item = {**assessments.evidence_json(row, base_url), "visibility": row.visibility}
            if row.file_sha256 and store is not None:
                try:
                    data = store.get(row.file_sha256)
                except NotFound:
                    item["file_missing"] = True
                else:
                    path = f"evidence/{row.id}/{_safe_name(row.file_name or row.file_sha256)}"
                    out.add(path, data, row.file_type or "application/octet-stream", evidence_id=str(row.id))
                    item["file"] = path
            evidence_meta.append(item)
    out.add("evidence/evidence.json", _json(evidence_meta), "application/json")


def _profile(session: Session, earner: Earner) -> dict[str, Any]:
    return {
        "id": str(earner.id),
        "name": earner.name,
        "email": earner.email,
        "emails": [{"email": earner.email, "verified": True, "primary": True}]
        + [{"email": e.email, "verified": e.verified_at is not None, "primary": False}
           for e in identity.emails(session, earner.id)],
        "did": earner.did,
        "created_at": earner.created_at.isoformat(),
    }


def build_archive(
    session: Session, earner_id: Any, *, base_url: str, store: EvidenceStore | None,
    lang: str = "en", gettext: Callable[[str], str] | None = None,
) -> bytes:
    earner = earners.get_earner(session, earner_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        out = _Archive(archive)
        credentials = _add_credentials(session, out, earner, _Rendering(base_url, lang, gettext))
        _add_evidence(session, out, earner, base_url, store)
        out.add("profile.json", _json(_profile(session, earner)), "application/json")
        manifest = {
            "format": MANIFEST_FORMAT,
            "generated_at": utcnow().isoformat(),
            "issuer_instance": base_url,
            "earner_id": str(earner.id),
            "credentials": credentials,
            "files": out.files,
        }
        archive.writestr("manifest.json", _json(manifest))
    audit.record(session, "earner.data_exported", f"earner:{earner.id}", {"files": len(out.files)})
    session.flush()
    return buffer.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")

"""The credentials the bench verifies: one of each kind the demo issues, written to files that the in-process
verifiers and the Node verifier both read.

- the Food Safety award (the demo's featured award: an embedded partner endorsement, a status entry);
- an award without an endorsement (Cyber Security Awareness);
- the partner's EndorsementCredential embedded in the Food Safety award;
- the demo earner's CLR (5 credentials), made by the service behind `microcred transcripts clr`;
- a CLR of 20: the same earner after 15 more Food Safety awards issued through `issuing.issue_award`;
- the Food Safety award as a VC-JWT, as `microcred awards export --format jwt` prints it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from benchmarks.instance import Instance

CLR_SIZES = (5, 20)


@dataclass(frozen=True)
class Case:
    key: str  # file stem, JSON key
    name: str  # what the tables show
    kind: str | None  # what the Node verifier is told it is (award, endorsement, clr); None: it cannot verify it
    path: Path

    def load(self) -> dict[str, Any] | str:
        text = self.path.read_text(encoding="utf-8")
        loaded: dict[str, Any] | str = text.strip() if self.path.suffix == ".jwt" else json.loads(text)
        return loaded


def _achievement(document: dict[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject") or {}
    achievement: dict[str, Any] = subject.get("achievement") or {}
    return achievement


def _write(folder: Path, name: str, content: dict[str, Any] | str) -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), "utf-8")
    return path


def _issue(session: Session, inst: Instance, earner_id: Any, count: int) -> None:
    """``count`` more Food Safety awards for the earner, issued as the demo issues its awards."""
    from microcred import issuing
    from microcred.demo import AWARDS
    from microcred.demo.ids import achievement_id
    from microcred.issuers import keystore

    master = keystore.load_master_key(inst.settings)
    evidence = next(e for _earner, key, e in AWARDS if key == "food-safety")
    for _ in range(count):
        issuing.issue_award(
            session, achievement_id=achievement_id("food-safety"), earner_id=earner_id, evidence=evidence,
            base_url=inst.base_url, master_key=master,
        )
    session.flush()


def _clr(session: Session, inst: Instance, email: str) -> dict[str, Any]:
    from microcred.issuers import keystore
    from microcred.transcripts import clr

    master = keystore.load_master_key(inst.settings)
    document = clr.issue_clr(session, email, base_url=inst.base_url, master_key=master)
    return document


def collect(inst: Instance) -> list[Case]:
    """Write one credential of each kind to ``inst.root / "credentials"`` (the CLR of 20 issues 15 awards)."""
    from microcred.awards import queries as awards
    from microcred.demo import EARNERS, find_earner_id

    folder = inst.root / "credentials"
    folder.mkdir(exist_ok=True)
    cases: list[Case] = []
    with inst.factory() as session:
        featured = awards.get_award(session, inst.demo.featured_award_id)
        document = awards.credential_document(featured)
        endorsements = _achievement(document).get("endorsement") or []
        if not endorsements:
            raise AssertionError("the demo's featured award no longer embeds an endorsement")
        plain = next(
            awards.credential_document(a)
            for a in (awards.get_award(session, i) for i in inst.demo.award_ids)
            if not _achievement(awards.credential_document(a)).get("endorsement")
        )
        name = _achievement(document).get("name", "featured")
        cases.append(Case("award", f"award + endorsement ({name})", "award", _write(folder, "award.json", document)))
        plain_name = _achievement(plain).get("name", "award")
        cases.append(Case("award_plain", f"award, no endorsement ({plain_name})", "award",
                          _write(folder, "award_plain.json", plain)))
        cases.append(Case("endorsement", "endorsement (partner, on that achievement)", "endorsement",
                          _write(folder, "endorsement.json", endorsements[0])))
        earner = EARNERS[0]
        earner_id = find_earner_id(session, earner["key"])
        for size in CLR_SIZES:
            clr = _clr(session, inst, earner["email"])
            while (held := len(clr["credentialSubject"]["verifiableCredential"])) < size:
                _issue(session, inst, earner_id, size - held)
                clr = _clr(session, inst, earner["email"])
            cases.append(Case(f"clr_{size}", f"CLR of {held} credentials", "clr",
                              _write(folder, f"clr_{size}.json", clr)))
        jwt = awards.export_award(featured, "jwt")
        cases.append(Case("jwt", f"VC-JWT ({name})", None, _write(folder, "award.jwt", jwt)))
        session.commit()
    return cases

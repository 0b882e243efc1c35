"""Labour-market links of achievements: the occupations an achievement prepares for (ESCO occupations, NOC 2021
unit groups, a CIP 2021 program) and the coverage view from ESCO's occupation–skill relations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.errors import InvalidInput, NotFound
from microcred.partners.models import LabourMarketCode
from microcred.taxonomy import services as taxonomy
from microcred.validation import as_uuid, required_text

NOC_2021 = re.compile(r"^\d{5}$")  # NOC 2021 unit groups: five digits
CIP_2021 = re.compile(r"^\d{2}\.\d{4}$")  # CIP 2021 instructional programs: NN.NNNN


def labour_market_codes(session: Session, achievement_id: uuid.UUID | str) -> list[LabourMarketCode]:
    return list(
        session.scalars(
            select(LabourMarketCode)
            .where(LabourMarketCode.achievement_id == as_uuid(achievement_id, "achievement"))
            .order_by(LabourMarketCode.scheme, LabourMarketCode.position)
        )
    )


def _esco(session: Session, uri: str) -> tuple[str, str, str]:
    uri = required_text(uri, "ESCO occupation", max_length=500)
    occupation = taxonomy.find_occupation(session, uri)
    if occupation is None:
        raise InvalidInput(f"{uri} is not an occupation of any imported framework (import ESCO first?)")
    return ("esco_occupation", uri, occupation.label)


def _noc(code: str, title: str) -> tuple[str, str, str]:
    code = (code or "").strip()
    if not NOC_2021.match(code):
        raise InvalidInput(f"NOC 2021 code {code!r}: expected five digits, e.g. 22221")
    return ("noc_2021", code, required_text(title, f"title of NOC {code}", max_length=500))


def _cip(code: str, title: str) -> tuple[str, str, str]:
    code = (code or "").strip()
    if not CIP_2021.match(code):
        raise InvalidInput(f"CIP 2021 code {code!r}: expected NN.NNNN, e.g. 11.1006")
    return ("cip_2021", code, required_text(title, f"title of CIP {code}", max_length=500))


def _code_rows(achievement_id: uuid.UUID, codes: Iterable[tuple[str, str, str]]) -> list[LabourMarketCode]:
    """One row per ``(scheme, code, label)``, numbered within its scheme; a code listed twice is refused."""
    rows: list[LabourMarketCode] = []
    seen: set[tuple[str, str]] = set()
    for scheme, code, label in codes:
        if (scheme, code) in seen:
            raise InvalidInput(f"{code} is listed twice")
        seen.add((scheme, code))
        position = sum(1 for r in rows if r.scheme == scheme)
        rows.append(
            LabourMarketCode(achievement_id=achievement_id, scheme=scheme, code=code, label=label, position=position)
        )
    return rows


def set_labour_market_codes(
    session: Session,
    achievement_id: uuid.UUID | str,
    *,
    esco: Sequence[str] = (),
    noc: Sequence[tuple[str, str]] = (),
    cip: tuple[str, str] | None = None,
) -> list[LabourMarketCode]:
    """Replace the occupations an achievement prepares for: ESCO occupation URIs (checked against the imported
    taxonomy), NOC 2021 unit groups ``(code, title)`` and at most one CIP 2021 program ``(code, title)``."""
    achievement = catalog.get_achievement(session, achievement_id)
    codes = chain(  # lazily: each code is checked, then checked for a repeat, in the order given
        (_esco(session, uri) for uri in esco),
        (_noc(code, title) for code, title in noc),
        (_cip(*program) for program in ([cip] if cip is not None else [])),
    )
    rows = _code_rows(achievement.id, codes)
    for old in labour_market_codes(session, achievement.id):
        session.delete(old)
    session.flush()
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        "achievement.labour_market_set",
        f"achievement:{achievement.id}",
        {"codes": [f"{r.scheme}:{r.code}" for r in rows]},
    )
    return rows


@dataclass
class OccupationCoverage:
    uri: str
    label: str
    essential_total: int
    optional_total: int
    essential_covered: list[tuple[str, str]]  # (concept uri, label)
    optional_covered: list[tuple[str, str]]
    essential_missing: list[tuple[str, str]]

    @property
    def summary(self) -> str:
        return f"covers {len(self.essential_covered)} of the {self.essential_total} essential skills of {self.label}"

    def as_dict(self) -> dict[str, Any]:
        def pairs(items: list[tuple[str, str]]) -> list[dict[str, str]]:
            return [{"uri": u, "label": lbl} for u, lbl in items]

        return {
            "occupation": self.uri,
            "label": self.label,
            "summary": self.summary,
            "essential_total": self.essential_total,
            "essential_covered": pairs(self.essential_covered),
            "essential_missing": pairs(self.essential_missing),
            "optional_total": self.optional_total,
            "optional_covered": pairs(self.optional_covered),
        }


def aligned_concepts(achievement: Achievement) -> dict[str, str]:
    """The concept URIs the achievement's outcomes are aligned to (uri -> label)."""
    return {a.target_url: a.target_name for o in achievement.outcomes for a in o.alignments}


def coverage(session: Session, achievement_id: uuid.UUID | str) -> list[OccupationCoverage]:
    """For each ESCO occupation the achievement prepares for: which of its aligned skills ESCO lists as essential or
    optional for that occupation (ESCO's occupation–skill relations)."""
    achievement = catalog.get_achievement(session, achievement_id)
    aligned = aligned_concepts(achievement)
    out = []
    for code in labour_market_codes(session, achievement.id):
        if code.scheme != "esco_occupation":
            continue
        occupation = taxonomy.find_occupation(session, code.code, with_skills=True)
        if occupation is None:
            raise NotFound(f"occupation {code.code} is no longer in any imported framework")
        essential = occupation.skills.get("essential", [])
        optional = occupation.skills.get("optional", [])
        out.append(
            OccupationCoverage(
                uri=occupation.uri,
                label=occupation.label,
                essential_total=len(essential),
                optional_total=len(optional),
                essential_covered=[s for s in essential if s[0] in aligned],
                optional_covered=[s for s in optional if s[0] in aligned],
                essential_missing=[s for s in essential if s[0] not in aligned],
            )
        )
    return out

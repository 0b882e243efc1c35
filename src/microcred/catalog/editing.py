"""Edit a draft achievement (published ones are frozen: credentials already point at them)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from sqlalchemy.orm import Session

from microcred.catalog import services
from microcred.catalog.services import Achievement
from microcred.errors import InvalidInput
from microcred.validation import optional_text, optional_url, required_text
from microcred.vc.kwargs import reject_unknown


class DraftOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`update_draft` (left out: cleared, or the default)."""

    criteria_url: str | None
    language: str  # "en"
    credits: float | None
    level: str | None
    confirm_warnings: bool | None  # see services.check_alignments (None: record the warnings, don't block)


def update_draft(
    session: Session,
    achievement_id: uuid.UUID | str,
    *,
    name: str,
    description: str,
    criteria_narrative: str,
    workload_hours: float,
    outcomes: Sequence[services.OutcomeInput | Mapping[str, Any]],
    **options: Unpack[DraftOptions],
) -> Achievement:
    """Replace the fields and the learning outcomes of a draft achievement (alignments checked against their
    outcome's kind as on creation: ``confirm_warnings=False`` refuses unconfirmed warnings)."""
    reject_unknown(options, DraftOptions, "update_draft")
    achievement = services.get_achievement(session, achievement_id)
    if achievement.status != "draft":
        raise InvalidInput("a published achievement cannot change: create a new one")
    if not outcomes:
        raise InvalidInput("a micro-credential needs at least one learning outcome")
    built = [services._build_outcome(o, i) for i, o in enumerate(outcomes)]
    services.check_alignments(session, built, confirm_warnings=options.get("confirm_warnings"))
    achievement.name = required_text(name, "name", max_length=300)
    achievement.description = required_text(description, "description")
    achievement.criteria_narrative = required_text(criteria_narrative, "criteria_narrative")
    achievement.criteria_url = optional_url(options.get("criteria_url"), "criteria_url")
    achievement.language = required_text(options.get("language", "en"), "language", max_length=16)
    achievement.workload_hours = services._number(workload_hours, "workload_hours", required=True)  # type: ignore[assignment]
    achievement.credits = services._number(options.get("credits"), "credits", required=False)
    achievement.level = optional_text(options.get("level"), "level")
    achievement.outcomes.clear()
    session.flush()  # delete the old outcomes before their positions are reused
    achievement.outcomes.extend(built)
    session.flush()
    return achievement


def set_image(session: Session, achievement_id: uuid.UUID | str, image: str | None) -> Achievement:
    """Set (a ``data:image/png|jpeg;base64,`` URI checked by the caller) or clear the image of a draft."""
    achievement = services.get_achievement(session, achievement_id)
    if achievement.status != "draft":
        raise InvalidInput("a published achievement cannot change: create a new one")
    achievement.image = services._image(image)
    session.flush()
    return achievement

"""Achievement names and descriptions in other languages than the achievement's own (EN/FR).

The credential itself carries the achievement's own language only: the OB 3.0 JSON Schema types
``Achievement.name`` and ``Achievement.description`` (and the credential's ``name``) as plain strings, so VC 2.0
language value objects would fail schema validation before signing. The translations are shown on this
instance's pages (console, backpack, public verification page) in the reader's language.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from microcred.catalog import models as _catalog_models  # noqa: F401  (registers the FK target table)
from microcred.db.base import Base, created_at_column, utcnow, uuid_pk
from microcred.errors import InvalidInput
from microcred.i18n import LANGUAGES
from microcred.validation import as_uuid, optional_text


class AchievementTranslation(Base):
    __tablename__ = "achievement_translations"
    __table_args__ = (UniqueConstraint("achievement_id", "language", name="uq_achievement_translations_language"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


def set_translation(
    session: Session,
    achievement_id: uuid.UUID | str,
    language: str,
    *,
    name: str | None,
    description: str | None,
) -> AchievementTranslation | None:
    """Store (or clear, when both are empty) the name and description of an achievement in ``language``."""
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
    aid = as_uuid(achievement_id, "achievement")
    name = optional_text(name, "name", max_length=300)
    description = optional_text(description, "description")
    row = session.scalars(
        select(AchievementTranslation).where(
            AchievementTranslation.achievement_id == aid, AchievementTranslation.language == language
        )
    ).first()
    if name is None and description is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = AchievementTranslation(id=uuid.uuid4(), achievement_id=aid, language=language, created_at=utcnow())
        session.add(row)
    row.name, row.description = name, description
    session.flush()
    return row


def translations(session: Session, achievement_id: uuid.UUID | str) -> dict[str, AchievementTranslation]:
    aid = as_uuid(achievement_id, "achievement")
    rows = session.scalars(select(AchievementTranslation).where(AchievementTranslation.achievement_id == aid))
    return {row.language: row for row in rows}


def localized(
    session: Session, achievement_id: uuid.UUID | str, language: str, *, name: str, description: str
) -> tuple[str, str]:
    """(name, description) in ``language`` where a translation exists, else the given originals."""
    row = translations(session, achievement_id).get(language)
    if row is None:
        return name, description
    return row.name or name, row.description or description

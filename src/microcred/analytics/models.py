"""One row per counted event: its kind, the channel it came through, the day, and what it is about.

What a row holds, and what it never holds:
- the kind (`EventKind`) and a channel (`CHANNELS`: a download's format, the way a verification or a page view
  came in, what an earner shared), the UTC day (a day bucket, not a timestamp: nothing to match a row with a server
  log);
- the achievement it is about (an award's events), or for a status list fetch the organisation and the list
  (totals per list, never tied to an award or an earner);
- NO award id, earner id, user id, IP address, user agent, referrer or cookie. So an earner's erasure has nothing to
  remove here: no row points at an earner or an award (``tests/ownership`` checks every table that does), and the
  counts stay right after it.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, value_in


class EventKind(StrEnum):
    """What happened. Issued, active, revoked, suspended and expired are not events: the awards' read side says."""

    CLAIMED = "claimed"  # an award's earner signed in after it was issued (once per award)
    PAGE_VIEW = "page_view"  # the public credential page was shown (channel: how the visitor came)
    VERIFICATION = "verification"  # a credential of this instance was verified here (channel: page, api, cli)
    STATUS_LIST_FETCH = "status_list_fetch"  # a status list was fetched (organisation and list only)
    DOWNLOAD = "download"  # the credential was downloaded (channel: its format)
    WALLET_DELIVERY = "wallet_delivery"  # a wallet received the credential (OID4VCI; channel: its format)
    SHARE = "share"  # its earner shared it from the share page (channel: linkedin, embed, or link: the address copied)


class Channel(StrEnum):
    # how a visitor came to the public page: through LinkedIn, an embedded snippet, another page, or a link opened
    # directly (pasted, typed, from a mail or an app, a QR code)
    LINKEDIN = "linkedin"
    EMBED = "embed"
    WEB = "web"
    DIRECT = "direct"
    # where a verification ran
    PAGE = "page"
    API = "api"
    CLI = "cli"
    # formats (downloads, wallet deliveries)
    JSON = "json"
    JWT = "jwt"
    PNG = "png"
    SVG = "svg"
    PDF = "pdf"
    LDP_VC = "ldp_vc"
    JWT_VC_JSON = "jwt_vc_json"
    # what an earner shared (with LINKEDIN and EMBED): the public address, copied
    LINK = "link"


EVENT_KINDS = tuple(str(k) for k in EventKind)
CHANNELS = tuple(str(c) for c in Channel)
ARRIVALS = (Channel.LINKEDIN, Channel.EMBED, Channel.WEB, Channel.DIRECT)
VERIFIED_ON = (Channel.PAGE, Channel.API, Channel.CLI)
DOWNLOAD_FORMATS = (Channel.JSON, Channel.JWT, Channel.PNG, Channel.SVG, Channel.PDF)
WALLET_FORMATS = (Channel.LDP_VC, Channel.JWT_VC_JSON)
SHARED_AS = (Channel.LINK, Channel.LINKEDIN, Channel.EMBED)


class AnalyticsEvent(Base):
    __tablename__ = "analytics_events"
    __table_args__ = (
        CheckConstraint(value_in("kind", EVENT_KINDS), name="kind"),
        CheckConstraint(value_in("channel", CHANNELS), name="channel"),
        CheckConstraint("achievement_id IS NOT NULL OR organisation_id IS NOT NULL", name="subject"),
        Index("ix_analytics_events_achievement_day", "achievement_id", "day"),
        Index("ix_analytics_events_organisation_day", "organisation_id", "day"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date, nullable=False)  # UTC
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("achievements.id", ondelete="CASCADE"))
    # status list fetches only (with the list): the organisation whose list it is
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id", ondelete="CASCADE"))
    status_list_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("status_lists.id", ondelete="CASCADE"), index=True
    )

    def __repr__(self) -> str:
        return f"AnalyticsEvent(kind={self.kind!r}, channel={self.channel!r}, day={self.day})"

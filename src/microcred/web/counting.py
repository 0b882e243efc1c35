"""The web's hooks into `microcred.analytics`: what the public pages, the verifiers and the backpack count.

Counts only: a row names the event's kind, its channel and the achievement (or the status list), never who
(no IP, user agent, referrer or cookie is kept; the referrer is only read to tell a visit through LinkedIn).

Reading requests (a credential page, a download, a verification, a status list fetch) hold no write transaction,
and on SQLite a reader must never wait for a writer (issue 12). So their count is stored after the response is sent
(a background task of the response, in a session of its own: one INSERT, committed): the visitor never waits for
it, and a count that cannot be stored is logged, never shown. Writing requests (a wallet delivery, a sign-in, an
earner's share) count inside their own transaction (`count_claims`, `share`, `ownership.oid4vci`), so the count is
kept exactly when the work is.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask, BackgroundTasks

from microcred.analytics import services as analytics
from microcred.analytics.services import Channel, EventKind
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.db import is_transient_lock_error
from microcred.errors import InvalidInput
from microcred.i18n import gettext as _

log = logging.getLogger(__name__)
R = TypeVar("R", bound=Response)

# the public ?format= and the backpack's download names, as counted
DOWNLOAD_CHANNELS = {
    "di": Channel.JSON,
    "json": Channel.JSON,
    "jwt": Channel.JWT,
    "png": Channel.PNG,
    "svg": Channel.SVG,
    "pdf": Channel.PDF,
}


def _store(factory: sessionmaker[Session], kind: str, about: dict[str, Any], base_url: str | None = None) -> None:
    """One event, in a session of its own. With ``base_url``, ``about["credential"]`` is a verified document: it
    is counted only when it names an award of this instance (another issuer's credential is not counted)."""
    with factory() as session:
        try:
            if base_url is not None:
                award_id = analytics.award_id_in(about.pop("credential"), base_url)
                award = awards.find_award(session, award_id) if award_id is not None else None
                if award is None:
                    return
                about["achievement_id"] = award.achievement_id
            analytics.record(session, kind, **about)
            session.commit()
        except SQLAlchemyError as exc:  # best effort: the response has gone out already
            session.rollback()
            level = logging.INFO if is_transient_lock_error(exc) else logging.WARNING
            log.log(level, "analytics: a %s event could not be counted: %s", kind, type(exc).__name__)


def _after(
    request: Request, response: R, kind: str, about: dict[str, Any], base_url: str | None = None
) -> R:
    """``response``, with the event to store once it is sent (after any task it already had)."""
    task = BackgroundTask(_store, request.app.state.session_factory, kind, about, base_url)
    if response.background is None:
        response.background = task
    else:
        tasks = BackgroundTasks([response.background, task])
        response.background = tasks
    return response


def arrival(request: Request) -> str:
    """How a visitor came to a public credential page: through its embedded snippet (``?via=embed``), LinkedIn
    (the referrer's host), another page, or directly (a link pasted, typed or opened from a mail or an app)."""
    if request.query_params.get("via") == "embed":
        return Channel.EMBED
    referrer = request.headers.get("referer")
    if not referrer:
        return Channel.DIRECT
    host = (urlsplit(referrer).hostname or "").lower()
    if host == "linkedin.com" or host.endswith(".linkedin.com") or host == "lnkd.in":
        return Channel.LINKEDIN
    return Channel.WEB


def page_view(request: Request, response: R, award: Award) -> R:
    about = {"achievement_id": award.achievement_id, "channel": arrival(request)}
    return _after(request, response, EventKind.PAGE_VIEW, about)


def download(request: Request, response: R, award: Award, fmt: str) -> R:
    channel = DOWNLOAD_CHANNELS.get(fmt)
    if channel is None:
        return response
    return _after(request, response, EventKind.DOWNLOAD, {"achievement_id": award.achievement_id, "channel": channel})


def verification(request: Request, response: R, credential: object, channel: str) -> R:
    """Count a verification of one of this instance's credentials (looked up after the response is sent)."""
    base_url: str = request.app.state.settings.base_url
    return _after(request, response, EventKind.VERIFICATION, {"credential": credential, "channel": channel}, base_url)


def status_list(request: Request, response: R, organisation_id: uuid.UUID, list_id: uuid.UUID) -> R:
    about = {"organisation_id": organisation_id, "status_list_id": list_id}
    return _after(request, response, EventKind.STATUS_LIST_FETCH, about)


def count_claims(session: Session, earner_id: uuid.UUID | None, previous_sign_in: datetime | None) -> int:
    """An earner signed in: each of their awards issued since their previous sign-in (every award, on the first)
    is claimed now, once. Counted in the sign-in's transaction; returns how many."""
    if earner_id is None:
        return 0
    claimed = [
        a.achievement_id
        for a in awards.list_awards(session, earner_id=earner_id)
        if previous_sign_in is None or a.issued_at > previous_sign_in
    ]
    return analytics.record_each(session, EventKind.CLAIMED, claimed)


def share(session: Session, award: Award, channel: str) -> None:
    """The award's earner shared it from the share page: copied its public address (``link``) or its embed snippet
    (``embed``), or added it to LinkedIn (``linkedin``). One event in the POST's own transaction (the handler
    commits); counted for a private credential too, since the earner did share it."""
    if channel not in analytics.SHARED_AS:
        raise InvalidInput(_("Choose what was shared: the address (link), the snippet (embed) or LinkedIn."))
    analytics.record(session, EventKind.SHARE, achievement_id=award.achievement_id, channel=channel)

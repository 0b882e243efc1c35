"""The console's page for one earner (`/console/earners/{id}`, issue 16): who they are, their awards from the staff
member's organisation, their pathway progress, and what a registrar does for them (transcripts, CLR, data export
and erasure on request).

Who may see an earner (privacy). The earner records do not say which organisation added an earner (`earners` has
no such column: an earner is one person across the instance), so the one rule the data supports is: a staff member
with `manage_earners` sees an earner only when the earner holds at least one award, in any state (revoked,
suspended, replaced and expired included), of an achievement of the staff member's own organisation. Anyone else
gets the same 404 as for an id that does not exist, so the page never tells that an earner exists elsewhere. The
page shows only that organisation's awards and pathways.

The registrar's files go through the API's calls, limited to the staff member's organisation: the transcript PDF
and CSV are `backpack.transcripts.registrar_file` with ``of_issuer`` (only this organisation's awards: on a shared
instance a registrar never sees, in a file, what another organisation awarded), the CLR is
`transcripts.clr.issue_clr` with ``issuer_id`` the staff member's organisation and ``only_issuer`` (THIS
organisation signs it, holding its own awards; the audit entry names the key), the data export is
`ownership.portability.build_archive`
(the earner's ZIP, audited `earner.data_exported`), erasure is `ownership.erasure.erase_earner` (audited
`earner.erased`). Every audit entry recorded here names the staff member (`web:<email>`). The API's files are
not counted by the analytics hooks (web/counting.py counts credential pages and downloads only), so these are not.

Erasure is for organisation administrators (`manage_organisations`; anyone else 403) and asks to confirm first.
The service keeps the earner's row, emptied (awards point at it), and its ledger row: after erasure the page is
still there and says the data was erased, with the kept awards; the downloads then answer 409 (there is nothing
personal left to put in them), and a second erasure is refused with 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.assessments.storage import folder_store
from microcred.audit.services import acting_as
from microcred.awards import queries as award_queries
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner
from microcred.errors import DomainError
from microcred.i18n import current_language
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.ownership import erasure, portability
from microcred.settings import Settings
from microcred.transcripts import clr, pathways
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.render import render
from microcred.web.routes.backpack.transcripts import registrar_file
from microcred.web.routes.console.awards import status_labels, true_status
from microcred.web.routes.console.common import EarnerManager, FormData, OrgManager, console_router, redirect

router = console_router()
Lang = Literal["en", "fr"]


@dataclass(frozen=True)
class Seen:
    """An earner as a staff member may see them: the earner and their awards of the organisation's achievements."""

    earner: Earner
    awards: list[award_queries.Award]
    achievement_ids: set[uuid.UUID]


@dataclass(frozen=True)
class AwardRow:
    summary: award_queries.AwardSummary
    status: str
    label: str


def visible_earner(session: Session, user: User, earner_id: str) -> Seen | None:
    """The earner, if they hold at least one award of an achievement of ``user``'s organisation; otherwise None
    (a 404: a malformed id, a missing earner and another organisation's earner look the same)."""
    if user.organisation_id is None:
        return None
    try:
        earner = earners.get_earner(session, earner_id)
    except DomainError:
        return None
    mine = {a.id for a in catalog.list_achievements(session, issuer_id=user.organisation_id)}
    held = [a for a in award_queries.list_awards(session, earner_id=earner.id) if a.achievement_id in mine]
    return Seen(earner, held, mine) if held else None


def _held_elsewhere(session: Session, seen: Seen) -> bool:
    """Whether the earner also holds awards of other organisations on this instance: their export and erasure then
    cover data that is not this organisation's, so the console leaves them to the instance's administrator."""
    return any(
        a.achievement_id not in seen.achievement_ids
        for a in award_queries.list_awards(session, earner_id=seen.earner.id)
    )


def _elsewhere_refusal(request: Request) -> Response:
    return error_response(
        request,
        409,
        _(
            "This earner also holds credentials of other organisations on this instance, so their data export and "
            "erasure cover more than your organisation's records. Ask the instance's administrator (microcred "
            "earners export or microcred earners erase), or the earner, who can do both from their backpack."
        ),
    )


def _with_personal_data(request: Request, session: Session, user: User, earner_id: str) -> Seen | Response:
    """The earner, for a file made of their personal data; else the answer: 404 (not visible), 409 (erased)."""
    seen = visible_earner(session, user, earner_id)
    if seen is None:
        return _not_found(request)
    if earners.is_erased(session, seen.earner.id):
        return _erased_refusal(request)
    return seen


def _not_found(request: Request) -> Response:
    return error_response(
        request,
        404,
        _(
            "No earner with this id holds an award of your organisation. An earner's page opens once your "
            "organisation has awarded them a credential: check the link, or find them in the list of earners."
        ),
    )


def _erased_refusal(request: Request) -> Response:
    return error_response(
        request,
        409,
        _(
            "This earner's personal data was erased: there is no transcript, CLR or data export to produce. "
            "Their awards are kept only as a ledger, shown on their page."
        ),
    )


def _award_rows(session: Session, seen: Seen) -> list[AwardRow]:
    labels = status_labels()
    now = utcnow()
    rows = []
    for award in sorted(seen.awards, key=lambda a: a.issued_at, reverse=True):
        summary = award_queries.summarise(session, award)
        status = true_status(summary, now)
        rows.append(AwardRow(summary, status, labels[status]))
    return rows


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    seen: Seen,
    *,
    status_code: int = 200,
    **state: Any,
) -> Response:
    """The page; ``state``: confirm_erase (the confirmation step), done ("erased"), general_error."""
    earner = seen.earner
    erased = earners.is_erased(session, earner.id)
    progress = [
        p
        for p in pathways.earner_progress(session, earner.id, settings.base_url)
        if p.pathway.achievement_id in seen.achievement_ids
    ]
    context: dict[str, Any] = {
        "earner": earner,
        "erased": erased,
        "extra_emails": [] if erased else earners.emails(session, earner.id),
        "rows": _award_rows(session, seen),
        "progress": progress,
        "can_erase": accounts.can(user, "manage_organisations") and not erased,
        "lang": current_language(),
        "confirm_erase": bool(state.get("confirm_erase")) and not erased,
        "done": state.get("done") if state.get("done") == "erased" else None,
        "general_error": state.get("general_error"),
    }
    return render(request, "console/earner_detail.html", context, status_code=status_code)


@router.get("/earners/{earner_id}", name="console_earner_detail")
def earner_detail(
    earner_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: EarnerManager,
    done: str | None = None,
) -> Response:
    seen = visible_earner(session, user, earner_id)
    if seen is None:
        return _not_found(request)
    return _page(request, session, settings, user, seen, done=done)


def _registrar(
    fmt: str, earner_id: str, request: Request, session: Session, settings: Settings, user: User, lang: str | None
) -> Response:
    seen = _with_personal_data(request, session, user, earner_id)
    if isinstance(seen, Response):
        return seen
    return registrar_file(session, seen.earner, settings.base_url, fmt, lang, of_issuer=user.organisation_id)


@router.get("/earners/{earner_id}/transcript.{fmt}", name="console_earner_transcript")
def transcript(
    earner_id: str,
    fmt: Literal["pdf", "csv"],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: EarnerManager,
    lang: Lang | None = None,
) -> Response:
    """The registrar transcript, PDF or CSV, of this organisation's awards."""
    return _registrar(fmt, earner_id, request, session, settings, user, lang)


@router.get("/earners/{earner_id}/clr", name="console_earner_clr")
def earner_clr(
    earner_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerManager
) -> Response:
    """The CLR 2.0 signed by the staff member's organisation (the API's `?issuer=`), as a download."""
    seen = _with_personal_data(request, session, user, earner_id)
    if isinstance(seen, Response):
        return seen
    if not clr.current_awards(session, seen.earner.id, of_issuer=user.organisation_id):
        return error_response(
            request,
            409,
            _(
                "This earner holds no active credential, so there is nothing to put in a CLR: a CLR holds only "
                "credentials that verify now (not revoked, suspended, replaced or expired)."
            ),
        )
    with acting_as(f"web:{user.email}"):
        document = clr.issue_clr(
            session,
            str(seen.earner.id),
            base_url=settings.base_url,
            issuer_id=user.organisation_id,
            only_issuer=True,
            master_key=keystore.load_master_key(settings),
        )
    session.commit()  # the audit entry of the issued CLR
    return JSONResponse(
        document,
        media_type="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="clr-{seen.earner.id}.json"'},
    )


@router.get("/earners/{earner_id}/export.zip", name="console_earner_export")
def earner_export(
    earner_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerManager
) -> Response:
    """The earner's data export (the ZIP of `GET /api/earners/{ref}/export.zip`), audited with the staff member."""
    seen = _with_personal_data(request, session, user, earner_id)
    if isinstance(seen, Response):
        return seen
    if _held_elsewhere(session, seen):
        return _elsewhere_refusal(request)
    with acting_as(f"web:{user.email}"):
        data = portability.build_archive(
            session,
            seen.earner.id,
            base_url=settings.base_url,
            store=folder_store(settings.data_dir),
            lang=current_language(),
            gettext=_,
        )
    session.commit()  # the audit entry of the export
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="earner-{seen.earner.id}.zip"'},
    )


@router.post("/earners/{earner_id}/erase", name="console_earner_erase")
def erase(
    earner_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData
) -> Response:
    """Erasure on request: without ``confirm=yes`` the confirmation step (nothing done); with it, the service."""
    seen = visible_earner(session, user, earner_id)
    if seen is None:
        return _not_found(request)
    if earners.is_erased(session, seen.earner.id):
        message = _("This earner's data was already erased: there is nothing more to erase.")
        return _page(request, session, settings, user, seen, status_code=409, general_error=message)
    if _held_elsewhere(session, seen):
        return _elsewhere_refusal(request)
    if data.get("confirm") != "yes":
        return _page(request, session, settings, user, seen, confirm_erase=True)
    try:
        with acting_as(f"web:{user.email}"):
            erasure.erase_earner(session, seen.earner.id, store=folder_store(settings.data_dir))
        session.commit()
    except DomainError as exc:  # a concurrent erasure got there first (Conflict): nothing was deleted here
        session.rollback()
        fresh = visible_earner(session, user, earner_id)
        if fresh is None:
            return _not_found(request)
        again = earners.is_erased(session, fresh.earner.id)
        message = _("This earner's data was already erased: there is nothing more to erase.") if again else str(exc)
        return _page(request, session, settings, user, fresh, status_code=409, general_error=message)
    return redirect(f"/console/earners/{seen.earner.id}?done=erased")

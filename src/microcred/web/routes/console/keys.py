"""The console's signing keys page (`/console/keys`): the organisation's keys, rotation and marking a key
compromised, with the consequences spelled out before confirming (issue 16, point 4).

For organisation administrators only (`manage_organisations`, the strictest console role). Each action is a
CSRF-checked POST that first shows a confirmation step (nothing is done until `confirm=yes`), then goes through
`issuers.services` and `issuing.maintenance.queue_after_rotation` in one transaction, as `microcred keys rotate|
compromised` do. A refusal (bad date, unknown key, a key of another organisation, a key already compromised) is a
400 with a message in the staff member's language."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.errors import Conflict, DomainError, NotFound
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuing import maintenance
from microcred.settings import Settings
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import FormData, OrgManager, console_router, redirect

router = console_router()

DONE = ("rotated", "compromised")
JOB_KINDS = ("resign_status_lists", "reissue")


@dataclass(frozen=True)
class KeyRow:
    id: str
    public_key_multibase: str
    short: str
    status: str
    status_label: str
    created_at: datetime
    compromised_since: datetime | None


@dataclass(frozen=True)
class JobRow:
    job_id: int
    kind: str
    label: str


def _short(multibase: str) -> str:
    return multibase if len(multibase) <= 20 else f"{multibase[:10]}…{multibase[-6:]}"


def _status_labels() -> dict[str, str]:
    return {"active": _("Active"), "retired": _("Retired"), "compromised": _("Compromised")}


def _rows(session: Session, org_id: uuid.UUID) -> list[KeyRow]:
    labels = _status_labels()
    return [
        KeyRow(
            str(k.id),
            k.public_key_multibase,
            _short(k.public_key_multibase),
            k.status,
            labels.get(k.status, k.status),
            k.created_at,
            k.compromised_since,
        )
        for k in issuers.list_signing_keys(session, org_id)
    ]


def _job_label(kind: str) -> str:
    if kind == "reissue":
        return _("re-issue everything the old key signed, under the new key")
    return _("re-sign one of your status lists with the new key")


def _jobs_from_query(values: list[str]) -> list[JobRow]:
    """The `job=<kind>:<id>` parameters of the redirect after an action (anything else is ignored)."""
    rows = []
    for value in values[:50]:
        kind, _sep, number = value.partition(":")
        if kind in JOB_KINDS and number.isdigit():
            rows.append(JobRow(int(number), kind, _job_label(kind)))
    return rows


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    *,
    form: Form | None = None,
    status_code: int = 200,
    **state: Any,
) -> Response:
    """The keys page; ``state``: general_error, done, jobs, confirm ("rotate" or "compromise": the confirmation
    step), failed (the form whose errors are shown), key (the key chosen for compromise), since (its parsed time)."""
    if user.organisation_id is None:  # every route answers 404 first
        raise NotFound(_("your account belongs to no organisation, so it has no signing keys"))
    org = issuers.get_organisation(session, user.organisation_id)
    context: dict[str, Any] = {
        "organisation": org,
        "keys": _rows(session, org.id),
        "did": issuers.did_for(org, settings.base_url),
        "did_document_url": issuers.did_document_url(org, settings.base_url),
        "issuer_url": issuers.issuer_url(org, settings.base_url),
        "form": form or Form({}),
        "general_error": state.get("general_error"),
        "done": state.get("done") if state.get("done") in DONE else None,
        "jobs": state.get("jobs") or [],
        "confirm": state.get("confirm"),
        "failed": state.get("failed"),
        "key": state.get("key"),
        "since": state.get("since"),
        "reissue": bool(state.get("reissue")),
        "current": state.get("current"),
    }
    return render(request, "console/keys.html", context, status_code=status_code)


def _no_organisation(request: Request) -> Response:
    return error_response(request, 404, _("your account belongs to no organisation, so it has no signing keys"))


@router.get("/keys", name="console_keys")
def keys_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OrgManager,
    done: str | None = None,
    job: Annotated[list[str] | None, Query()] = None,
) -> Response:
    if user.organisation_id is None:
        return _no_organisation(request)
    return _page(request, session, settings, user, done=done, jobs=_jobs_from_query(job or []))


def _done(action: str, queued: list[maintenance.QueuedJob]) -> Response:
    query = "&".join(f"job={job.kind}:{job.job_id}" for job in queued)
    return redirect(f"/console/keys?done={action}" + (f"&{query}" if query else ""))


@router.post("/keys/rotate", name="console_keys_rotate")
def rotate(request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData) -> Response:
    if user.organisation_id is None:
        return _no_organisation(request)
    reissue = data.get("reissue") == "yes"
    active = issuers.active_signing_key_id(session, user.organisation_id)
    if data.get("confirm") != "yes":
        return _page(
            request, session, settings, user, form=Form(data), confirm="rotate", reissue=reissue, current=active
        )
    if data.get("current", "") != (str(active) if active else ""):  # a second click, or another administrator
        message = _(
            "The key was already rotated meanwhile (a second click?): nothing more was done. The keys are below."
        )
        return _page(request, session, settings, user, status_code=400, general_error=message)
    org_id = user.organisation_id
    with acting_as(f"web:{user.email}"):
        old_ids = [k.id for k in issuers.list_signing_keys(session, org_id) if k.status == "active"]
        issuers.rotate_signing_key(session, org_id, master_key=keystore.load_master_key(settings))
        queued = maintenance.queue_after_rotation(session, org_id, old_ids, reissue=reissue, actor=f"web:{user.email}")
    session.commit()
    return _done("rotated", queued)


def _since(form: Form) -> datetime | None:
    """The `since` field (`YYYY-MM-DDTHH:MM[:SS]`, as a datetime-local input sends it), read as UTC."""
    text = form.text("since", required=True, max_length=40)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        form.errors["since"] = _("Enter a date and time such as 2026-01-31T14:30 (UTC).")
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC):
        form.errors["since"] = _("This time is in the future: give the time (UTC) from which the key is distrusted.")
        return None
    return moment


@router.post("/keys/compromised", name="console_keys_compromised")
def compromised(
    request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData
) -> Response:
    if user.organisation_id is None:
        return _no_organisation(request)
    org_id = user.organisation_id
    form = Form(data)
    key_ref = form.text("key", required=True, max_length=120)
    moment = _since(form)
    reissue = data.get("reissue") == "yes"
    if not form.ok or key_ref is None or moment is None:
        return _page(request, session, settings, user, form=form, status_code=400, failed="compromise")
    try:
        record = issuers.find_signing_key(session, org_id, key_ref)
    except (NotFound, DomainError):
        message = _("Your organisation has no such signing key: choose one of the keys listed below.")
        return _page(request, session, settings, user, form=form, status_code=400, general_error=message)
    if record.status == "compromised":
        message = _("This key is already marked compromised.")
        return _page(request, session, settings, user, form=form, status_code=400, general_error=message)
    if data.get("confirm") != "yes":
        row = next(r for r in _rows(session, org_id) if r.id == str(record.id))
        return _page(
            request, session, settings, user, form=form, confirm="compromise", key=row, since=moment, reissue=reissue
        )
    try:
        with acting_as(f"web:{user.email}"):
            issuers.compromise_key(
                session, org_id, str(record.id), since=moment, master_key=keystore.load_master_key(settings)
            )
            queued = maintenance.queue_after_rotation(
                session, org_id, [record.id], reissue=reissue, actor=f"web:{user.email}"
            )
        session.commit()
    except Conflict:
        session.rollback()
        message = _("This key is already marked compromised.")
        return _page(request, session, settings, user, form=form, status_code=400, general_error=message)
    return _done("compromised", queued)

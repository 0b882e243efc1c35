"""The console's bulk issuance (issue 15, docs/bulk-issuance.md): upload a CSV file -> its dry run, row by row
(what will be issued, or why not) -> "Issue N awards" -> progress, then the counts, the rows that failed and the
results as CSV. A batch is shown to, and acted on by, the staff of its organisation only (404 for anyone else).

The batches services do the work, as for the command line and the API: the dry run stores the batch; starting it
enqueues its job (on SQLite the worker thread of `microcred serve` runs it, on PostgreSQL `microcred worker`)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.accounts.services import User
from microcred.batches import csvfile, views
from microcred.batches import services as batches
from microcred.batches import tasks as _batch_tasks  # noqa: F401 (the job's task, known to this process's workers)
from microcred.errors import DomainError, NotFound
from microcred.i18n import N_
from microcred.i18n import gettext as _
from microcred.settings import Settings
from microcred.urls import credential_url
from microcred.web import reading
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form
from microcred.web.middleware import megabytes
from microcred.web.render import render
from microcred.web.routes.console.common import (
    Awarder,
    FormData,
    achievements_for,
    console_router,
    issuing,
    localized_name,
    redirect,
)

router = console_router()
PAGE_SIZE = 200
PROBLEMS = (batches.RowState.REFUSED.value, batches.RowState.FAILED.value)
# English source strings, translated when shown (the N_ marks them for the catalogue).
BATCH_STATES = {
    "draft": N_("Nothing can be issued"),
    "dry-run-ok": N_("Checked, waiting for you to start it"),
    "queued": N_("Waiting to be issued"),
    "running": N_("Being issued"),
    "finished": N_("Finished"),
    "cancelled": N_("Cancelled"),
}
ROW_STATES = {
    "pending": N_("Will be issued"),
    "issued": N_("Award issued"),  # not "Issued": that msgid is the "Issued on" column elsewhere
    "refused": N_("Cannot be issued"),
    "failed": N_("Failed"),
}
# A pending row once the batch was started, or after it was cancelled.
PENDING_LABELS = {"queued": N_("Waiting"), "running": N_("Waiting"), "cancelled": N_("Not issued: cancelled")}
ROW_MARKS = {"pending": "○", "issued": "✓", "refused": "✗", "failed": "✗"}
WAITING = ("queued", "running")


def actor(user: User) -> str:
    """The audit log's actor of what a staff member does here (and the batch's ``created_by``)."""
    return f"web:{user.id}"


def own_batch(session: Session, user: User, batch_id: str) -> batches.AwardBatch:
    """The batch, if it is one of the staff member's organisation (or theirs, when it names no organisation)."""
    batch = batches.get_batch(session, batch_id)
    if issuing(user):
        if batch.organisation_id == user.organisation_id and batch.organisation_id is not None:
            return batch
        if batch.organisation_id is None and batch.created_by == actor(user):
            return batch
    raise NotFound(_("no award batch with this id in your organisation"))


def _recent(session: Session, user: User) -> list[dict[str, Any]]:
    if not issuing(user) or user.organisation_id is None:
        return []
    found = views.recent(session, organisation_id=user.organisation_id, created_by=actor(user))
    return [
        {"batch": b, "state": _(BATCH_STATES.get(b.state, b.state)), "counts": batches.counts(session, b.id)}
        for b in found
    ]


def _upload_page(
    request: Request, session: Session, user: User, *, form: Form, status_code: int = 200, problem: str | None = None
) -> Response:
    published = [(str(a.id), localized_name(session, a)) for a in achievements_for(session, user, status="published")]
    return render(
        request,
        "console/bulk.html",
        {
            "form": form,
            "achievement_options": published,
            "batches": _recent(session, user),
            "general_error": problem,
            "columns": column_help(),
            "max_size": megabytes(request.app.state.settings.max_bulk_file_bytes),
        },
        status_code=status_code,
    )


def column_help() -> list[tuple[str, str]]:
    """The template's columns and what each holds (the page's documentation of the file)."""
    return [
        ("earner_name", _("The earner's name: needed only when no earner has this email address yet.")),
        ("email", _("The earner's email address (or give earner_id).")),
        ("earner_id", _("The earner's id in microcred, instead of the email address.")),
        ("achievement_id, achievement_code", _("The achievement, by id or by course code; may be left empty when "
                                               "you choose one achievement for the whole file below.")),
        ("valid_from, valid_until", _("Optional dates, such as 2026-09-01.")),
        ("outcome_1 … outcome_99", _("Each learning outcome's result, in the achievement's order: for an assessed "
                                    "achievement, the level or the score.")),
        ("evidence_url, evidence_narrative", _("Optional: one piece of evidence.")),
        ("term, credits_earned, final_result", _("Optional: the award's transcript line.")),
    ]  # fmt: skip


@router.get("/awards/bulk", name="console_bulk")
def upload_form(request: Request, session: SessionDep, user: Awarder) -> Response:
    return _upload_page(request, session, user, form=Form({"notify": ""}))


@router.get("/awards/bulk/template.csv", name="console_bulk_template")
def template_csv(user: Awarder) -> Response:
    return Response(
        csvfile.template(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="microcred-bulk-template.csv"'},
    )


def _read_form(session: Session, user: User, form: Form) -> tuple[UploadFile | None, str | None]:
    upload = form.data.get("file")
    if not isinstance(upload, UploadFile) or not (upload.filename or "").strip():
        form.errors["file"] = _("Choose the CSV file to upload.")
        upload = None
    allowed = [str(a.id) for a in achievements_for(session, user, status="published")]
    achievement = form.choice("achievement", allowed, required=False)
    return upload, achievement


def problem_text(exc: DomainError) -> str:
    """Why a file is refused, in the reader's language, naming this page's template (not the command line's)."""
    if not isinstance(exc, csvfile.FileRefused):
        return str(exc)
    values = {name: megabytes(value) if isinstance(value, csvfile.Size) else str(value)
              for name, value in exc.values.items()}  # fmt: skip
    if "template" in values:
        values["template"] = _("the template you can download on this page")
    return _(exc.template, **values)


def _create(session: Session, factory: sessionmaker[Session], settings: Settings, user: User, data: bytes,
            options: batches.Options) -> Any:  # fmt: skip
    """The batch and its dry run, committed; the message to show instead when the file cannot be used (nothing
    is kept then). The file is checked in a session of its own (`web.reading`): no write lock is held meanwhile."""
    organisation_id = user.organisation_id
    try:
        checked = reading.in_session_of_its_own(
            session,
            factory,
            lambda own: batches.check_file(
                own, data, max_bytes=settings.max_bulk_file_bytes, base_url=settings.base_url, options=options,
                release_every=reading.DRY_RUN_SLICE, pause=reading.slice_pause(own),
            ),
        )
    except DomainError as exc:
        session.rollback()
        return exc  # said in the reader's language by the route (`problem_text`)
    if checked.organisation_id is not None and checked.organisation_id != organisation_id:
        return _("This file names achievements of another organisation. You can only award your organisation's "
                 "achievements: correct the achievement codes, or choose the achievement below.")  # fmt: skip
    batch_id = batches.store_checked(session, checked).id
    session.commit()
    return batch_id


@router.post("/awards/bulk", name="console_bulk_upload")
async def upload(
    request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    form = Form(data)
    upload_file, achievement = _read_form(session, user, form)
    if upload_file is None or not form.ok:
        return _upload_page(request, session, user, form=form, status_code=400)
    content = await upload_file.read(settings.max_bulk_file_bytes + 1)
    options = batches.Options(
        achievement=achievement,
        notify=bool(form.data.get("notify")),
        created_by=actor(user),
        file_name=upload_file.filename,
        organisation_id=user.organisation_id,
    )
    factory = request.app.state.session_factory
    made = await run_in_threadpool(_create, session, factory, settings, user, content, options)
    if isinstance(made, uuid.UUID):
        return redirect(f"/console/awards/bulk/{made}")
    problem = problem_text(made) if isinstance(made, DomainError) else made
    return _upload_page(request, session, user, form=form, status_code=400, problem=problem)


def _achievement_names(session: Session, user: User) -> dict[uuid.UUID, str]:
    return {a.id: localized_name(session, a) for a in achievements_for(session, user)}


def row_label(row_state: str, batch_state: str) -> str:
    if row_state == batches.RowState.PENDING and batch_state in PENDING_LABELS:
        return _(PENDING_LABELS[batch_state])
    return _(ROW_STATES.get(row_state, row_state))


def _row_view(
    row: batches.AwardBatchRow, batch_state: str, names: dict[uuid.UUID, str], base_url: str
) -> dict[str, Any]:
    cells = row.data or {}
    achievement = names.get(row.achievement_id) if row.achievement_id else None
    return {
        "number": row.row_number,
        "earner": cells.get("email") or cells.get("earner_id") or "",
        "earner_name": cells.get("earner_name") or "",
        "achievement": achievement or cells.get("achievement_code") or cells.get("achievement_id") or "",
        "state": row.state,
        "label": row_label(row.state, batch_state),
        "mark": ROW_MARKS.get(row.state, ""),
        "error": row.error,
        "award_url": credential_url(row.award_id, base_url) if row.award_id else None,
    }


def _pages(total: int, page: int) -> tuple[int, int]:
    """The page shown (1-based, within range) and the number of pages."""
    count = max(1, math.ceil(total / PAGE_SIZE))
    return min(max(page, 1), count), count


@dataclass(frozen=True)
class Shown:
    """What the batch page shows: which rows (all, or only the refused and failed ones), which page of them, and a
    notice or a problem above them."""

    show: str = "all"
    page: int = 1
    status_code: int = 200
    notice: str | None = None
    problem: str | None = None


def _batch_page(
    request: Request, session: Session, settings: Settings, user: User, batch: batches.AwardBatch, shown: Shown
) -> Response:
    show, notice, problem = shown.show, shown.notice, shown.problem
    states = PROBLEMS if show == "problems" else None
    counts = batches.counts(session, batch.id)
    shown_total = views.row_count(session, batch.id, states=states)
    page, pages = _pages(shown_total, shown.page)
    found = views.row_page(session, batch.id, states=states, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    names = _achievement_names(session, user)
    return render(
        request,
        "console/bulk_batch.html",
        {
            "batch": batch,
            "state_label": _(BATCH_STATES.get(batch.state, batch.state)),
            "counts": counts,
            "rows": [_row_view(r, batch.state, names, settings.base_url) for r in found],
            "show": "problems" if states else "all",
            "page": page,
            "pages": pages,
            "shown_total": shown_total,
            "first": (page - 1) * PAGE_SIZE + 1 if found else 0,
            "last": (page - 1) * PAGE_SIZE + len(found),
            "waiting": batch.state in WAITING,
            "can_start": batch.state == batches.BatchState.DRY_RUN_OK,
            "can_cancel": batch.state in views.CANCELLABLE,
            "over": batch.state in ("finished", "cancelled"),
            "notice": notice,
            "general_error": problem,
        },
        status_code=shown.status_code,
    )


NOTICES = {
    "started": N_("The batch was started: its awards are being issued. This page shows how far it has got."),
    "cancelled": N_("The batch was cancelled: no more awards will be issued from it. What was issued stays issued."),
}


@router.get("/awards/bulk/{batch_id}", name="console_bulk_batch")
def batch_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Awarder,
    batch_id: str,
    show: str = "all",
    page: int = 1,
    done: str = "",
) -> Response:
    batch = own_batch(session, user, batch_id)
    notice = _(NOTICES[done]) if done in NOTICES else None
    return _batch_page(request, session, settings, user, batch, Shown(show=show, page=page, notice=notice))


def _act(request: Request, session: Session, settings: Settings, user: User, batch_id: str, action: str) -> Response:
    batch = own_batch(session, user, batch_id)
    try:
        if action == "start":
            batches.start(session, batch.id)
        else:
            batches.cancel(session, batch.id)
        session.commit()
    except DomainError as exc:
        session.rollback()
        batch = own_batch(session, user, batch_id)
        return _batch_page(request, session, settings, user, batch, Shown(status_code=409, problem=str(exc)))
    return redirect(f"/console/awards/bulk/{batch.id}?done={'started' if action == 'start' else 'cancelled'}")


@router.post("/awards/bulk/{batch_id}/start", name="console_bulk_start")
def start(request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, batch_id: str) -> Response:
    return _act(request, session, settings, user, batch_id, "start")


@router.post("/awards/bulk/{batch_id}/cancel", name="console_bulk_cancel")
def cancel(request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, batch_id: str) -> Response:
    return _act(request, session, settings, user, batch_id, "cancel")


@router.get("/awards/bulk/{batch_id}/results.csv", name="console_bulk_results")
def results_csv(session: SessionDep, settings: SettingsDep, user: Awarder, batch_id: str) -> Response:
    batch = own_batch(session, user, batch_id)
    return Response(
        batches.results_csv(session, batch.id, base_url=settings.base_url),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}-results.csv"'},
    )

"""The bulk-issuance API (docs/bulk-issuance.md): a CSV file (multipart) or JSON rows become a batch, dry-run
row by row; unless ``dry_run``, it is started at once and issued by the job workers (on SQLite, a worker thread of
this process). Its state, counts and
per-row errors, and its results as CSV, are read back by id."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.batches import csvfile
from microcred.batches import services as batches
from microcred.batches import tasks as _batch_tasks  # noqa: F401 (the job's task, known to this process's workers)
from microcred.settings import Settings
from microcred.web import apidoc, bodies, reading
from microcred.web import idempotency as idempotent
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.routes.api.common import In, api_router

router = api_router()
Cell = str | int | float | None


class BatchIn(In):
    rows: list[dict[str, Cell]] = Field(
        min_length=1, description="one object per award, keyed by column (the CSV template's columns)"
    )
    achievement: str | None = Field(None, max_length=200, description="achievement id or code for rows naming none")
    notify: bool = Field(False, description="mail each earner their award")
    dry_run: bool = Field(False, description="only store the dry run; start the batch later")


class UploadIn(BaseModel):
    """What an Idempotency-Key is checked against for an uploaded file: its digest and the form's fields."""

    file_sha256: str
    file_name: str | None
    achievement: str | None
    notify: bool
    dry_run: bool


_FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the CSV file (UTF-8; , ; or tab)"},
        "achievement": {"type": "string", "maxLength": 200},
        "notify": {"type": "boolean"},
        "dry_run": {"type": "boolean"},
    },
    "required": ["file"],
}
_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": _FORM_SCHEMA},
        "application/json": {"schema": BatchIn.model_json_schema()},
    },
}


def _flag(value: Any, name: str) -> bool:
    text = str(value or "").strip().lower()
    if text in ("", "false", "0", "off", "no"):
        return False
    if text in ("true", "1", "on", "yes"):
        return True
    raise HTTPException(422, f"{name} must be true or false (got {text[:20]!r})")


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return (value or "").strip()[:200] or None
    raise HTTPException(422, f"{name} must be a text field, not a file")


async def _upload(request: Request, settings: Settings) -> tuple[UploadIn, bytes]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "file: send the CSV file in the form field 'file'")
    data = await upload.read(settings.max_bulk_file_bytes + 1)
    described = UploadIn(
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_name=(upload.filename or "")[:255] or None,
        achievement=_text(form.get("achievement"), "achievement"),
        notify=_flag(form.get("notify"), "notify"),
        dry_run=_flag(form.get("dry_run"), "dry_run"),
    )
    return described, data


async def _rows(request: Request) -> BatchIn:
    raw = await bodies.json_body(request)
    try:
        return BatchIn.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def _json(session: Any, batch: Any) -> dict[str, Any]:
    doc = batches.summary(session, batch)
    doc["results_url"] = f"/api/award-batches/{batch.id}/results.csv"
    return doc


def _check(reader: Session, settings: Settings, body: UploadIn | BatchIn, data: bytes) -> batches.Checked:
    """The dry run of the upload or the JSON rows (reads only)."""
    if isinstance(body, UploadIn):
        options = batches.Options(
            achievement=body.achievement, notify=body.notify, created_by="api", file_name=body.file_name
        )
        return batches.check_file(
            reader, data, max_bytes=settings.max_bulk_file_bytes, base_url=settings.base_url, options=options,
            release_every=reading.DRY_RUN_SLICE, pause=reading.slice_pause(reader),
        )  # fmt: skip
    options = batches.Options(achievement=body.achievement, notify=body.notify, created_by="api")
    return batches.check_table(reader, csvfile.read_records(body.rows), base_url=settings.base_url, options=options,
                               release_every=reading.DRY_RUN_SLICE, pause=reading.slice_pause(reader))  # fmt: skip


def _make(session: Any, checked: batches.Checked, body: UploadIn | BatchIn) -> Any:
    """The batch (its dry run stored), started unless the request asked for the dry run only."""
    batch = batches.store_checked(session, checked)
    if not body.dry_run and batch.state == batches.BatchState.DRY_RUN_OK:
        batches.start(session, batch.id)
    return batch


@router.post(
    "/award-batches",
    status_code=201,
    summary="Issue awards in bulk from a CSV file (multipart) or JSON rows: dry run, then issue",
    openapi_extra={"requestBody": _BODY},
    responses=idempotent.responses(201),
)
async def create_batch(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body: UploadIn | BatchIn
    if media_type == "multipart/form-data":
        body, data = await _upload(request, settings)
    else:
        body, data = await _rows(request), b""

    factory = request.app.state.session_factory

    def checked_then_stored() -> Response:
        # the dry run first, in a session of its own (no write lock held meanwhile: `web.reading`); only the short
        # store runs in the Idempotency-Key's transaction (a replayed key answers as it did the first time)
        checked = reading.in_session_of_its_own(session, factory, lambda reader: _check(reader, settings, body, data))

        def work() -> tuple[dict[str, Any], Any]:
            batch = _make(session, checked, body)
            return _json(session, batch), None

        result: Response = idempotent.execute(
            request, session, idempotency_key, body=body, status_code=201, work=work
        )
        return result

    response: Response = await run_in_threadpool(checked_then_stored)
    return response


@router.get("/award-batches/{batch_id}", summary="A batch: state, counts by row state, each refused or failed row")
def get_batch(batch_id: str, session: SessionDep) -> dict[str, Any]:
    return _json(session, batches.get_batch(session, batch_id))


@router.get(
    "/award-batches/{batch_id}/results.csv",
    summary="A batch's rows as CSV: each row's award URL or the reason it has none",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def batch_results(batch_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    text = batches.results_csv(session, batch_id, base_url=settings.base_url)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="batch-results.csv"'},
    )


@router.post(
    "/award-batches/{batch_id}/start",
    summary="Start a batch after its dry run (issued by the job workers)",
    responses=apidoc.errors(409),
)
def start_batch(batch_id: str, session: SessionDep) -> dict[str, Any]:
    doc = _json(session, batches.start(session, batch_id))
    session.commit()
    return doc


@router.post(
    "/award-batches/{batch_id}/cancel",
    summary="Cancel a batch: no new row is issued; what was issued stays",
    responses=apidoc.errors(409),
)
def cancel_batch(batch_id: str, session: SessionDep) -> dict[str, Any]:
    doc = _json(session, batches.cancel(session, batch_id))
    session.commit()
    return doc

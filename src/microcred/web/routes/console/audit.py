"""The console's audit log (issue 16, point 4): `/console/audit` with filters and chain verification.

For organisation administrators (`manage_organisations`). The log is the instance's one hash-chained log
(`audit.services`): the page lists its entries newest first, narrowed by a GET form (actor, action or kind of
action, subject or its id, organisation where the entry records it, a range of UTC days), one page at a time; each
subject links to its console page where there is one. "Verify the chain" (a CSRF-checked POST) recomputes the chain
and says plainly whether it is intact or where it breaks. `/console/audit.jsonl` downloads the whole log as
`microcred audit export` writes it. Reasons for revoking or suspending are never in the log (only their digest):
they stay on the award's page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.i18n import gettext as _
from microcred.issuers import services as issuers
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import OrgManager, console_router

router = console_router()

PER_PAGE = 50
FILTERS = ("actor", "action", "subject", "organisation", "from", "to")
_LINKS = {
    "award": "/console/awards/{}",
    "achievement": "/console/achievements/{}",
    "batch": "/console/awards/bulk/{}",
    "organisation": "/console/organisations/{}",
    "endorsement_request": "/console/endorsements/requests/{}",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class EntryRow:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    link: str | None
    details: list[tuple[str, str]]


def subject_link(subject: str) -> str | None:
    """The console page of an entry's subject (`award:<id>` -> `/console/awards/<id>`), when there is one."""
    kind, _sep, ident = subject.partition(":")
    pattern = _LINKS.get(kind)
    return pattern.format(ident) if pattern and _UUID.match(ident) else None


def _detail_text(value: Any) -> str:
    return value if isinstance(value, str) else audit.canonical_json(value)


def _rows(page: audit.EntryPage) -> list[EntryRow]:
    return [
        EntryRow(
            e.seq,
            e.at,
            e.actor,
            e.action,
            e.subject,
            subject_link(e.subject),
            [(key, _detail_text(value)) for key, value in sorted(e.details.items())],
        )
        for e in page.entries
    ]


def _day(form: Form, name: str) -> date | None:
    text = form.text(name, max_length=10)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.errors[name] = _("Enter a date such as 2026-01-31.")
        return None


def _filters(form: Form, entry: int | None) -> audit.AuditFilters:
    """The GET form read into the service's filters (UTC days: `to` is included whole); errors on the form."""
    first, last = _day(form, "from"), _day(form, "to")
    if first and last and last < first:
        form.errors["to"] = _("This date is before the start date: give a day on or after it.")
    organisation = form.text("organisation", max_length=64)
    if organisation is not None and not _UUID.match(organisation):
        form.errors["organisation"] = _("Choose one of the organisations listed.")
    return audit.AuditFilters(
        actor=form.text("actor", max_length=200),
        action=form.text("action", max_length=64),
        subject=form.text("subject", max_length=200),
        organisation=organisation,
        since=datetime.combine(first, datetime.min.time(), UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) if last else None,
        entry=entry,
    )


def _action_choices(session: Session) -> list[tuple[str, str]]:
    names = audit.action_names(session)
    kinds = sorted({name.partition(".")[0] for name in names if "." in name})
    return [(kind, _("%(kind)s: every kind", kind=kind)) for kind in kinds] + [(name, name) for name in names]


def _query(values: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**values, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def _page(
    request: Request,
    session: Session,
    *,
    data: dict[str, Any],
    page: int = 1,
    entry: int | None = None,
    report: audit.ChainReport | None = None,
) -> Response:
    form = Form({name: data.get(name) for name in FILTERS})
    filters = _filters(form, entry)
    found = audit.list_entries(session, filters, page=page, per_page=PER_PAGE) if form.ok else None
    shown = {name: form.data.get(name) for name in FILTERS}
    context: dict[str, Any] = {
        "form": form,
        "entries": _rows(found) if found else [],
        "found": found,
        "entry": entry,
        "report": report,
        "actions": _action_choices(session),
        "organisations": [(str(o.id), o.name) for o in issuers.list_organisations(session)],
        "previous_url": "?" + _query(shown, page=page - 1) if found and page > 1 else None,
        "next_url": "?" + _query(shown, page=page + 1) if found and page < found.pages else None,
        "filtered": any(shown.values()) or entry is not None,
    }
    return render(request, "console/audit.html", context, status_code=200 if form.ok else 400)


@router.get("/audit", name="console_audit")
def audit_log(
    request: Request,
    session: SessionDep,
    user: OrgManager,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    entry: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    return _page(request, session, data=dict(request.query_params), page=page, entry=entry)


@router.post("/audit/verify", name="console_audit_verify")
def verify(request: Request, session: SessionDep, user: OrgManager) -> Response:
    return _page(request, session, data={}, report=audit.verify_chain(session))


@router.get("/audit.jsonl", name="console_audit_export")
def export(session: SessionDep, user: OrgManager) -> Response:
    body = "".join(line + "\n" for line in audit.export_lines(session))  # read inside the request's session
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        body,
        media_type="application/jsonl",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'},
    )

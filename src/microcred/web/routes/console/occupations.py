"""The console's occupations and coverage screen for one achievement (`/console/achievements/{id}/occupations`,
issue 16 point 4): the ESCO occupations, NOC 2021 and CIP 2021 codes it prepares for, and which of their skills
its outcomes cover.

Anyone who may view the achievement (`own_achievement`) sees the stored codes and the coverage view
(`partners.coverage`: per ESCO occupation, the essential and optional skills covered, and the essential skills not
covered yet). Changing them needs `edit_achievements` and works without script: one form whose buttons are steps —
search ESCO occupations (`taxonomy.search_occupations`), add or remove a picked occupation (hidden `esco_<n>`
fields carry the picks between steps, nothing is stored), and save, which checks every field here (messages tied to
fields, in the user's language; a 400 and nothing saved when one fails) and then replaces the codes through
`partners.set_labour_market_codes`, which records the audit entry (`achievement.labour_market_set`) under the
staff member's name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.catalog.services import Achievement
from microcred.errors import DomainError, NotFound
from microcred.i18n import gettext as _
from microcred.partners import services as partners
from microcred.taxonomy import services as taxonomy
from microcred.taxonomy.services import OccupationInfo
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import (
    Editor,
    FormData,
    Viewer,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

router = console_router()

MAX_ROWS = 50  # picked ESCO occupations and NOC rows read from one form
BLANK_NOC_ROWS = 2
SEARCH_LIMIT = 20


@dataclass
class Picked:
    """An ESCO occupation picked in the form: its URI and what the imported taxonomy says of it (None: unknown)."""

    uri: str
    info: OccupationInfo | None


def _path(achievement: Achievement) -> str:
    return f"/console/achievements/{achievement.id}/occupations"


def scheme_label(scheme: str) -> str:
    return {
        "esco_occupation": _("ESCO occupation"),
        "noc_2021": _("NOC 2021"),
        "cip_2021": _("CIP 2021"),
    }.get(scheme, scheme)


def _initial(session: Session, achievement: Achievement) -> dict[str, Any]:
    """The form's values from the stored codes (ESCO picks, NOC rows, the CIP program)."""
    data: dict[str, Any] = {}
    esco = noc = 0
    for code in partners.labour_market_codes(session, achievement.id):
        if code.scheme == "esco_occupation":
            data[f"esco_{esco}"] = code.code
            esco += 1
        elif code.scheme == "noc_2021":
            data[f"noc_code_{noc}"], data[f"noc_title_{noc}"] = code.code, code.label
            noc += 1
        elif code.scheme == "cip_2021":
            data["cip_code"], data["cip_title"] = code.code, code.label
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _picked_uris(data: dict[str, Any]) -> list[str]:
    """The ESCO occupations carried by the form, in order, each once."""
    uris: list[str] = []
    for index in range(MAX_ROWS):
        uri = _text(data, f"esco_{index}")
        if uri and uri not in uris:
            uris.append(uri)
    return uris


def _noc_rows(data: dict[str, Any]) -> int:
    """How many NOC rows the form shows: every filled row, then a few blank ones."""
    filled = [i for i in range(MAX_ROWS) if _text(data, f"noc_code_{i}") or _text(data, f"noc_title_{i}")]
    return min((max(filled) + 1 if filled else 0) + BLANK_NOC_ROWS, MAX_ROWS)


def _coverage(session: Session, achievement: Achievement) -> tuple[list[partners.OccupationCoverage], str | None]:
    try:
        return partners.coverage(session, achievement.id), None
    except NotFound:
        return [], _(
            "One of the stored ESCO occupations is no longer in the imported classification: remove it and save."
        )


@dataclass
class Step:
    """What one step of the form shows besides the stored codes: the picks, the search results, the messages."""

    form: Form
    picked: list[str]
    results: list[OccupationInfo] | None = None
    general_error: str | None = None
    unsaved: bool = False


def _page(
    request: Request, session: Session, user: User, achievement: Achievement, step: Step, *, status_code: int = 200
) -> Response:
    coverage, coverage_error = _coverage(session, achievement)
    context: dict[str, Any] = {
        "a": achievement,
        "name": localized_name(session, achievement),
        "codes": [(scheme_label(c.scheme), c) for c in partners.labour_market_codes(session, achievement.id)],
        "coverage": coverage,
        "coverage_error": coverage_error,
        "editable": accounts.can(user, "edit_achievements"),
        "form": step.form,
        "picked": [Picked(uri, taxonomy.find_occupation(session, uri)) for uri in step.picked],
        "picked_uris": step.picked,
        "results": step.results,
        "noc_rows": range(_noc_rows(step.form.data)),
        "general_error": step.general_error,
        "unsaved": step.unsaved,
        "saved": request.query_params.get("saved") == "1",
        "action": _path(achievement),
    }
    return render(request, "console/achievement_occupations.html", context, status_code=status_code)


@router.get("/achievements/{achievement_id}/occupations", name="console_achievement_occupations")
def occupations_page(request: Request, session: SessionDep, user: Viewer, achievement_id: str) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    data = _initial(session, achievement)
    return _page(request, session, user, achievement, Step(Form(data), _picked_uris(data)))


def _search(session: Session, form: Form, *, required: bool) -> list[OccupationInfo] | None:
    query = form.text("q", required=required, max_length=200)
    if query is None:
        if required:
            form.errors["q"] = _("Type part of an occupation's name, such as cook.")
        return None
    if "q" in form.errors:
        return None
    return taxonomy.search_occupations(session, query, limit=SEARCH_LIMIT)


def _add(session: Session, step: Step, uri: str) -> None:
    if taxonomy.find_occupation(session, uri) is None:
        step.form.errors["q"] = _("This is not an occupation of the imported ESCO classification: search again.")
    elif uri not in step.picked:
        step.picked.append(uri)


def _edit_step(session: Session, step: Step, data: dict[str, Any]) -> None:
    """A step that changes only the form: search, add or remove (nothing is stored)."""
    step.unsaved = True
    if "add" in data:
        _add(session, step, _text(data, "add"))
    elif "remove" in data:
        step.picked = [uri for uri in step.picked if uri != _text(data, "remove")]
    if step.form.ok:
        step.results = _search(session, step.form, required=data.get("step") == "search")


def _esco(session: Session, form: Form, picked: list[str]) -> list[str]:
    for index, uri in enumerate(picked):
        if taxonomy.find_occupation(session, uri) is None:
            form.errors[f"esco_{index}"] = _(
                "%(uri)s is not an occupation of the imported ESCO classification: remove it.", uri=uri
            )
    return picked


def _noc(form: Form) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for index in range(_noc_rows(form.data)):
        code = form.text(f"noc_code_{index}", max_length=10)
        title = form.text(f"noc_title_{index}", max_length=500)
        if code is None and title is None:
            continue
        if code is None or not partners.NOC_2021.match(code):
            form.errors[f"noc_code_{index}"] = _("Enter a NOC 2021 code of five digits, such as 63200.")
        elif code in [c for c, _title in rows]:
            form.errors[f"noc_code_{index}"] = _("NOC %(code)s is listed twice: clear one of the rows.", code=code)
        elif title is None:
            form.errors[f"noc_title_{index}"] = _("Enter the title of NOC %(code)s, such as Cooks.", code=code)
        else:
            rows.append((code, title))
    return rows


def _cip(form: Form) -> tuple[str, str] | None:
    code = form.text("cip_code", max_length=10)
    title = form.text("cip_title", max_length=500)
    if code is None and title is None:
        return None
    if code is None or not partners.CIP_2021.match(code):
        form.errors["cip_code"] = _("Enter a CIP 2021 code in the form NN.NNNN, such as 12.0500.")
    elif title is None:
        form.errors["cip_title"] = _("Enter the title of CIP %(code)s, such as Culinary Arts/Chef Training.", code=code)
    else:
        return (code, title)
    return None


@router.post("/achievements/{achievement_id}/occupations", name="console_achievement_occupations_save")
def change_occupations(
    request: Request, session: SessionDep, user: Editor, achievement_id: str, data: FormData
) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    step = Step(Form(data), _picked_uris(data))
    if "add" in data or "remove" in data or data.get("step") == "search":
        _edit_step(session, step, data)
        return _page(request, session, user, achievement, step, status_code=200 if step.form.ok else 400)
    esco, noc, cip = _esco(session, step.form, step.picked), _noc(step.form), _cip(step.form)
    if not step.form.ok:
        step.unsaved = True
        return _page(request, session, user, achievement, step, status_code=400)
    try:
        with acting_as(f"web:{user.email}"):
            partners.set_labour_market_codes(session, achievement.id, esco=esco, noc=noc, cip=cip)
        session.commit()
    except DomainError as exc:
        session.rollback()
        step.general_error = _("Nothing was saved: %(reason)s. Correct the form and save again.", reason=str(exc))
        return _page(request, session, user, achievement, step, status_code=400)
    return redirect(f"{_path(achievement)}?saved=1")

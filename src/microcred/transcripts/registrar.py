"""Registrar-compatible records: a PDF transcript (WeasyPrint) and a CSV export with the same rows, EN and FR.

Micro-credentials are listed like courses: code, title, term, hours, credits (and unit), level, result, route,
issue date and the verification URL (with a QR code in the PDF). Messages go through a ``gettext`` callable: the
Babel catalogue (`microcred.i18n.translations(lang).gettext`) is passed in by the CLI and routes,
so this module stays below the web layer.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from microcred import urls
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.earners.services import Earner
from microcred.issuers import services as issuers
from microcred.transcripts import clr, records

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    return message


UNIT_LABELS = {
    "Semester": N_("semester credits"),
    "Quarter": N_("quarter credits"),
    "ClockHours": N_("clock hours"),
    "ContinuingEducationUnits": N_("CEU"),
    "ECTS": N_("ECTS"),
    "NoCredit": N_("no credit"),
}
ROUTE_LABELS = {"course": N_("Course"), "rpl": N_("Recognition of prior learning")}
RESULT_LABELS = {"Pass": N_("Pass"), "Fail": N_("Fail")}
COLUMNS = (
    ("code", N_("Code")),
    ("title", N_("Title")),
    ("term", N_("Term")),
    ("hours", N_("Hours")),
    ("credits", N_("Credits")),
    ("credit_unit", N_("Credit unit")),
    ("level", N_("Level")),
    ("result", N_("Result")),
    ("route", N_("Route")),
    ("issued", N_("Issue date")),
    ("issuer", N_("Issuer")),
    ("verification_url", N_("Verification URL")),
)


@dataclass(frozen=True)
class TranscriptRow:
    award_id: uuid.UUID
    code: str
    title: str
    term: str
    hours: float
    credits: float | None
    credit_unit: str | None  # PESC code
    level: str
    result: str
    route: str  # course | rpl
    issued: datetime
    issuer: str
    verification_url: str


@dataclass(frozen=True)
class Transcript:
    earner_name: str
    issuer_name: str
    generated: datetime
    rows: list[TranscriptRow]

    @property
    def total_credits(self) -> float:
        return sum(r.credits or 0.0 for r in self.rows)


def _level(record: Any) -> str:
    parts = []
    if record is not None and record.qualification_level:
        parts.append(record.qualification_level)
    if record is not None and record.eqf_level:
        parts.append(f"EQF {record.eqf_level}")
    return " · ".join(parts)


def transcript(
    session: Session, earner: Earner, *, base_url: str, of_issuer: uuid.UUID | str | None = None
) -> Transcript:
    """The rows, oldest first: every active, not replaced award of the earner (expired ones too); with
    ``of_issuer``, only that organisation's (a registrar's transcript on a shared instance)."""
    held = clr.current_awards(session, earner.id, include_expired=True, of_issuer=of_issuer)
    rows = []
    for award in held:
        achievement = catalog.get_achievement(session, award.achievement_id)
        definition = records.get_achievement_record(session, achievement.id)
        line = records.get_award_record(session, award.id)
        org = issuers.get_organisation(session, achievement.issuer_id)
        credits = line.credits_earned if line and line.credits_earned is not None else achievement.credits
        rows.append(
            TranscriptRow(
                award_id=award.id,
                code=(definition.human_code if definition else None) or "",
                title=achievement.name,
                term=(line.term if line else None) or "",
                hours=achievement.workload_hours,
                credits=credits,
                credit_unit=definition.credit_unit if definition else None,
                level=_level(definition),
                result=(line.result_value if line else None) or "",
                route=line.award_route if line else "course",
                issued=award.issued_at,
                issuer=org.name,
                verification_url=urls.credential_url(award.id, base_url),
            )
        )
    issuer_name = clr.transcript_issuer(session, held, of_issuer).name if held else ""
    return Transcript(earner_name=earner.name, issuer_name=issuer_name, generated=utcnow(), rows=rows)


def _number(value: float | None, lang: str) -> str:
    return "" if value is None else format_decimal(value, format="#,##0.##", locale=lang)


def _cells(row: TranscriptRow, lang: str, _: Gettext, *, for_csv: bool) -> dict[str, str]:
    return {
        "code": row.code,
        "title": row.title,
        "term": row.term,
        "hours": f"{row.hours:g}" if for_csv else _number(row.hours, lang),
        "credits": ("" if row.credits is None else f"{row.credits:g}") if for_csv else _number(row.credits, lang),
        "credit_unit": (row.credit_unit or "")
        if for_csv
        else (_(UNIT_LABELS[row.credit_unit]) if row.credit_unit else ""),
        "level": row.level,
        "result": _(RESULT_LABELS[row.result]) if row.result in RESULT_LABELS else row.result,
        "route": _(ROUTE_LABELS[row.route]),
        "issued": row.issued.date().isoformat() if for_csv else format_date(row.issued, "medium", locale=lang),
        "issuer": row.issuer,
        "verification_url": row.verification_url,
    }


def to_csv(data: Transcript, *, lang: str = "en", gettext: Gettext) -> str:
    """One header line (in ``lang``) and one line per credential; dates ISO 8601, numbers with a dot, the credit
    unit as its PESC code — what a student information system imports."""
    _ = gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_(label) for _key, label in COLUMNS])
    for row in data.rows:
        cells = _cells(row, lang, _, for_csv=True)
        writer.writerow([cells[key] for key, _label in COLUMNS])
    return buffer.getvalue()


def _qr(url: str) -> str:
    import segno

    data_uri: str = segno.make(url, error="m").svg_data_uri(scale=2, border=1)
    return data_uri


CSS = """
@page { size: A4 landscape; margin: 14mm 12mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
.meta { margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border-bottom: 0.4pt solid #999; padding: 1.5mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #eee; font-size: 7.5pt; }
td.num { text-align: right; white-space: nowrap; }
td.url { font-size: 6.5pt; word-break: break-all; width: 34mm; }
img.qr { width: 16mm; height: 16mm; }
tfoot td { font-weight: bold; border-bottom: none; }
.note { margin-top: 4mm; font-size: 7.5pt; color: #333; }
"""


def to_html(data: Transcript, *, lang: str = "en", gettext: Gettext) -> str:
    _ = gettext
    e = escape
    head = "".join(f"<th>{e(_(label))}</th>" for key, label in COLUMNS if key not in ("issuer", "verification_url"))
    body = []
    for row in data.rows:
        c = _cells(row, lang, _, for_csv=False)
        body.append(
            "<tr>"
            f"<td>{e(c['code'])}</td><td>{e(c['title'])}<br><small>{e(c['issuer'])}</small></td><td>{e(c['term'])}</td>"
            f"<td class='num'>{e(c['hours'])}</td><td class='num'>{e(c['credits'])}</td>"
            f"<td>{e(c['credit_unit'])}</td><td>{e(c['level'])}</td><td>{e(c['result'])}</td>"
            f"<td>{e(c['route'])}</td><td>{e(c['issued'])}</td>"
            f"<td class='url'><img class='qr' src='{_qr(row.verification_url)}' alt=''><br>"
            f"{e(row.verification_url)}</td>"
            "</tr>"
        )
    title = _("Transcript of micro-credentials")
    generated = format_date(data.generated, "long", locale=lang)
    meta = Markup("<p class='meta'>{}<br>{}<br>{}</p>").format(
        _("Learner: %(name)s") % {"name": data.earner_name},
        _("Issued by: %(name)s") % {"name": data.issuer_name},
        _("Generated on %(date)s") % {"date": generated},
    )
    total = _("Total credits: %(credits)s") % {"credits": _number(data.total_credits, lang)}
    note = _(
        "Each line is an individually signed Open Badges 3.0 credential: scan its QR code or open its address to "
        "verify it."
    )
    empty = f"<tr><td colspan='11'>{e(_('No credential.'))}</td></tr>" if not data.rows else ""
    return (
        f"<!DOCTYPE html><html lang='{e(lang)}'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>{meta}"
        f"<table><thead><tr>{head}<th>{e(_('Verification'))}</th></tr></thead><tbody>{''.join(body)}{empty}</tbody>"
        f"<tfoot><tr><td colspan='11'>{e(total)}</td></tr></tfoot></table>"
        f"<p class='note'>{e(note)}</p></body></html>"
    )


def to_pdf(data: Transcript, *, lang: str = "en", gettext: Gettext) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=to_html(data, lang=lang, gettext=gettext)).write_pdf()
    return pdf

"""Every form an award can leave the instance in: signed JSON-LD, VC-JWT, baked PNG and SVG, a PDF certificate.

The baked images carry the Data Integrity credential (the JSON with its embedded proof), so they verify offline
with any OB 3.0 verifier; the PDF is for people: it carries the verification URL and its QR code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from sqlalchemy.orm import Session

from microcred.awards import queries as awards
from microcred.awards.models import Award
from microcred.awards.models import ExportFormat as ExportFormat  # re-exported: the CLI's --format choices
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.urls import credential_url
from microcred.validation import one_of
from microcred.vc import baking
from microcred.vc.badge_image import badge_png, badge_svg

EXPORT_FORMATS: tuple[str, ...] = tuple(fmt.value for fmt in ExportFormat)
BINARY_FORMATS: tuple[str, ...] = (ExportFormat.PNG.value, ExportFormat.PDF.value)  # not text: never to a terminal
MEDIA_TYPES = {
    "di": "application/ld+json",
    "jwt": "application/vc+jwt",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}
EXTENSIONS = {"di": "json", "jwt": "jwt", "png": "png", "svg": "svg", "pdf": "pdf"}

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    media_type: str
    filename: str


def _identity(message: str) -> str:
    return message


def _png_image(data_uri: str | None) -> bytes | None:
    """The achievement's own image when it is an embedded PNG (never fetched from elsewhere)."""
    prefix = "data:image/png;base64,"
    if not data_uri or not data_uri.startswith(prefix):
        return None
    try:
        raw = base64.b64decode(data_uri[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if raw.startswith(baking.PNG_SIGNATURE) else None


def export_file(
    session: Session, award: Award, fmt: str, *, base_url: str, lang: str = "en", gettext: Gettext | None = None
) -> ExportFile:
    fmt = one_of(fmt, "format", EXPORT_FORMATS)
    if award_erased(session, award):
        raise InvalidInput(f"award {award.id}: its holder erased their data; the instance keeps no copy")
    name = f"credential-{award.id}.{EXTENSIONS[fmt]}"
    if fmt in ("di", "jwt"):
        return ExportFile(awards.export_award(award, fmt).encode("utf-8"), MEDIA_TYPES[fmt], name)
    document = awards.credential_document(award)
    achievement = catalog.get_achievement(session, award.achievement_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    if fmt == "png":
        image = _png_image(achievement.image) or badge_png(achievement.name, org.name)
        return ExportFile(baking.bake_png(image, document), MEDIA_TYPES[fmt], name)
    if fmt == "svg":
        baked = baking.bake_svg(badge_svg(achievement.name, org.name), document)
        return ExportFile(baked.encode("utf-8"), MEDIA_TYPES[fmt], name)
    earner = earners.get_earner(session, award.earner_id)
    certificate = Certificate(
        earner_name=earner.name,
        achievement_name=achievement.name,
        description=achievement.description,
        issuer_name=org.name,
        issued=award.issued_at.date().isoformat(),
        valid_until=award.valid_until.date().isoformat() if award.valid_until else None,
        url=credential_url(award.id, base_url),
    )
    html = certificate_html(certificate, lang=lang, gettext=gettext or _identity)
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return ExportFile(pdf, MEDIA_TYPES[fmt], name)


def award_erased(session: Session, award: Award) -> bool:
    return earners.is_erased(session, award.earner_id)


def _qr_data_uri(url: str) -> str:
    import segno

    data_uri: str = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    return data_uri


CERTIFICATE_CSS = """
@page { size: A4 landscape; margin: 16mm; }
body { font-family: "DejaVu Sans", sans-serif; color: #111; text-align: center; }
.frame { border: 3pt double #1f3a5f; padding: 14mm 18mm; height: 150mm; }
h1 { font-size: 26pt; margin: 0 0 6mm; color: #1f3a5f; }
.name { font-size: 22pt; font-weight: bold; margin: 4mm 0; }
.achievement { font-size: 18pt; margin: 4mm 0; }
.small { font-size: 9pt; color: #333; }
img.qr { width: 30mm; height: 30mm; }
.url { font-size: 8pt; word-break: break-all; }
"""


@dataclass(frozen=True)
class Certificate:
    """What a PDF certificate says (already in the reader's language, except the labels)."""

    earner_name: str
    achievement_name: str
    description: str
    issuer_name: str
    issued: str
    valid_until: str | None
    url: str


def certificate_html(certificate: Certificate, *, lang: str, gettext: Gettext) -> str:
    _ = gettext
    e = escape
    c = certificate
    earner_name, achievement_name, description = c.earner_name, c.achievement_name, c.description
    issuer_name, issued, valid_until, url = c.issuer_name, c.issued, c.valid_until, c.url
    title = _("Certificate")
    certifies = _("This certifies that")
    earned = _("has earned the micro-credential")
    issued_by = _("Issued by %(issuer)s on %(date)s") % {"issuer": issuer_name, "date": issued}
    until = _("Valid until %(date)s") % {"date": valid_until} if valid_until else ""
    qr_alt = _("QR code of the verification address")
    verify_at = _("Verify this credential at")
    until_html = f"<p class='small'>{e(until)}</p>" if until else ""
    return (
        f"<!DOCTYPE html><html lang='{e(lang)}'><head><meta charset='utf-8'>"
        f"<title>{e(title)}: {e(achievement_name)}</title><style>{CERTIFICATE_CSS}</style></head>"
        f"<body><div class='frame'><h1>{e(title)}</h1>"
        f"<p>{e(certifies)}</p><p class='name'>{e(earner_name)}</p>"
        f"<p>{e(earned)}</p><p class='achievement'>{e(achievement_name)}</p>"
        f"<p class='small'>{e(description)}</p>"
        f"<p>{e(issued_by)}</p>{until_html}"
        f"<p><img class='qr' src='{_qr_data_uri(url)}' alt='{e(qr_alt)}'></p>"
        f"<p class='small'>{e(verify_at)}</p><p class='url'>{e(url)}</p>"
        "</div></body></html>"
    )

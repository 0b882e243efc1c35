"""The demo's organisations: an Ontario college (issues the micro-credentials), an employer partner, and an
institute that rotated its signing key after issuing (its older credentials still verify)."""

from __future__ import annotations

import uuid
from typing import Any

from microcred.demo.ids import COLLEGE_ID, EMPLOYER_ID, INSTITUTE_ID, Seeding
from microcred.issuers import services as issuers

COLLEGE: dict[str, Any] = {
    "kind": "institution",
    "name": "Northern Lakes College of Applied Arts and Technology",
    "legal_name": "Northern Lakes College of Applied Arts and Technology",
    "url": "https://www.northernlakes.example",
    "email": "credentials@northernlakes.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-CAAT-0427",
    "description": "A (fictional) Ontario college of applied arts and technology offering stackable micro-credentials.",
}
EMPLOYER: dict[str, Any] = {
    "kind": "employer",
    "name": "Great Lakes Hospitality Group",
    "legal_name": "Great Lakes Hospitality Group Inc.",
    "url": "https://www.greatlakeshospitality.example",
    "email": "talent@greatlakeshospitality.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-BN-784512963",
    "description": "A (fictional) employer partner that co-designed the food safety micro-credential.",
}
INSTITUTE: dict[str, Any] = {
    "kind": "institution",
    "name": "Lakeshore Institute of Technology",
    "legal_name": "Lakeshore Institute of Technology",
    "url": "https://www.lakeshore-institute.example",
    "email": "registrar@lakeshore-institute.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-INST-0918",
    "description": "A (fictional) institute that rotated its signing key; credentials signed before still verify.",
}


def ensure_organisation(run: Seeding, org_id: uuid.UUID, values: dict[str, Any]) -> None:
    if issuers.find_organisation(run.session, org_id) is None:
        issuers.create_organisation(run.session, id=org_id, **values)
        run.count("organisations")


def seed_organisations(run: Seeding) -> None:
    """The college and the employer, and the college's signing key."""
    for org_id, values in ((COLLEGE_ID, COLLEGE), (EMPLOYER_ID, EMPLOYER)):
        ensure_organisation(run, org_id, values)
    issuers.ensure_signing_key(run.session, COLLEGE_ID, master_key=run.master_key)


def seed_institute(run: Seeding) -> None:
    """The institute (created after the college's lifecycle awards, as it always was: the audit order holds)."""
    ensure_organisation(run, INSTITUTE_ID, INSTITUTE)


def rotate_institute_key_once(run: Seeding) -> None:
    """Rotate the institute's key after its first credential, once (a second run finds two keys)."""
    if len(issuers.list_signing_keys(run.session, INSTITUTE_ID)) < 2:
        issuers.rotate_signing_key(run.session, INSTITUTE_ID, master_key=run.master_key)

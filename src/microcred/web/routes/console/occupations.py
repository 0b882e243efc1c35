"""The console's occupations and coverage screen for one achievement (`/console/achievements/{id}/occupations`,
issue 16 point 4): the ESCO occupations, NOC 2021 and CIP 2021 codes it prepares for, and which of their skills
its outcomes cover."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

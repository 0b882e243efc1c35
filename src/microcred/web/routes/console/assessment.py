"""The console's assessment screens (issue 16, point 2): `/console/achievements/{id}/assessment` (design: rubric per
outcome, method, identity verification) and `/console/assessments/{achievement_id}/results` (cohort grid and each
earner's results and evidence)."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

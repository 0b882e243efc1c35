"""The console's organisation settings (issue 16, point 4): `/console/organisations/{id}`, profile and policy."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

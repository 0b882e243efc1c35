"""The console's audit log (issue 16, point 4): `/console/audit` with filters and chain verification."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

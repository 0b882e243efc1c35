"""The console's analytics (issue 16, point 5): `/console/analytics` and `/console/analytics.csv`."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

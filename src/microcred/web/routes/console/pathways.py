"""The console's pathway screens (issue 16, point 4): `/console/pathways` (builder, components, rule, credits,
ordering) and the completion approval queue."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

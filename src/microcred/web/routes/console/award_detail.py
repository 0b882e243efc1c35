"""The console's award detail page (`/console/awards/{id}`): the award, its true status and history, and its
lifecycle actions (issue 16). Registered after the bulk pages, whose `/console/awards/bulk...` paths come first."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

"""The console's page for one earner (`/console/earners/{id}`, issue 16): who they are, their awards from the staff
member's organisation, their pathway progress, and what a registrar does for them (transcripts, CLR, data export
and erasure on request)."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

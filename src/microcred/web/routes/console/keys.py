"""The console's signing keys page (`/console/keys`): the organisation's keys, rotation and marking a key
compromised, with the consequences spelled out before confirming (issue 16, point 4)."""

from __future__ import annotations

from microcred.web.routes.console.common import console_router

router = console_router()

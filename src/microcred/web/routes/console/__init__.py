"""The staff console (`/console/...`, HTML, session + CSRF): one module per area."""

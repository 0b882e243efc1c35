"""The earner's own pages (`/backpack/...`, HTML, signed-in earner + CSRF): one module per area."""

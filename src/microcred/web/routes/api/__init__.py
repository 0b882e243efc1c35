"""The bearer-token JSON API (`/api/...`, `POST /credentials/issue`): one module per area."""

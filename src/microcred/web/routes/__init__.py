"""Every HTTP route, by audience, one module per area: `public/` (no sign-in: pages, sign-in, DID documents, status
lists, verification, wallets), `api/` (bearer token), `console/` (staff), `backpack/` (the signed-in earner)."""

"""What anyone may read without signing in: pages, sign-in, DID documents, status lists, verification, wallets."""

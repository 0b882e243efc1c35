"""Idempotency keys: a retried request (same key, same request) gets the first result instead of a second execution."""

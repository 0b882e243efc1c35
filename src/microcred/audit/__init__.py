"""Tamper-evident audit log: an append-only, hash-chained record of every consequential event."""

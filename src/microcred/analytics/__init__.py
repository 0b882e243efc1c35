"""Analytics from events the platform records itself (issue 16, point 5): counts only, no third-party tracker.

`services.record` adds one row per event (one INSERT, never a read-modify-write of a counter row, so concurrent
processes cannot lose counts); `services.counts` sums them per kind, channel and day. The rows name no person:
see `models` for what is stored and why an earner's erasure has nothing to remove here."""

"""Earner-facing features (docs/ownership.md): sharing choices, wallet delivery (OID4VCI), claim/merge and extra
addresses, DID Auth, the earner's data export, emailed claim links, and erasure orchestration.

They sit above awards, assessments, transcripts and partners (they read what those hold about an earner), while the
Earner entity itself stays in `microcred.earners`, below them all."""

"""Awards: per-learner, signed Open Badges 3.0 credentials with results and evidence."""

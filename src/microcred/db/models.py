"""Where the metadata learns every table: `session_factory`, Alembic's env and the schema tests call
`import_all_models()`; models modules need not import each other to resolve foreign keys."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "microcred.issuers.models",
    "microcred.catalog.models",
    "microcred.earners.models",
    "microcred.awards.models",
    "microcred.status.models",
    "microcred.audit.models",
    "microcred.taxonomy.models",
    "microcred.catalog.translations",
    "microcred.accounts.models",
    "microcred.assessments.models",
    "microcred.transcripts.models",
    "microcred.ownership.models",
    "microcred.partners.models",
    "microcred.idempotency.models",
    "microcred.jobs.models",
    "microcred.batches.models",
    "microcred.analytics.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)

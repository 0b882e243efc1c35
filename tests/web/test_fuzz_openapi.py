"""A schemathesis run over the whole OpenAPI, bounded (issue 12, point 4): every phase (examples, coverage,
fuzzing, stateful), derandomized, with and without the bearer token, on SQLite and PostgreSQL. No response may be
a server error, and every response must match what the OpenAPI documents (status code, Content-Type, headers,
body schema, Allow on 405). A larger run, by hand: MICROCRED_FUZZ_EXAMPLES=300 on this test (see
tests/support/openapi_fuzz.py)."""

from __future__ import annotations

import logging
import os

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from tests.support import openapi_fuzz
from tests.web.conftest import TOKEN

from microcred.issuers import keystore
from microcred.settings import Settings

# Examples per operation for the fuzzing phase (the coverage phase has its own, schema-derived, count), sized so
# that the four runs add about two minutes to the suite.
EXAMPLES = {("sqlite", True): 15, ("sqlite", False): 5, ("postgresql", True): 10, ("postgresql", False): 3}


@pytest.mark.parametrize("with_token", [True, False], ids=["token", "anonymous"])
def test_openapi_fuzz(
    request: pytest.FixtureRequest,
    app: FastAPI,
    factory: sessionmaker[Session],
    settings: Settings,
    with_token: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = "postgresql" if factory.kw["bind"].dialect.name == "postgresql" else "sqlite"
    examples = int(os.environ.get("MICROCRED_FUZZ_EXAMPLES") or EXAMPLES[(database, with_token)])
    openapi_fuzz.seed(factory, settings.base_url, keystore.load_master_key(settings))
    caplog.set_level(logging.CRITICAL, logger="microcred")
    result = openapi_fuzz.run(app, token=TOKEN if with_token else None, max_examples=examples)
    summary = f"{database}, {'token' if with_token else 'anonymous'}: {result.requests} requests {result.by_class()}"
    print(summary)
    assert result.requests > 1000, summary
    assert not result.errors, "\n".join([summary, *result.errors[:20]])
    assert not result.failures, "\n".join([summary, *result.failures[:20]])
    assert not any(status >= 500 for status in result.statuses), summary

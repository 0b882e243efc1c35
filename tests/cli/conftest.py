"""CLI tests: a clean instance per test, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from microcred.settings import get_settings


@pytest.fixture
def cli_env(isolated_settings: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean instance: master key file (not env), DATABASE_URL = the parametrized test database."""
    monkeypatch.delenv("MICROCRED_MASTER_KEY")
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return isolated_settings

"""The instance verifier (microcred.verification: keys AND status lists from the store) for service-level tests."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.settings import Settings
from microcred.vc import Verifier


def test_settings(master_key: bytes, base_url: str, data_dir: Path | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "MICROCRED_DATA_DIR": data_dir or Path("/nonexistent-microcred-test"),
        "DATABASE_URL": None,
        "MICROCRED_BASE_URL": base_url,
        "MICROCRED_MASTER_KEY": base64.urlsafe_b64encode(master_key).rstrip(b"=").decode(),
        "MICROCRED_TRUSTED_KEYS": None,
        "MICROCRED_TRUSTED_HOSTS": "",
        "MICROCRED_API_TOKEN": "unused",
    }
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def verifier_for(factory: sessionmaker[Session], master_key: bytes, base_url: str, **overrides: Any) -> Verifier:
    from microcred.verification import instance_verifier

    return instance_verifier(factory, test_settings(master_key, base_url, **overrides))

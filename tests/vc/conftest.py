from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from support.vectors import EXAMPLES, load

# CI replays a fixed, derandomized set of examples (a red CI must mean a regression, not a new random draw);
# locally each run explores new examples. `HYPOTHESIS_PROFILE=deep` runs a long search.
_common: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=300, **_common)
settings.register_profile("ci", max_examples=300, derandomize=True, **_common)
settings.register_profile("deep", max_examples=5000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def ob_vector() -> dict[str, Any]:
    return load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def clr_vector() -> dict[str, Any]:
    return load(EXAMPLES / "clr2-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]

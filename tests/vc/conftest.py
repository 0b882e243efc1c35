from __future__ import annotations

from typing import Any

import os

import pytest
from hypothesis import settings

# CI replays a fixed, derandomized set of examples (a red CI must mean a regression, not a new random draw);
# locally each run explores new examples. `HYPOTHESIS_PROFILE=deep` runs a long search.
settings.register_profile("ci", derandomize=True)
settings.register_profile("deep", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))

from support.vectors import EXAMPLES, load


@pytest.fixture(scope="session")
def ob_vector() -> dict[str, Any]:
    return load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def clr_vector() -> dict[str, Any]:
    return load(EXAMPLES / "clr2-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]

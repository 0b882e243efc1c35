from __future__ import annotations

from typing import Any

import pytest

from support.vectors import EXAMPLES, load


@pytest.fixture(scope="session")
def ob_vector() -> dict[str, Any]:
    return load(EXAMPLES / "ob3-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def clr_vector() -> dict[str, Any]:
    return load(EXAMPLES / "clr2-testvector-eddsa-rdfc-2022.json")  # type: ignore[no-any-return]

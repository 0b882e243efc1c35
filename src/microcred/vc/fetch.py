"""The one size-limited HTTPS fetch of a JSON document (did:web documents, key documents, status lists).

Short timeout, no redirects, a hard limit on the body read (counted while streaming, so a large or endless body is
cut off), and the caller's own error type for every refusal, so key resolution reports ``KeyResolutionError`` and
status checks their "unavailable" error, with the same words."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_MAX_BYTES = 256 * 1024


def fetch_json(
    url: str,
    *,
    accept: str,
    error: Callable[[str], Exception],
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Any:
    """GET ``url`` and parse its JSON body; raises ``error(message)`` for a non-200 answer, a body over
    ``max_bytes`` or a body that is not JSON (network errors of httpx pass through)."""
    import httpx  # only verifiers that reach out pay for it

    with (
        httpx.Client(timeout=httpx.Timeout(timeout_seconds), follow_redirects=False) as client,
        client.stream("GET", url, headers={"Accept": accept}) as response,
    ):
        if response.status_code != 200:
            raise error(f"{url} answered HTTP {response.status_code}")
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise error(f"{url} returned more than {max_bytes} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise error(f"{url} did not return JSON") from None

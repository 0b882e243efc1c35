"""The app served by uvicorn in a thread on a loopback port, for tests that need real HTTP (browser, interop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def serve_in_thread(app: Any, port: int, *, start_timeout: float = 20) -> Iterator[None]:
    """Serve ``app`` on 127.0.0.1:``port`` until the block ends; the test fails if it does not start."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)

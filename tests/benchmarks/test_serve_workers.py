"""`microcred serve --workers N` (what the HTTP section of `make bench` runs): uvicorn's supervisor with N worker
processes, on a listening socket with TCP_NODELAY (without it every keep-alive response waits for the client's
delayed ACK, ~40 ms on Linux: Kludex/uvicorn#3149). One worker is uvicorn.run, as before (tests/cli)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.settings import get_settings

_register()


def run(*args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_workers_run_under_uvicorns_supervisor_on_a_nodelay_socket(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from uvicorn import supervisors

    started: list[dict[str, Any]] = []

    class Supervisor:
        def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
            self.config, self.sockets = config, sockets

        def run(self) -> None:
            (sock,) = self.sockets
            started.append({
                "app": self.config.app, "factory": self.config.factory, "workers": self.config.workers,
                "address": sock.getsockname(), "tcp": (sock.family, sock.type) == (socket.AF_INET, socket.SOCK_STREAM),
                "nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            })
            sock.close()

    monkeypatch.setattr(supervisors, "Multiprocess", Supervisor)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("--workers 2 must not go through uvicorn.run"))
    port = free_port()
    code, out = run("serve", "--port", str(port), "--workers", "2")
    assert code == 0, out
    assert started == [{
        "app": "microcred.web.app:create_app", "factory": True, "workers": 2, "address": ("127.0.0.1", port),
        "tcp": True, "nodelay": 1,
    }]


def test_one_worker_is_uvicorn_run_as_before_and_zero_is_refused(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    code, out = run("serve", "--port", "8123", "--workers", "1")
    assert code == 0, out
    assert calls == [(("microcred.web.app:create_app",), {"factory": True, "host": "127.0.0.1", "port": 8123})]
    code, out = run("serve", "--workers", "0")
    assert code == 2 and "--workers" in out

"""CLI: init / demo / awards list / awards export, on SQLite and PostgreSQL; exit codes; no secrets printed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.settings import get_settings

_register()


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _secrets(data_dir: Path) -> list[str]:
    return [(data_dir / name).read_text().strip() for name in ("master.key", "api-token")]


def test_init_twice_demo_twice_list_and_export(cli_env: Path, tmp_path: Path) -> None:
    code, out, err = run("init")
    assert code == 0, err
    for name in ("master.key", "api-token"):
        assert stat.S_IMODE(os.stat(cli_env / name).st_mode) == 0o600
    assert "created" in out and "migrations applied" in out
    secrets_ = _secrets(cli_env)
    code, out2, err = run("init")
    assert code == 0, err
    assert "kept" in out2 and _secrets(cli_env) == secrets_

    code, out, err = run("demo")
    assert code == 0, err
    assert "9 awards" in out and "1 pathways" in out and "revoked " in out and "rotated-old " in out
    url = out.strip().splitlines()[-1].split()[-1]
    assert url.startswith("http://127.0.0.1:8000/credentials/")
    tour = [line.split()[-1] for line in out.splitlines() if line.startswith("  ") and "/console/" in line]
    assert any("/console/earners/" in u for u in tour) and any(u.endswith("/occupations") for u in tour)
    assert "http://127.0.0.1:8000/console/analytics" in tour
    code, out_again, err = run("demo")
    assert code == 0, err
    assert "nothing new" in out_again and url in out_again

    code, out, err = run("awards", "list", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 13 and url in {r["url"] for r in rows}  # 10 seeded + 3 issued by the bulk cohort
    code, table, err = run("awards", "list")
    assert code == 0 and "13 award(s)" in table

    award_id = url.rsplit("/", 1)[1]
    code, out, err = run("awards", "export", award_id)
    assert code == 0, err
    credential = json.loads(out)
    assert credential["id"] == url and credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    code, token, err = run("awards", "export", award_id, "--format", "jwt")
    assert code == 0 and token.strip().count(".") == 2
    target = tmp_path / "out" / "credential.jwt"
    code, out, err = run("awards", "export", award_id, "--format", "jwt", "--out", str(target))
    assert code == 0 and target.read_text().strip() == token.strip()

    everything = out + out2 + table + token + json.dumps(rows)
    for secret in secrets_:
        assert secret not in everything


@pytest.mark.parametrize(
    "args",
    [
        ("awards", "export", "not-an-id"),
        ("awards", "export", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli_env: Path, args: tuple[str, ...]) -> None:
    assert run("init")[0] == 0
    code, out, err = run(*args)
    assert code == 2
    assert "Traceback" not in err + out
    assert err.strip() and len(err.strip().splitlines()) <= 2


def test_usage_errors_exit_2(cli_env: Path) -> None:
    code, out, err = run("awards", "export", "00000000-0000-0000-0000-000000000000", "--format", "docx")
    assert code == 2 and "Traceback" not in out + err and "'docx' is not one of" in err


def test_list_before_init_says_so(cli_env: Path) -> None:
    code, _out, err = run("awards", "list")
    assert code == 2
    assert "microcred init" in err and "Traceback" not in err


def test_malformed_master_key_exits_2(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_MASTER_KEY", "too-short")
    code, _out, err = run("init")
    assert code == 2 and "master key" in err
    assert "too-short" not in err


def test_init_with_env_secrets_creates_no_files(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_MASTER_KEY", "B" * 43)
    monkeypatch.setenv("MICROCRED_API_TOKEN", "env-token-value")
    code, out, err = run("init")
    assert code == 0, err
    assert "from MICROCRED_MASTER_KEY" in out and "from MICROCRED_API_TOKEN" in out
    assert not (cli_env / "master.key").exists() and not (cli_env / "api-token").exists()
    assert "env-token-value" not in out and "B" * 43 not in out


def test_serve_runs_uvicorn_with_the_app_factory(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    code, _out, err = run("serve", "--host", "0.0.0.0", "--port", "8123")
    assert code == 0, err
    assert calls == [(("microcred.web.app:create_app",), {"factory": True, "host": "0.0.0.0", "port": 8123})]
    code, _out, _err = run("serve", "--port", "0")
    assert code == 2

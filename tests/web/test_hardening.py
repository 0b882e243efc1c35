"""Hardening (issue 12, point 5, and the small items of its "Why"): private files and folders, security headers and
a strict CSP the pages keep to, no Python object reprs in errors, dates reported as given, CLI output that prints
data as data."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from microcred.web.security import PAGE_CSP, RESOURCE_CSP

TEMPLATES = Path(str(resources.files("microcred.web"))) / "templates"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# -- files ----------------------------------------------------------------------------------------------------------
def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path: Path, umask_022: None) -> None:
    from microcred.db import make_engine

    folder = tmp_path / "new" / "instance"
    engine = make_engine(f"sqlite:///{folder / 'microcred.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
        assert _mode(folder / "microcred.db") == 0o600
        for companion in ("microcred.db-wal", "microcred.db-shm"):  # SQLite gives them the database's mode
            if (folder / companion).exists():
                assert _mode(folder / companion) == 0o600, companion
    finally:
        engine.dispose()


def test_an_existing_database_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    from microcred.db import make_engine

    path = tmp_path / "mine.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640


def test_microcred_init_creates_a_private_data_folder(isolated_settings: Path, umask_022: None) -> None:
    from typer.testing import CliRunner

    from microcred.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.stderr
    assert _mode(isolated_settings) == 0o700
    for name in ("microcred.db", "api-token"):  # the master key comes from the environment here
        assert _mode(isolated_settings / name) == 0o600, name


# -- headers --------------------------------------------------------------------------------------------------------
COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY"}


def _has_common(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in COMMON.items():
        assert headers.get(name) == value, (name, headers.get(name))


@pytest.mark.parametrize("path", ["/", "/verify", "/sign-in", "/no-such-page"])
def test_html_pages_carry_a_strict_csp(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")
    _has_common(response)
    csp = response.headers["content-security-policy"]
    assert csp == PAGE_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == "'self'" and directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"


def test_other_responses_load_nothing(client: TestClient, auth: dict[str, str]) -> None:
    for response in (
        client.get("/api/earners", headers=auth),
        client.get("/api/earners"),  # 401
        client.get("/static/style.css"),
        client.get("/openapi.json"),
        client.get("/no-such-thing", headers={"Accept": "application/json"}),
    ):
        _has_common(response)
        assert response.headers["content-security-policy"] == RESOURCE_CSP


def test_the_api_explorer_runs_only_its_own_inline_script(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    _has_common(docs)
    csp = docs.headers["content-security-policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", docs.text, re.DOTALL)
    assert inline, "FastAPI's explorer starts from an inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "script-src https://cdn.jsdelivr.net 'sha256-" in csp and "'unsafe-inline' " not in csp.split(";")[1]
    assert "frame-ancestors 'none'" in csp


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    """What the CSP forbids is not in the pages: no inline <script> (a page may load one of our own static files,
    which ``script-src 'self'`` allows, as progressive enhancement), no style attributes or elements, no on*=."""
    found = []
    scripts = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        source = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\ssrc=)", r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:"):
            if re.search(pattern, source, re.IGNORECASE):
                found.append(f"{template.relative_to(TEMPLATES)}: {pattern}")
        for tag in re.findall(r"<script\b[^>]*>", source, re.IGNORECASE):
            scripts.append(tag)
            static = re.search(r"src=\"\{\{ url_for\('static', path='([a-z0-9_-]+\.js)'\)\.path \}\}\"", tag)
            assert static, f"{template.name}: a script must be one of our static files: {tag}"
            assert (TEMPLATES.parent / "static" / static.group(1)).is_file(), tag
            assert "</script>" in source
    assert found == []
    assert scripts, "the bulk batch page's progress updates are the one script"


# -- errors -----------------------------------------------------------------------------------------------------------
def test_error_messages_never_show_object_reprs() -> None:
    from microcred.web.errors import clean_message

    assert clean_message("cannot identify image file <_io.BytesIO object at 0x7f3a2c1d5e90>") == (
        "cannot identify image file the data"
    )
    assert clean_message("plain <b>text</b> at 0x10 stays") == "plain <b>text</b> at 0x10 stays"


@pytest.mark.parametrize("garbage", [b"not an image at all" * 4, b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20])
def test_a_garbage_png_is_described_not_repr_ed(client: TestClient, garbage: bytes) -> None:
    from microcred.vc.baking import BakingError, bake_png, unbake_png

    for call in (lambda: bake_png(garbage, {}), lambda: unbake_png(garbage)):
        with pytest.raises(BakingError) as caught:
            call()
        assert " at 0x" not in str(caught.value) and "BytesIO" not in str(caught.value)
    response = client.post("/credentials/verify/upload", files={"file": ("badge.png", garbage, "image/png")})
    assert response.status_code in (400, 422), response.text
    assert " at 0x" not in response.text and "BytesIO" not in response.text


def test_an_oversized_evidence_file_is_not_misreported() -> None:
    from microcred.assessments.storage import EvidenceTooLarge, check_file

    limit = 1000
    with pytest.raises(EvidenceTooLarge) as caught:
        check_file(b"%PDF-" + b"x" * limit, max_bytes=limit)  # what the routes read: the limit + 1 bytes
    message = str(caught.value)
    assert "larger than the limit of 1000 bytes" in message and str(limit + 5) not in message
    assert str(limit + 1) not in message


def test_an_oversized_evidence_upload_over_http(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/assessments/evidence",
        data={"achievement_id": "x", "earner_id": "y", "visibility": "public"},
        files={"file": ("big.pdf", io.BytesIO(b"%PDF-" + b"x" * 1_100_000), "application/pdf")},
        headers=auth,
    )
    assert response.status_code == 413
    assert "1100005" not in response.text and "1024001" not in response.text


# -- dates ------------------------------------------------------------------------------------------------------
def test_dates_are_reported_as_given() -> None:
    from microcred.vc.dataintegrity import format_datetime, parse_datetime

    assert format_datetime(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert format_datetime(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "0999-12-31T23:59:59Z"
    assert format_datetime(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "9999-12-31T23:59:59Z"
    # normal dates: as before (UTC, Z, no fraction)
    eastern = timezone(timedelta(hours=-5))
    assert format_datetime(datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=eastern)) == "2025-03-04T10:06:07Z"
    assert format_datetime(datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=eastern)) == datetime(
        2025, 3, 4, 10, 6, 7, tzinfo=UTC
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert format_datetime(parse_datetime("0001-01-01T00:00:00Z")) == "0001-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="outside the years"):
        format_datetime(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    with pytest.raises(ValueError):
        format_datetime(datetime(2025, 1, 1))


# -- CLI ------------------------------------------------------------------------------------------------------------
def test_cli_verify_prints_data_as_data() -> None:
    from rich.console import Console

    from microcred.cli.vc_commands import _print_result
    from microcred.vc.verifier import CheckResult, VerificationResult

    console = Console(record=True, width=200, color_system=None)
    result = VerificationResult(
        verified=False,
        checks=(CheckResult("proof", False, "key did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#x "
                            "not trusted [red]really[/red] :smile:"),),
    )
    _print_result(console, "did:key:z6Mk.json", result)
    out = console.export_text()
    assert "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" in out and "did:key:z6Mk.json" in out
    assert "[red]really[/red]" in out and ":smile:" in out and "🔑" not in out


def test_cli_errors_print_data_as_data(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from microcred.cli import _register, app

    _register()
    missing = tmp_path / "did:key:z6Mk[b]x[/b].json"
    result = CliRunner().invoke(app, ["verify", str(missing)])
    assert result.exit_code == 2
    printed = result.stderr.replace("\n", "")
    assert "did:key:z6Mk[b]x[/b].json" in printed and "no such file" in printed
    assert "🔑" not in result.stderr

"""cli._runtime.errors: the one error mapping of every command (exit codes from microcred.errors.outcome)."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy.exc import OperationalError

from microcred.cli._runtime import NO_TABLES, NO_TAXONOMY_TABLES, errors
from microcred.errors import Conflict, NotFound, Unavailable, outcome
from microcred.vc.errors import KeyFormatError


def _exit(exc: Exception, capsys: pytest.CaptureFixture[str], **options: str) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as raised, errors(**options):
        raise exc
    return raised.value.exit_code, capsys.readouterr().err


@pytest.mark.parametrize("exc", [NotFound("no award x"), Conflict("already revoked"), Unavailable("later")])
def test_domain_errors_exit_with_the_code_of_the_one_table(
    exc: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _exit(exc, capsys)
    result = outcome(exc)
    assert result is not None and code == result.exit_code
    assert f"error: {exc}" in err and "Traceback" not in err


def test_standards_errors_carry_the_prefix_naming_the_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit(KeyFormatError("not a key"), capsys, prefix="--trusted-keys: ")
    assert code == 2 and "error: --trusted-keys: not a key" in err


@pytest.mark.parametrize(
    ("options", "hint"), [({}, NO_TABLES), ({"no_tables": NO_TAXONOMY_TABLES}, NO_TAXONOMY_TABLES)]
)
def test_a_missing_table_says_which_command_to_run(
    options: dict[str, str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = OperationalError("SELECT 1", {}, Exception("no such table: award"))
    code, err = _exit(missing, capsys, **options)
    assert code == 2 and hint in " ".join(err.split()) and "microcred init" in hint


def test_os_errors_name_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit(PermissionError(13, "Permission denied", "/srv/evidence"), capsys)
    assert code == 2 and "/srv/evidence: Permission denied" in err


def test_other_exceptions_are_defects_and_pass_through() -> None:
    with pytest.raises(KeyError), errors():
        raise KeyError("a bug")

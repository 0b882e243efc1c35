"""`microcred awards bulk`, on SQLite and PostgreSQL: the template, the dry run (nothing stored), issuing with a
progress bar, and the exit codes: 0 all issued, 1 some rows refused or failed (listed), 2 an unreadable file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import World, csv_bytes
from typer.testing import CliRunner

from microcred.awards.models import Award
from microcred.batches import csvfile
from microcred.batches import services as batches
from microcred.cli import _register, app
from microcred.settings import get_settings

_register()
HEADER = ["earner_name", "email", "achievement_code"]


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        return (
            int(session.scalar(select(func.count()).select_from(batches.AwardBatch)) or 0),
            int(session.scalar(select(func.count()).select_from(Award)) or 0),
        )


def write(tmp_path: Path, data: bytes, name: str = "cohort.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_template(cli_env: Path) -> None:
    code, out, _err = run("awards", "bulk", "--template")
    assert code == 0 and out == csvfile.template().replace("\r\n", "\n")  # (the runner shows line ends as \n)
    assert out.splitlines()[0].startswith("earner_name,email,earner_id,achievement_id,achievement_code,valid_from")
    code, _out, err = run("awards", "bulk")
    assert code == 2 and "give the CSV file to issue from (or --template to print one)" in err


def test_dry_run_lists_refusals_and_stores_nothing(
    cli_env: Path, factory: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    good = write(tmp_path, csv_bytes(HEADER, ["Ada", "ada@example.org", "HOSP-101"]))
    code, out, err = run("awards", "bulk", good, "--dry-run")
    assert code == 0, err
    assert out.strip() == "dry run: 1 of 1 row(s) can be issued; nothing was issued"
    mixed = write(tmp_path, csv_bytes(HEADER, ["Ada", "ada@example.org", "HOSP-101"], ["Bo", "bo@", "HOSP-101"]))
    code, out, err = run("awards", "bulk", mixed, "--dry-run")
    assert code == 1, err
    assert out.splitlines() == [
        "row 2: refused: email is not an email address: 'bo@'",
        "dry run: 1 of 2 row(s) can be issued; nothing was issued",
    ]
    assert counts(factory) == (0, 0)


def test_issue_all_then_some_refused(
    cli_env: Path, factory: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    first = write(tmp_path, csv_bytes(["earner_name", "email"], ["Ada", "ada@example.org"], ["Bo", "bo@example.org"]))
    code, out, err = run("awards", "bulk", first, "--achievement", "HOSP-101", "--wait")
    assert code == 0, err
    assert out.strip().endswith("finished: 2 issued, 0 refused by the dry run, 0 failed, 0 pending")
    assert counts(factory) == (1, 2)
    again = write(tmp_path, csv_bytes(HEADER, ["Ada", "ada@example.org", "HOSP-101"], ["Cy", "cy@example.org",
                                                                                       "HOSP-101"]), "again.csv")
    code, out, err = run("awards", "bulk", again, "--notify", "--wait")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith("row 1: refused: the earner already holds an active award of this achievement (award ")
    assert lines[-1].endswith("finished: 1 issued, 1 refused by the dry run, 0 failed, 0 pending")
    assert counts(factory) == (2, 3)
    with factory() as session:
        batch = session.scalars(select(batches.AwardBatch).where(batches.AwardBatch.file_name == "again.csv")).one()
        assert batch.notify is True and batch.created_by.startswith("cli")


def test_nothing_issuable_exits_1(cli_env: Path, factory: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    path = write(tmp_path, csv_bytes(HEADER, ["Ada", "ada@example.org", "DRAFT-1"]))
    code, out, _err = run("awards", "bulk", path)
    assert code == 1
    assert "row 1: refused: achievement 'Pastry Basics' is not published" in out
    assert "none of the 1 row(s) can be issued; nothing was issued" in out
    assert counts(factory) == (1, 0)


def test_an_unreadable_file_exits_2(cli_env: Path, factory: sessionmaker[Session], world: World,
                                    tmp_path: Path) -> None:
    latin = write(tmp_path, "email,achievement_code\r\nhélène@example.org,HOSP-101\r\n".encode("latin-1"))
    code, _out, err = run("awards", "bulk", latin)
    assert code == 2 and "the file is not UTF-8 text: byte 0xE9 on line 2" in err
    code, _out, err = run("awards", "bulk", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv: no such file" in err
    unknown = write(tmp_path, csv_bytes(["email", "grade"], ["ada@example.org", "A"]), "unknown.csv")
    code, _out, err = run("awards", "bulk", unknown, "--dry-run")
    assert code == 2 and "unknown column(s): grade." in err
    code, _out, err = run("awards", "bulk", write(tmp_path, b"", "empty.csv"))
    assert code == 2 and "the file is empty" in err
    code, _out, err = run("awards", "bulk", unknown, "--achievement", "NOPE-1")
    assert code == 2
    assert counts(factory) == (0, 0)


def test_the_size_limit_comes_from_the_settings(
    cli_env: Path, factory: sessionmaker[Session], world: World, tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("MICROCRED_MAX_BULK_FILE_BYTES", "100")
    path = write(tmp_path, csv_bytes(HEADER, *[["Ada", "ada@example.org", "HOSP-101"]] * 5))
    code, _out, err = run("awards", "bulk", path)
    assert code == 2 and "the file is larger than the limit of 0.0977 KB (100 bytes)" in err
    assert counts(factory) == (0, 0)


def test_without_wait_postgresql_queues_for_the_workers_and_sqlite_issues_here(
    cli_env: Path, factory: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    from microcred import jobs
    from microcred.settings import get_settings

    path = write(tmp_path, csv_bytes(HEADER, ["Ada", "ada@example.org", "HOSP-101"]))
    code, out, err = run("awards", "bulk", path)
    assert code == 0, err
    if factory.kw["bind"].dialect.name == "postgresql":
        assert "queued: 1 row(s) to issue by the job workers (`microcred worker`); 0 refused" in out
        assert counts(factory) == (1, 0)
        get_settings.cache_clear()
        assert jobs.drain(get_settings(), session_factory=factory) == 1  # a worker runs the job
    else:
        assert out.strip().endswith("finished: 1 issued, 0 refused by the dry run, 0 failed, 0 pending")
    assert counts(factory) == (1, 1)

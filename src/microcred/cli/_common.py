"""Small helpers shared by the CLI command groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

err_console = Console(stderr=True, highlight=False, emoji=False)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one clear line on stderr and exit (2 = bad input), never a traceback."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)  # message: no markup
    raise typer.Exit(code)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, expected a file")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")


def read_bytes(path: Path, limit: int = 10 * 1024 * 1024) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, expected a file")
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")
    if len(data) > limit:
        fail(f"{path}: larger than {limit // (1024 * 1024)} MiB")
    return data


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path}: malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def write_bytes(data: bytes, out: Path) -> None:
    """Write a binary export (badge image, PDF, ZIP) to ``out``, making its folder; a failure is bad input."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        fail(f"{out}: cannot be written ({exc.strerror})")


def write_output(text: str, out: Path | None, *, private: bool = False) -> None:
    if out is None:
        typer.echo(text)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        if private:
            out.chmod(0o600)
    except OSError as exc:
        fail(f"{out}: cannot be written ({exc.strerror})")

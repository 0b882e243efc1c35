"""Reading a bulk-issuance file into rows, and writing CSV that a spreadsheet opens safely.

Reading accepts what spreadsheets write: UTF-8 with or without a byte-order mark, `,` `;` or tab separators
(guessed from the header line), Windows or Unix line ends, quoted cells with separators and newlines inside, blank
lines. Whatever else is refused as a whole, with a message that says what to do: a file over the size limit, an
empty file, another encoding, a workbook instead of a CSV, unknown or repeated columns. Cells are kept as text,
exactly (a cell such as ``=HYPERLINK(...)`` is just text to microcred); any CSV written back escapes them
(`escape_cell`) so that no spreadsheet runs them as formulas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from microcred.errors import InvalidInput

# The columns, in the template's order (`outcome_1` ... `outcome_<n>` are the per-outcome results).
EARNER_COLUMNS = ("earner_name", "email", "earner_id")
ACHIEVEMENT_COLUMNS = ("achievement_id", "achievement_code")
OTHER_COLUMNS = ("valid_from", "valid_until", "evidence_url", "evidence_narrative", "term", "credits_earned",
                 "final_result")
KNOWN_COLUMNS = EARNER_COLUMNS + ACHIEVEMENT_COLUMNS + OTHER_COLUMNS
MAX_OUTCOMES = 99
_OUTCOME = re.compile(r"outcome_([1-9][0-9]?)")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = (",", ";", "\t")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
CLI_TEMPLATE = "`microcred awards bulk --template`"  # where the template is, as the command line and API say it


def N_(message: str) -> str:  # marks a message for the French catalogue; pages translate it when they show it
    return message


class Size(int):
    """A number of bytes shown as KB or MB (``str``: English; a page formats it in its reader's language)."""

    def __str__(self) -> str:
        return _megabytes(int(self))


class FileRefused(InvalidInput):
    """The whole file is refused. ``str()`` is the English message (command line, API); ``template`` (marked for
    the catalogue) and ``values`` let a page say it in its reader's language, and name where its own template is
    instead of the command line (the value ``template``)."""

    def __init__(self, message: str, /, **values: Any) -> None:
        self.template = message
        self.values: dict[str, Any] = values
        super().__init__(message % {name: str(value) for name, value in values.items()} if values else message)


@dataclass(frozen=True)
class Row:
    """One row under the header: its number (1 = the first row under the header), its non-empty cells by column,
    and what is wrong with its shape (too many cells), if anything."""

    number: int
    cells: dict[str, str]
    problem: str | None = None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    separator: str = ","

    @property
    def separator_name(self) -> str:
        return _SEPARATOR_NAMES.get(self.separator, repr(self.separator))


def outcome_number(column: str) -> int | None:
    """``outcome_3`` -> 3; None for any other column."""
    match = _OUTCOME.fullmatch(column)
    return int(match.group(1)) if match else None


def column_name(raw: str) -> str:
    """A header cell as a column name: case, surrounding spaces and inner spaces or hyphens do not matter
    (``Earner Name`` and ``earner-name`` are ``earner_name``)."""
    return re.sub(r"[\s\-]+", "_", raw.strip().casefold())


def _size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise FileRefused(
            N_("the file is larger than the limit of %(limit)s (%(bytes)s bytes): split it into smaller files"),
            limit=Size(max_bytes), bytes=max_bytes,
        )


def _megabytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    return f"{count / 1024:.3g} KB"


def _decode(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused(
            N_("this is a spreadsheet workbook (.xlsx, .xls or .ods), not a CSV file: save it as \"CSV UTF-8\" and "
               "upload that")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(N_("the file is UTF-16 text: save it as \"CSV UTF-8\" and upload that"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            N_("the file is not UTF-8 text: byte %(byte)s on line %(line)s cannot be read. Save it as \"CSV UTF-8\" "
               "(in Excel: File > Save As > CSV UTF-8), or convert it to UTF-8 from its encoding (often "
               "Windows-1252 or Latin-1)"),
            byte=f"0x{data[exc.start]:02X}", line=line,
        ) from None
    if "\x00" in text:
        raise FileRefused(N_("the file contains NUL characters: it is not a CSV text file"))
    return text


def _separator(text: str) -> str:
    """The separator the header line uses most (outside quotes); a single column reads as comma-separated."""
    header, quoted = [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            break
        elif not quoted:
            header.append(char)
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _records(text: str, separator: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        raise FileRefused(
            N_("the file cannot be read as CSV near line %(line)s: %(error)s (a cell with a quote, separator or line "
               "break inside must be quoted, with its quotes doubled)"),
            line=reader.line_num, error=exc,
        ) from None
    return records


def check_columns(raw: Sequence[str]) -> tuple[str, ...]:
    """The header's column names; unknown, unnamed or repeated columns refuse the file, all of them listed."""
    columns = tuple(column_name(c) for c in raw)
    unnamed = [str(i + 1) for i, c in enumerate(columns) if not c]
    if unnamed:
        raise FileRefused(N_("the header has no name for column(s) %(columns)s"), columns=", ".join(unnamed))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise FileRefused(N_("column(s) named more than once in the header: %(columns)s"), columns=", ".join(repeated))
    unknown = [raw[i].strip() for i, c in enumerate(columns) if c not in KNOWN_COLUMNS and outcome_number(c) is None]
    if unknown:
        raise FileRefused(
            N_("unknown column(s): %(unknown)s. The columns are %(known)s and outcome_1 ... outcome_%(max)s (see "
               "%(template)s)"),
            unknown=", ".join(unknown), known=", ".join(KNOWN_COLUMNS), max=MAX_OUTCOMES, template=CLI_TEMPLATE,
        )
    if not any(c in columns for c in ("email", "earner_id")):
        raise FileRefused(N_("the file has no email or earner_id column: each row must name its earner"))
    return columns


def _row(number: int, columns: tuple[str, ...], record: Sequence[str]) -> Row:
    problem = None
    if len(record) > len(columns):
        extra = record[len(columns):]
        if any(cell.strip() for cell in extra):
            problem = (
                f"row {number} has {len(record)} cells but the header names {len(columns)} columns "
                "(a cell holding a separator must be quoted)"
            )
    cells = {column: cell.strip() for column, cell in zip(columns, record, strict=False) if cell.strip()}
    return Row(number=number, cells=cells, problem=problem)


def read_csv(data: bytes, *, max_bytes: int) -> Table:
    """The file's rows, or `InvalidInput` saying why the whole file is refused (nothing is issued from it)."""
    _size(data, max_bytes)
    text = _decode(data)
    if not text.strip():
        raise FileRefused(
            N_("the file is empty: it needs a header line and at least one row (see %(template)s)"),
            template=CLI_TEMPLATE,
        )
    separator = _separator(text)
    records = _records(text, separator)
    columns = check_columns(records[0])
    rows = [_row(n, columns, record) for n, record in enumerate(records[1:], start=1) if any(c.strip() for c in record)]
    if not rows:
        raise FileRefused(N_("the file has a header line but no rows under it"))
    return Table(columns=columns, rows=rows, separator=separator)


def _json_cell(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{where} must be text or a number")
    return str(value).strip()


def read_records(records: Sequence[Any]) -> Table:
    """Rows given as JSON objects (column -> value), checked like a file's header and rows."""
    if not records:
        raise InvalidInput("rows is empty: give at least one row")
    names: list[str] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise InvalidInput(f"row {index + 1} must be an object (column: value)")
        names.extend(str(key) for key in record if str(key) not in names)
    columns = check_columns(names)
    rows = []
    for number, record in enumerate(records, start=1):
        cells = {
            column_name(str(key)): _json_cell(value, f"row {number}: {key}") for key, value in record.items()
        }
        rows.append(Row(number=number, cells={k: v for k, v in cells.items() if v}))
    return Table(columns=columns, rows=rows)


def escape_cell(value: Any) -> str:
    """A cell as written to a CSV: text that a spreadsheet would run as a formula (starting with = + - @, a tab
    or a carriage return) gets a leading apostrophe, so it shows as the text it is."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (comma-separated, CRLF line ends, every cell escaped)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue()


TEMPLATE_COLUMNS = (
    "earner_name", "email", "earner_id", "achievement_id", "achievement_code", "valid_from", "valid_until",
    "outcome_1", "outcome_2", "outcome_3", "evidence_url", "evidence_narrative", "term", "credits_earned",
    "final_result",
)
TEMPLATE_EXAMPLE = (
    "Ada Lovelace", "ada.lovelace@example.org", "", "", "HOSP-101", "2026-09-01", "", "", "", "",
    "https://college.example/evidence/ada", "Passed the practical kitchen assessment.", "2026F", "0.5", "Pass",
)


def template() -> str:
    """The documented template (docs/bulk-issuance.md): every column, and one example row to replace."""
    return write_csv(TEMPLATE_COLUMNS, [TEMPLATE_EXAMPLE])

"""Reading a bulk file: every case of issue 15's "Bad input" list, each with its message; and CSV written back
with formula cells escaped. The file-level cases need no database; the last tests check, on SQLite and
PostgreSQL, that a file refused as a whole leaves nothing behind and that a formula cell is stored as text."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import BASE, World, csv_bytes, make_batch, table, verdicts

from microcred.awards.models import Award
from microcred.batches import csvfile
from microcred.batches import services as batches
from microcred.batches.models import AwardBatch
from microcred.db import session_scope
from microcred.errors import InvalidInput
from microcred.settings import Settings

HEADER = ["earner_name", "email", "achievement_code"]
ADA = ["Ada Lovelace", "ada@example.org", "HOSP-101"]


def test_bom_semicolons_and_windows_line_ends() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(HEADER, ADA, ["Bo", "bo@example.org", "HOSP-101"], sep=";")
    assert b"\r\n" in data
    read = table(data)
    assert read.separator == ";" and read.columns == tuple(HEADER)
    assert [r.cells for r in read.rows] == [
        {"earner_name": "Ada Lovelace", "email": "ada@example.org", "achievement_code": "HOSP-101"},
        {"earner_name": "Bo", "email": "bo@example.org", "achievement_code": "HOSP-101"},
    ]


def test_tab_separated_unix_line_ends_and_header_spelling() -> None:
    data = csv_bytes(["Earner Name", "E-mail", "achievement-code"], ADA, sep="\t", newline="\n")
    assert data.startswith(b"Earner Name\tE-mail")
    with pytest.raises(InvalidInput, match=r"^unknown column\(s\): E-mail\. The columns are"):
        table(data)  # 'e-mail' is not 'email': listed, not guessed
    read = table(csv_bytes(["Earner Name", "EMAIL", "achievement-code"], ADA, sep="\t", newline="\n"))
    assert read.separator == "\t" and read.columns == ("earner_name", "email", "achievement_code")


def test_quoted_newlines_and_separators_inside_cells() -> None:
    narrative = "Line one; still line one,\r\nline two"
    read = table(csv_bytes([*HEADER, "evidence_narrative"], [*ADA, narrative], sep=";"))
    assert read.rows[0].cells["evidence_narrative"] == narrative
    assert len(read.rows) == 1


def test_blank_lines_are_skipped_and_rows_keep_their_numbers() -> None:
    data = csv_bytes(HEADER, ADA, ["", "", ""], ["Bo", "bo@example.org", "HOSP-101"]) + b"\r\n\r\n"
    assert [r.number for r in table(data).rows] == [1, 3]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"], ids=["empty", "bom-only", "blank"])
def test_an_empty_file_says_what_it_needs(data: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"^the file is empty: it needs a header line and at least one row"):
        table(data)


def test_a_header_without_rows() -> None:
    with pytest.raises(InvalidInput, match=r"^the file has a header line but no rows under it$"):
        table(csv_bytes(HEADER))


def test_over_the_size_limit() -> None:
    data = csv_bytes(HEADER, *[ADA] * 100)
    limit = r"^the file is larger than the limit of 1\.95 KB \(2000 bytes\): split it into smaller files$"
    with pytest.raises(InvalidInput, match=limit):
        csvfile.read_csv(data, max_bytes=2000)
    assert csvfile.read_csv(data, max_bytes=len(data)).rows  # exactly at the limit is fine


def test_the_default_limit_is_50_megabytes(tmp_path: object) -> None:
    assert Settings().max_bulk_file_bytes == 50 * 1024 * 1024
    data = b"email\r\n" + b"x" * (50 * 1024 * 1024)
    with pytest.raises(InvalidInput, match=r"larger than the limit of 50 MB \(52428800 bytes\)"):
        csvfile.read_csv(data, max_bytes=Settings().max_bulk_file_bytes)


def test_another_encoding_is_named_with_what_to_do() -> None:
    data = "earner_name,email,achievement_code\r\nHélène Côté,helene@example.org,HOSP-101\r\n".encode("cp1252")
    with pytest.raises(InvalidInput) as caught:
        table(data)
    assert str(caught.value).startswith("the file is not UTF-8 text: byte 0xE9 on line 2 cannot be read.")
    assert 'Save it as "CSV UTF-8"' in str(caught.value)


def test_utf16_workbooks_and_nul_bytes() -> None:
    with pytest.raises(InvalidInput, match=r'^the file is UTF-16 text: save it as "CSV UTF-8"'):
        table("email\r\nada@example.org\r\n".encode("utf-16"))
    with pytest.raises(InvalidInput, match=r"^this is a spreadsheet workbook \(\.xlsx, \.xls or \.ods\), not a CSV"):
        table(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    with pytest.raises(InvalidInput, match=r"^the file contains NUL characters: it is not a CSV text file$"):
        table(b"email\r\nada@exa\x00mple.org\r\n")


def test_unknown_columns_are_all_listed() -> None:
    with pytest.raises(InvalidInput) as caught:
        table(csv_bytes([*HEADER, "Grade", "outcome_0", "outcome_2"], [*ADA, "A", "x", "y"]))
    message = str(caught.value)
    assert message.startswith("unknown column(s): Grade, outcome_0. The columns are earner_name, email, earner_id,")
    assert "outcome_1 ... outcome_99" in message and "microcred awards bulk --template" in message


def test_repeated_unnamed_and_missing_columns() -> None:
    with pytest.raises(InvalidInput, match=r"^column\(s\) named more than once in the header: email$"):
        table(csv_bytes(["email", "Email", "achievement_code"], ["a@example.org", "b@example.org", "HOSP-101"]))
    with pytest.raises(InvalidInput, match=r"^the header has no name for column\(s\) 2$"):
        table(csv_bytes(["email", "", "achievement_code"], ["a@example.org", "x", "HOSP-101"]))
    with pytest.raises(InvalidInput, match=r"^the file has no email or earner_id column: each row must name its"):
        table(csv_bytes(["earner_name", "achievement_code"], ["Ada", "HOSP-101"]))


def test_bad_quoting_names_the_line() -> None:
    data = b'email,achievement_code\r\nada@example.org,HOSP-101\r\n"bo@example.org,HOSP-101\r\n'
    with pytest.raises(InvalidInput, match=r"^the file cannot be read as CSV near line 3: unexpected end of data"):
        table(data)


def test_a_row_with_too_many_cells_is_a_row_problem() -> None:
    read = table(b"email,achievement_code\r\nada@example.org,HOSP-101,extra\r\nbo@example.org,HOSP-101,\r\n")
    assert read.rows[0].problem == (
        "row 1 has 3 cells but the header names 2 columns (a cell holding a separator must be quoted)"
    )
    assert read.rows[1].problem is None  # a trailing empty cell is what spreadsheets write


def test_formula_cells_are_kept_as_text_and_escaped_when_written() -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    read = table(csv_bytes(HEADER, ["Ada", "ada@example.org", formula]))
    assert read.rows[0].cells["achievement_code"] == formula
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csvfile.escape_cell(start + "1+1") == "'" + start + "1+1"
    assert csvfile.escape_cell("plain") == "plain" and csvfile.escape_cell(None) == ""
    written = csvfile.write_csv(["a", "=b"], [[formula, "x"]])
    assert written == "a,'=b\r\n\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",x\r\n"


def test_json_rows_are_checked_like_a_file() -> None:
    read = csvfile.read_records([{"Email": "ada@example.org", "achievement_code": "HOSP-101", "outcome_1": 85}])
    assert read.rows[0].cells == {"email": "ada@example.org", "achievement_code": "HOSP-101", "outcome_1": "85"}
    with pytest.raises(InvalidInput, match=r"^unknown column\(s\): grade\."):
        csvfile.read_records([{"email": "ada@example.org", "grade": "A"}])
    with pytest.raises(InvalidInput, match=r"^row 1: email must be text or a number$"):
        csvfile.read_records([{"email": ["ada@example.org"]}])
    with pytest.raises(InvalidInput, match=r"^rows is empty: give at least one row$"):
        csvfile.read_records([])


def test_the_template_reads_back() -> None:
    read = table(csvfile.template().encode("utf-8"))
    assert read.columns == csvfile.TEMPLATE_COLUMNS and len(read.rows) == 1


# -- with a database: a refused file leaves nothing; a formula is stored as text and escaped on the way out -------
def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        return (
            int(session.scalar(select(func.count()).select_from(AwardBatch)) or 0),
            int(session.scalar(select(func.count()).select_from(Award)) or 0),
        )


def test_a_file_refused_as_a_whole_issues_and_stores_nothing(factory: sessionmaker[Session], world: World) -> None:
    bad = [
        b"",
        csv_bytes([*HEADER, "grade"], [*ADA, "A"]),
        "email,achievement_code\r\nhélène@example.org,HOSP-101\r\n".encode("latin-1"),
    ]
    for data in bad:
        with pytest.raises(InvalidInput), session_scope(factory) as session:
            batches.create_from_file(session, data, max_bytes=10_000, base_url=BASE, options=batches.Options())
    with pytest.raises(InvalidInput, match=r"^--achievement: unknown achievement code 'NOPE-1'$"), session_scope(
        factory
    ) as session:
        batches.create_from_file(
            session, csv_bytes(["email"], ["ada@example.org"]), max_bytes=10_000, base_url=BASE,
            options=batches.Options(achievement="NOPE-1"),
        )
    assert _counts(factory) == (0, 0)


def test_a_formula_cell_is_stored_as_text_and_escaped_in_the_results(
    factory: sessionmaker[Session], world: World
) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    data = csv_bytes(["earner_name", "email", "achievement_code"], [formula, "f@example.org", "HOSP-101"],
                     ["Bo", "bo@example.org", formula])
    batch_id = make_batch(factory, data, start=False)
    found = verdicts(factory, batch_id)
    assert found[1] == ("pending", None)
    assert found[2] == ("refused", f"unknown achievement code {formula!r}")
    with factory() as session:
        rows = batches.rows(session, batch_id)
        assert rows[0].data["earner_name"] == formula
        results = batches.results_csv(session, batch_id, base_url=BASE)
    import csv
    import io

    written = list(csv.reader(io.StringIO(results, newline="")))
    assert written[0] == list(batches.RESULT_COLUMNS)
    assert written[1][:2] == ["1", "f@example.org"] and written[1][4] == "pending"
    assert written[2][:4] == ["2", "bo@example.org", "", "'" + formula]  # the code as given, escaped
    assert written[2][7] == f"unknown achievement code {formula!r}"

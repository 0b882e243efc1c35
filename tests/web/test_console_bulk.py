"""The console's bulk issuance (issue 15), on SQLite and PostgreSQL: upload -> dry-run page (every row, its verdict
and reason) -> "Issue N awards" -> progress -> finished counts and the results CSV (award URLs, errors, formula
cells escaped); cancel; another organisation's staff gets 404; every bad file gets a message on the page and
leaves nothing behind; the body-size limit is per path (bulk uploads may be larger than any other body)."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import World, csv_bytes
from tests.batches.conftest import world as world  # the college, its achievements and an earner
from tests.web.conftest import BASE_URL, TOKEN, form_token, make_settings, sign_in_with_password

from microcred import jobs
from microcred.accounts import services as accounts
from microcred.awards.models import Award
from microcred.batches import services as batches
from microcred.settings import Settings

PASSWORD = "bulk console password 1"
HTML = {"Accept": "text/html"}
FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def bulk_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "instance")


@pytest.fixture
def app(bulk_settings: Settings, factory: sessionmaker[Session], world: World) -> FastAPI:
    from microcred.web.app import create_app

    with factory() as session:
        accounts.create_user(
            session, email="staff@college.example", name="Sam Staff", role="org_admin",
            organisation_id=world.org_id, password=PASSWORD,
        )  # fmt: skip
        session.commit()
    return create_app(settings=bulk_settings, session_factory=factory)


def sign_in(client: TestClient, email: str = "staff@college.example") -> TestClient:
    return sign_in_with_password(client, email, PASSWORD)


@pytest.fixture
def staff(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in(client)


def upload(client: TestClient, data: bytes, name: str = "cohort.csv", **fields: str) -> Any:
    token = form_token(client, "/console/awards/bulk")
    return client.post(
        "/console/awards/bulk",
        data={"csrf_token": token, **fields},
        files={"file": (name, data, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )


def act(client: TestClient, batch_url: str, action: str) -> Any:
    token = form_token(client, batch_url)
    return client.post(f"{batch_url}/{action}", data={"csrf_token": token}, headers=HTML, follow_redirects=False)


def count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed (entities of quotes decoded)."""
    import html as html_module

    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


def settle(client: TestClient, batch_url: str, settings: Settings, factory: sessionmaker[Session]) -> str:
    """The batch page once its job ran (drained here; on SQLite the app's worker thread may run it first)."""
    jobs.drain(settings, session_factory=factory)
    deadline = time.monotonic() + 60
    while True:
        page = text_of(client.get(batch_url).text)
        if "State: Finished" in page or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


COHORT = b"\xef\xbb\xbf" + csv_bytes(
    ["Earner Name", "email", "achievement_code", "valid_from", "evidence_narrative", "outcome_1"],
    ["Ada Lovelace", "ada@example.org", "HOSP-101", "2026-09-01", "Line one\nline two; with a semicolon", ""],
    ["Bo", "bo at example.org", "HOSP-101", "", "", ""],
    ["Cy", "cy@example.org", "NOPE-9", "", "", ""],
    ["Di", "di@example.org", FORMULA, "", "", ""],
    ["Ed", "ed@example.org", "ASSESS-1", "", "", "Proficient"],
    ["Ada Lovelace", "ada@example.org", "HOSP-101", "2026-09-01", "", ""],
    ["Fay", "fay@example.org", "HOSP-101", "1 September", "", ""],
    ["Amara Okafor", "amara.okafor@work.example", "HOSP-101", "", "", ""],
    sep=";",
)


def test_upload_dry_run_issue_and_results(
    staff: TestClient, world: World, factory: sessionmaker[Session], bulk_settings: Settings
) -> None:
    response = upload(staff, COHORT, notify="1")
    assert response.status_code == 303, text_of(response.text)
    batch_url = response.headers["location"]
    assert re.fullmatch(r"/console/awards/bulk/[0-9a-f-]{36}", batch_url)
    page = text_of(staff.get(batch_url).text)
    assert "State: Checked, waiting for you to start it" in page
    assert "Rows 1 to 8 of 8" in page and "Earners emailed Yes" in page
    assert "email is not an email address: 'bo at example.org'" in page
    assert "unknown achievement code 'NOPE-9'" in page
    assert f"unknown achievement code {FORMULA!r}" in page  # a formula is just text
    assert "outcome 2" in page and "has no recorded result" in page  # an assessed achievement's missing result
    assert "duplicate of row 1" in page
    assert "valid_from must be a date" in page
    assert "2 rows will be issued" in page and "6 rows cannot be issued" in page
    assert "Issue 2 awards" in page and count(factory, Award) == 0
    only_problems = text_of(staff.get(f"{batch_url}?show=problems").text)
    assert "Rows 1 to 6 of 6" in only_problems and "Amara Okafor" not in only_problems

    started = act(staff, batch_url, "start")
    assert started.status_code == 303 and started.headers["location"] == f"{batch_url}?done=started"
    assert "its awards are being issued" in text_of(staff.get(started.headers["location"]).text)
    finished = settle(staff, batch_url, bulk_settings, factory)
    assert "State: Finished" in finished and "2 awards issued" in finished and "0 rows failed" in finished
    assert "Issue 2 awards" not in finished and "Cancel the batch" not in finished
    assert count(factory, Award) == 2

    results = staff.get(f"{batch_url}/results.csv")
    assert results.status_code == 200 and results.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(results.text, newline="")))
    assert lines[0] == list(batches.RESULT_COLUMNS) and len(lines) == 9
    issued = [line for line in lines[1:] if line[4] == "issued"]
    assert [line[0] for line in issued] == ["1", "8"]
    assert all(line[6] == f"{BASE_URL}/credentials/{line[5]}" for line in issued)
    assert lines[4][3] == "'" + FORMULA and lines[4][7] == f"unknown achievement code {FORMULA!r}"
    assert lines[2][7].startswith("email is not an email address")
    listing = text_of(staff.get("/console/awards/bulk").text)
    assert "cohort.csv" in listing and "Finished" in listing


def test_cancel_keeps_what_was_issued(staff: TestClient, world: World, factory: sessionmaker[Session]) -> None:
    data = csv_bytes(["email", "earner_name"], ["ada@example.org", "Ada"], ["bo@example.org", "Bo"])
    batch_url = upload(staff, data, achievement=str(world.plain_id)).headers["location"]
    assert "Issue 2 awards" in text_of(staff.get(batch_url).text)
    cancelled = act(staff, batch_url, "cancel")
    assert cancelled.status_code == 303
    page = text_of(staff.get(cancelled.headers["location"]).text)
    assert "The batch was cancelled" in page and "State: Cancelled" in page
    assert "2 rows not issued" in page and "Not issued: cancelled" in page
    again = act(staff, batch_url, "start")
    assert again.status_code == 409 and "only a batch waiting after its dry run can be started" in again.text
    assert count(factory, Award) == 0


def test_a_batch_with_nothing_to_issue_cannot_be_started(staff: TestClient, world: World) -> None:
    batch_url = upload(staff, csv_bytes(["email", "achievement_code"], ["x@example.org", "NOPE"])).headers["location"]
    page = text_of(staff.get(batch_url).text)
    assert "State: Nothing can be issued" in page and "upload the file again" in page and "Issue" not in page
    refused = act(staff, batch_url, "start")
    assert refused.status_code == 409 and "fix the file and upload it" in refused.text


def test_another_organisations_staff_get_404(
    app: FastAPI, staff: TestClient, world: World, factory: sessionmaker[Session], make_org: Any,
    make_achievement: Any,
) -> None:  # fmt: skip
    with factory() as session:
        other = make_org(session, name="Other College", registration_id="ON-OTHER-002")
        foreign = make_achievement(session, other.id, name="Other Course")
        accounts.create_user(
            session, email="staff@other.example", name="Olu Other", role="org_admin", organisation_id=other.id,
            password=PASSWORD,
        )  # fmt: skip
        session.commit()
        foreign_id = str(foreign.id)
    batch_url = upload(
        staff, csv_bytes(["email", "earner_name", "achievement_code"], ["a@example.org", "A", "HOSP-101"])
    ).headers["location"]
    outsider = sign_in(TestClient(app, base_url="https://testserver"), "staff@other.example")
    assert outsider.get(batch_url).status_code == 404
    assert outsider.get(f"{batch_url}/results.csv").status_code == 404
    token = form_token(outsider, "/console/awards/bulk")
    for action in ("start", "cancel"):
        assert outsider.post(f"{batch_url}/{action}", data={"csrf_token": token}).status_code == 404
    assert "cohort" not in outsider.get("/console/awards/bulk").text
    assert outsider.get("/console/awards/bulk/00000000-0000-0000-0000-000000000000").status_code == 404
    assert outsider.get("/console/awards/bulk/not-an-id").status_code == 404
    # a row naming another organisation's achievement is refused by the dry run, with the reason; nothing to issue
    refused = upload(staff, csv_bytes(["email", "earner_name", "achievement_id"], ["b@example.org", "B", foreign_id]))
    assert refused.status_code == 303
    page = text_of(staff.get(refused.headers["location"]).text)
    assert "'Other Course' belongs to another organisation: you can only award your organisation's achievements" in page
    with factory() as session:
        batch = batches.get_batch(session, refused.headers["location"].rsplit("/", 1)[1])
        assert (batch.state, batch.refused_count) == ("draft", 1)


BAD_FILES = [
    (b"", "the file is empty"),
    (b"email,achievement_code\r\n", "a header line but no rows under it"),
    ("email,achievement_code\r\nhélène@example.org,HOSP-101\r\n".encode("latin-1"), "not UTF-8 text: byte 0xE9"),
    ("email\r\na@example.org\r\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04" + b"\x00" * 40, "workbook"),
    (csv_bytes(["email", "grade", "colour"], ["a@example.org", "A", "red"]), "unknown column(s): grade, colour"),
    (b'email,achievement_code\r\n"a@example.org,HOSP-101\r\n', "cannot be read as CSV near line 2"),
    (csv_bytes(["earner_name", "achievement_code"], ["Ada", "HOSP-101"]), "no email or earner_id column"),
]


def test_each_bad_file_gets_a_message_and_nothing_is_kept(
    staff: TestClient, world: World, factory: sessionmaker[Session]
) -> None:
    for data, expected in BAD_FILES:
        response = upload(staff, data)
        page = text_of(response.text)
        assert response.status_code == 400, (expected, page[:300])
        assert "There is a problem" in page and expected in page, (expected, page[page.find("There is") :][:300])
    no_file = staff.post(
        "/console/awards/bulk", data={"csrf_token": form_token(staff, "/console/awards/bulk")}, headers=HTML
    )
    assert no_file.status_code == 400 and "Choose the CSV file to upload." in text_of(no_file.text)
    bad_choice = upload(staff, COHORT, achievement="not-an-achievement")
    assert bad_choice.status_code == 400 and "Choose one of the options." in text_of(bad_choice.text)
    assert count(factory, batches.AwardBatch) == 0 and count(factory, Award) == 0


def test_the_template_and_french(staff: TestClient, world: World) -> None:
    template = staff.get("/console/awards/bulk/template.csv")
    assert template.status_code == 200 and template.headers["content-type"] == "text/csv; charset=utf-8"
    header = next(csv.reader(io.StringIO(template.text)))
    assert header[:3] == ["earner_name", "email", "earner_id"] and "outcome_1" in header
    assert "attachment" in template.headers["content-disposition"]
    staff.cookies.set("lang", "fr")
    page = text_of(staff.get("/console/awards/bulk").text)
    assert "Attribution en lot" in page and "Téléverser et vérifier le fichier" in page
    batch_url = upload(staff, csv_bytes(["email", "achievement_code"], ["x@example.org", "NOPE"])).headers["location"]
    batch = text_of(staff.get(batch_url).text)
    assert "Ne peut pas être délivrée" in batch and "unknown achievement code 'NOPE'" in batch  # reasons: English


def test_a_refused_file_is_explained_in_french_with_this_pages_template(staff: TestClient, world: World) -> None:
    staff.cookies.set("lang", "fr")
    empty = text_of(upload(staff, b"").text)
    assert "le fichier est vide : il faut une ligne d’en-tête et au moins une ligne" in empty
    assert "(voir le modèle à télécharger sur cette page)" in empty and "microcred awards bulk" not in empty
    unknown = text_of(upload(staff, csv_bytes(["email", "grade"], ["a@example.org", "A"])).text)
    assert "colonne(s) inconnue(s) : grade. Les colonnes sont earner_name, email" in unknown
    assert "microcred awards bulk" not in unknown
    staff.cookies.set("lang", "en")
    english = text_of(upload(staff, b"").text)
    assert "(see the template you can download on this page)" in english and "microcred awards bulk" not in english


def test_the_body_limit_is_per_path(tmp_path: Path, factory: sessionmaker[Session], world: World) -> None:
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "small", MICROCRED_MAX_BULK_FILE_BYTES=200_000)
    settings.max_body_bytes = 50_000
    with factory() as session:
        accounts.create_user(
            session, email="limits@college.example", name="Lim", role="org_admin", organisation_id=world.org_id,
            password=PASSWORD,
        )  # fmt: skip
        session.commit()
    narrative = "Observed in the kitchen. " * 20
    rows = [[f"earner{i}@example.org", f"Earner {i}", "HOSP-101", narrative] for i in range(250)]
    big = csv_bytes(["email", "earner_name", "achievement_code", "evidence_narrative"], *rows)  # over max_body_bytes
    assert 100_000 < len(big) < 150_000
    with TestClient(create_app(settings=settings, session_factory=factory), base_url="https://testserver") as client:
        sign_in(client, "limits@college.example")
        accepted = upload(client, big)
        assert accepted.status_code == 303, text_of(accepted.text)[:300]
        first = text_of(client.get(accepted.headers["location"]).text)  # 200 rows a page
        assert "Rows 1 to 200 of 250" in first and "Page 1 of 2" in first and "Next page" in first
        assert "earner199@example.org" in first and "earner200@example.org" not in first
        second = text_of(client.get(accepted.headers["location"] + "?page=2").text)
        assert "Rows 201 to 250 of 250" in second and "Previous page" in second and "earner249@example.org" in second
        auth = {"Authorization": f"Bearer {TOKEN}"}
        api = client.post("/api/award-batches", files={"file": ("a.csv", big)}, data={"dry_run": "1"}, headers=auth)
        assert api.status_code == 201, api.text[:300]
        elsewhere = client.post("/api/earners", content=b"{" + b" " * 60_000 + b"}",
                                headers={**auth, "Content-Type": "application/json"})  # fmt: skip
        assert elsewhere.status_code == 413 and "50000 bytes" in elsewhere.json()["error"]
        over_file = upload(client, big + big[-90_000:])  # over the file limit, within the form's allowance
        assert over_file.status_code == 400 and "larger than the limit of 195 KB" in text_of(over_file.text)
        too_big = upload(client, big * 3)  # over the path's limit: refused before it is read, as a page
        assert too_big.status_code == 413 and too_big.headers["content-type"].startswith("text/html")
        assert "What you sent is too large: the limit is 195 KB" in text_of(too_big.text)
        client.cookies.set("lang", "fr")  # sizes in French: a decimal comma and French units
        over_fr = text_of(upload(client, big + big[-90_000:]).text)
        assert "le fichier dépasse la limite de 195 Ko (200000 octets)" in over_fr, over_fr[:400]
        assert "trop volumineux : la limite est de 195 Ko" in text_of(upload(client, big * 3).text)
        client.cookies.set("lang", "fr")
        assert "trop volumineux" in text_of(upload(client, big * 3).text)
        api_big = client.post("/api/award-batches", files={"file": ("a.csv", big * 3)}, headers=auth)
        assert api_big.status_code == 413 and "200000 bytes" in api_big.json()["error"]
    assert count(factory, batches.AwardBatch) == 2


def test_other_writers_go_on_while_a_file_is_checked(
    staff: TestClient, world: World, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dry run holds SQLite's one write lock only in short slices (each row tries a new earner, then rolls it
    back): another connection that starts writing early in the check gets in between two slices, long before the
    check ends, within a 1 s busy timeout (the check takes 2 s here), and both are kept."""
    import threading

    from microcred import db
    from microcred.batches import plan
    from microcred.earners import services as earners
    from microcred.web import reading

    monkeypatch.setattr(reading, "DRY_RUN_SLICE", 5)
    other = db.make_engine(db_url, busy_timeout=1.0)
    checked: list[int] = []
    outcome: dict[str, Any] = {}
    real_check = plan.DryRun.check

    def write() -> None:
        try:
            with db.session_scope(db.session_factory(other)) as session:
                earners.create_earner(session, name="Written Meanwhile", email="meanwhile@example.org")
            outcome["after_row"] = len(checked)
        except Exception as exc:  # the lock was held too long: the test says so below
            outcome["error"] = repr(exc)

    writer = threading.Thread(target=write)

    def slow_check(self: Any, row: Any) -> Any:
        verdict = real_check(self, row)
        checked.append(row.number)
        if len(checked) == 2:
            writer.start()  # while this slice holds the lock (rows 1-5)
        time.sleep(0.05)  # 40 rows: 2 s of checking in all
        return verdict

    monkeypatch.setattr(plan.DryRun, "check", slow_check)
    rows = [[f"New Earner {i}", f"new{i}@example.org", "HOSP-101"] for i in range(40)]
    try:
        response = upload(staff, csv_bytes(["earner_name", "email", "achievement_code"], *rows))
        writer.join(30)
    finally:
        other.dispose()
    assert response.status_code == 303, text_of(response.text)[:400]
    assert "error" not in outcome, outcome
    assert outcome["after_row"] < 40, outcome  # it wrote between two slices, not once the whole file was checked
    with factory() as session:
        batch = batches.get_batch(session, response.headers["location"].rsplit("/", 1)[1])
        assert (batch.row_count, batch.refused_count, batch.state) == (40, 0, "dry-run-ok")
        assert earners.find_earner_by_email(session, "meanwhile@example.org") is not None
        assert earners.find_earner_by_email(session, "new1@example.org") is None  # the dry run kept nothing

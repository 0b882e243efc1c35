"""The console's audit log `/console/audit` (issue 16, point 4), on SQLite and PostgreSQL: entries newest first with
their time, actor, action and subject (linked to its console page); the GET filters narrow the list; pages keep
the filters; bad dates are 400 with the message at the field; "Verify the chain" reports an intact chain, and an
entry tampered with directly in the database; the JSON Lines export; administrators only; French."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.web.conftest import form_token
from tests.web.org_site import Site, site_for

from microcred.audit import services as audit
from microcred.audit.models import AuditEntry

HTML = {"Accept": "text/html"}
AWARD = uuid.UUID("33333333-3333-4333-8333-333333333333")
DAY = datetime(2020, 5, 4, 10, 30, tzinfo=UTC)  # before anything else the log holds


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from site_for(request, tmp_path_factory.mktemp(f"audit-{request.param}"))


@pytest.fixture(scope="module")
def seeded(site: Site) -> dict[str, int]:
    """Four events by 'cli:story' on four days of May 2020, and 55 by 'cli:pager' (seq of each by name)."""
    events = [
        ("story.one", f"organisation:{site.college}", {"name": "Lakeshore College"}),
        ("award.issued", f"award:{AWARD}", {"achievement_id": "a1"}),
        ("award.revoked", f"award:{AWARD}", {"reason_sha256": "ab"}),
        ("story.two", "batch:not-a-uuid", {"issuer_id": str(site.other)}),
    ]
    seqs: dict[str, int] = {}
    with site.factory() as session:
        for day, (action, subject, details) in enumerate(events):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(audit, "utcnow", lambda day=day: DAY + timedelta(days=day))
                seqs[action] = audit.record(session, action, subject, details, actor="cli:story").seq
        for n in range(55):
            audit.record(session, "pager.step", f"batch:{uuid.uuid4()}", {"n": n}, actor="cli:pager")
        session.commit()
    return seqs


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<th scope="row">(\d+)</th>', page)]


def _get(client: TestClient, query: str = "", **headers: str) -> Any:
    return client.get(f"/console/audit{query}", headers={**HTML, **headers})


def test_the_log_lists_entries_newest_first_with_links(site: Site, seeded: dict[str, int]) -> None:
    page = _get(site.admin, "?actor=cli:story")
    assert page.status_code == 200
    assert '<a href="/console/audit" aria-current="page">Audit log</a>' in page.text
    assert _shown(page.text) == sorted(seeded.values(), reverse=True)
    assert f'<a href="/console/awards/{AWARD}">award:{AWARD}</a>' in page.text
    assert f'<a href="/console/organisations/{site.college}">organisation:{site.college}</a>' in page.text
    assert "<td>batch:not-a-uuid</td>" in page.text  # no page for it: not linked
    assert "<td>2020-05-04 10:30:00</td>" in page.text and "<td>cli:story</td>" in page.text
    assert "<dt>reason_sha256</dt><dd>ab</dd>" in page.text
    assert "4 entries" in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?actor=cli:story&action=award", ["award.revoked", "award.issued"]),
        ("?actor=cli:story&action=story.two", ["story.two"]),
        (f"?subject={AWARD}", ["award.revoked", "award.issued"]),
        (f"?subject=award:{AWARD}&action=award.issued", ["award.issued"]),
        ("?actor=cli:story&organisation={other}", ["story.two"]),
        ("?from=2020-05-05&to=2020-05-06", ["award.revoked", "award.issued"]),
        ("?from=2020-05-07&to=2020-05-07", ["story.two"]),  # one whole UTC day
        ("?actor=cli:story&from=2020-05-06", ["story.two", "award.revoked"]),
        ("?actor=STORY&to=2020-05-04", ["story.one"]),
    ],
)
def test_filters_narrow_the_list(site: Site, seeded: dict[str, int], query: str, expected: list[str]) -> None:
    page = _get(site.admin, query.format(other=site.other))
    assert page.status_code == 200
    assert _shown(page.text) == [seeded[action] for action in expected]
    assert 'href="/console/audit">Clear the filters</a>' in page.text


def test_pages_keep_the_filters(site: Site, seeded: dict[str, int]) -> None:
    first = _get(site.admin, "?actor=cli:pager")
    assert len(_shown(first.text)) == 50 and "55 entries" in first.text and "Page 1 of 2" in first.text
    link = re.search(r'<a href="(\?[^"]+)">Next page</a>', first.text)
    assert link is not None and "actor=cli%3Apager" in link.group(1)
    second = _get(site.admin, link.group(1).replace("&amp;", "&"))
    assert len(_shown(second.text)) == 5 and max(_shown(second.text)) < min(_shown(first.text))
    assert _shown(_get(site.admin, f"?entry={seeded['story.one']}").text) == [seeded["story.one"]]


def test_bad_filters_are_a_400_at_the_field(site: Site, seeded: dict[str, int]) -> None:
    bad = _get(site.admin, "?from=yesterday")
    assert bad.status_code == 400
    assert '<p id="from-error" class="field-error">' in bad.text and "Enter a date such as 2026-01-31." in bad.text
    assert 'aria-invalid="true"' in bad.text and _shown(bad.text) == []
    reversed_range = _get(site.admin, "?from=2020-05-06&to=2020-05-05")
    assert reversed_range.status_code == 400 and "This date is before the start date" in reversed_range.text
    assert _get(site.admin, "?organisation=nope").status_code == 400
    assert _get(site.admin, "?page=0").status_code in (400, 422)
    assert _get(site.admin, "?entry=99999999999").status_code in (400, 422)
    assert _get(site.admin, "?actor=a%00b").status_code == 422  # a character PostgreSQL cannot store
    assert _get(site.admin, "?actor=" + "x" * 201).status_code == 400


def _verify(client: TestClient, **headers: str) -> Any:
    token = form_token(client, "/console/audit")
    return client.post("/console/audit/verify", data={"csrf_token": token}, headers={**HTML, **headers})


def test_verify_reports_an_intact_chain_then_a_tampered_entry(site: Site, seeded: dict[str, int]) -> None:
    intact = _verify(site.admin)
    assert intact.status_code == 200
    assert re.search(r"The chain is intact: \d+ entries checked, none edited, removed or reordered.", intact.text)
    target = seeded["award.issued"]
    with site.factory() as session:
        original = session.scalars(select(AuditEntry.actor).where(AuditEntry.seq == target)).one()
        session.execute(update(AuditEntry).where(AuditEntry.seq == target).values(actor="cli:someone-else"))
        session.commit()
    try:
        broken = _verify(site.admin)
        assert broken.status_code == 200
        assert f"The chain is broken at entry {target}" in broken.text
        assert f"Entry {target} does not match its hash: it may have been edited." in broken.text
        assert f'<a href="/console/audit?entry={target}">Show entry {target}</a>' in broken.text
        assert 'href="/console/audit.jsonl"' in broken.text
        french = _verify(site.admin, **{"Accept-Language": "fr"})
        assert f"La chaîne est rompue à l’entrée {target}" in french.text
    finally:
        with site.factory() as session:
            session.execute(update(AuditEntry).where(AuditEntry.seq == target).values(actor=original))
            session.commit()
    assert "The chain is intact" in _verify(site.admin).text
    assert site.admin.post("/console/audit/verify", headers=HTML).status_code == 403  # no CSRF token


def test_export_is_the_whole_log_as_json_lines(site: Site, seeded: dict[str, int]) -> None:
    response = site.admin.get("/console/audit.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    assert "attachment" in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert lines[seeded["award.revoked"] - 1]["details"] == {"reason_sha256": "ab"}
    assert all(len(line["hash"]) == 64 for line in lines)


def test_only_administrators_see_the_log(site: Site, seeded: dict[str, int]) -> None:
    assert _get(site.assessor).status_code == 403
    assert site.assessor.get("/console/audit.jsonl", headers=HTML).status_code == 403
    assert 'href="/console/audit"' not in site.assessor.get("/console").text
    assert _get(site.other_admin).status_code == 200


def test_the_page_in_french(site: Site, seeded: dict[str, int]) -> None:
    page = _get(site.admin, "?actor=cli:story", **{"Accept-Language": "fr"}).text
    assert 'lang="fr"' in page and "Journal d’audit" in page and "Vérifier la chaîne" in page
    assert "4 entrées" in page
    bad = _get(site.admin, "?to=demain", **{"Accept-Language": "fr"})
    assert bad.status_code == 400 and "Saisissez une date, par exemple 2026-01-31." in bad.text

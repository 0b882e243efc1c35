"""The instance verifier's reads of the store: once per verification, reused only under an unchanged stamp."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from microcred import verification
from microcred.settings import Settings
from microcred.vc import memo
from web.conftest import make_settings


def test_list_ttl_is_read_from_the_list_and_bounded() -> None:
    def doc(ttl: Any) -> dict[str, Any]:
        return {"credentialSubject": {"ttl": ttl}}

    assert verification._list_ttl_seconds(doc(60_000), 300) == 60
    assert verification._list_ttl_seconds(doc(0), 300) == 0
    assert verification._list_ttl_seconds(doc(10**12), 300) == 3600
    for unusable in (-1, "60000", True, None, 1.5):
        assert verification._list_ttl_seconds(doc(unusable), 300) == 300
    assert verification._list_ttl_seconds({"credentialSubject": "x"}, 42) == 42
    assert verification._list_ttl_seconds([], 42) == 42


@pytest.fixture
def trusting(tmp_path: Any) -> Settings:
    return make_settings(tmp_path / "instance", MICROCRED_TRUSTED_HOSTS="lists.example")


def test_remote_list_cache_honours_ttl_and_memo_switch(factory: sessionmaker[Session], trusting: Settings) -> None:
    fetched: list[str] = []
    ttl = {"value": 60_000}

    def fake_http(url: str) -> Any:
        fetched.append(url)
        return {"id": url, "credentialSubject": {"ttl": ttl["value"]}, "n": len(fetched)}

    fetch = verification.StatusListFetcher(factory, trusting, http_fetch=fake_http)
    url = f"https://lists.example/{id(fetched)}"
    assert fetch(url)["n"] == 1
    assert fetch(url)["n"] == 1  # kept: its ttl has not passed
    with memo.disabled():
        assert fetch(url)["n"] == 2  # the uncached baseline fetches every time
    ttl["value"] = 0
    other = url + "/zero"
    assert fetch(other)["n"] == 3
    assert fetch(other)["n"] == 4  # ttl 0: never kept
    assert fetched.count(other) == 2


@pytest.fixture
def queries(factory: sessionmaker[Session]) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = factory.kw["bind"]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_one_stamp_read_per_verification_and_rows_reused_under_it(
    factory: sessionmaker[Session], settings: Settings, issued: Any, queries: list[str]
) -> None:
    from microcred.awards import lifecycle
    from microcred.awards import queries as awards
    from microcred.db import session_scope

    with session_scope(factory) as session:
        document = awards.credential_document(awards.get_award(session, issued.award_id))
    verifier = verification.instance_verifier(factory, settings)
    assert verifier.verify(document).verified
    queries.clear()
    assert verifier.verify(document).verified
    selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects  # the one stamp statement (lists and keys); all else is reused under it
    with session_scope(factory) as session:
        lifecycle.revoke_award(session, issued.award_id, reason="test: seen at once")
    queries.clear()
    result = verifier.verify(document)
    assert not result.verified and any(c.reason == "revoked by the issuer" for c in result.failures)
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) > 1  # the stamp changed: re-read


def test_a_verification_under_an_older_stamp_never_files_rows_under_a_newer_one(
    factory: sessionmaker[Session],
) -> None:
    state = verification.InstanceState(factory, "test-db-" + json.dumps(id(factory)))
    with factory() as session:
        older = state._generation(session)
        older.holds["x"] = True  # type: ignore[index]
        verification._generations[state._database] = verification._Generation(("changed",))
        newer = state._generation(session)
    assert newer is not older and newer.stamp == older.stamp and not newer.holds

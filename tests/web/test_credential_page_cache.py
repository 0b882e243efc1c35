"""The credential page's per-process content cache (issue 14, web/pagecache.py): a repeated view is served from
it, and everything that changes the page is seen by the very next request (revocation, suspension, reinstatement,
a compromised key, the earner's sharing choices, the language, the credential's validity ending); no viewer ever
gets another viewer's page. Renders are counted, never timed. SQLite and PostgreSQL (the `factory` fixture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred.settings import Settings
from microcred.web import pagecache
from microcred.web.routes.public import credentials as credential_routes

from .conftest import Issued, sign_in_with_link

HTML = {"Accept": "text/html"}


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    pagecache.page_cache.clear()
    yield
    pagecache.page_cache.clear()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The id of the credential of each content render (a cache hit renders nothing)."""
    seen: list[str] = []
    real = credential_routes.render_content

    def counting(request: Any, templates: Any, view: Any) -> pagecache.Fragment:
        seen.append(str(view.id))
        return real(request, templates, view)

    monkeypatch.setattr(credential_routes, "render_content", counting)
    return seen


class Clock:
    """One frozen "now" for the verifier (vc.verifier) and the page cache (web.pagecache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        clock = self

        class Frozen(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Frozen:
                moment = clock.now if tz is None else clock.now.astimezone(tz)
                return cls.fromtimestamp(moment.timestamp(), tz or UTC)

        from microcred.vc import verifier

        monkeypatch.setattr(verifier, "datetime", Frozen)
        monkeypatch.setattr(pagecache, "datetime", Frozen)


def _page(client: TestClient, issued: Issued, **headers: str) -> str:
    response = client.get(f"/credentials/{issued.award_id}", headers={**HTML, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html: str = response.text
    return html


def _main(html: str) -> str:
    """The page's content block (what the cache keeps), without the per-request layout around it."""
    match = re.search(r'<main id="main"[^>]*>(.*)</main>', html, re.S)
    assert match is not None
    content: str = match.group(1)
    return content


def test_a_second_view_is_served_from_the_cache_inside_a_fresh_layout(
    client: TestClient, issued: Issued, renders: list[str]
) -> None:
    first = _page(client, issued)
    second = _page(client, issued)
    assert renders == [issued.credential_url]  # rendered once
    assert pagecache.page_cache.hits == 1 and len(pagecache.page_cache) == 1
    assert _main(first) == _main(second)
    assert "✓</span> Verified" in second and "Food Safety Fundamentals" in second
    assert "<title>Verified: " in second  # the layout's title comes with the kept content
    # the layout is rendered for each request: the language switch names this page's own address
    assert f"next=/credentials/{issued.award_id}" in second
    # the JSON-LD, JWT and verify-form answers are not affected
    assert client.get(f"/credentials/{issued.award_id}?format=json").json()["id"] == issued.credential_url
    assert len(renders) == 1


def test_revocation_suspension_reinstatement_and_key_compromise_show_at_once(
    client: TestClient, issued: Issued, factory: sessionmaker[Session], settings: Settings, renders: list[str]
) -> None:
    from microcred.awards import lifecycle
    from microcred.awards import queries as awards
    from microcred.db import session_scope
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers

    assert "✓</span> Verified" in _page(client, issued)
    assert "✓</span> Verified" in _page(client, issued)
    with session_scope(factory) as session:
        lifecycle.suspend_award(session, issued.award_id, reason="test: suspended")
    suspended = _page(client, issued)
    assert "Not verified" in suspended and "suspended by the issuer" in suspended
    with session_scope(factory) as session:
        lifecycle.reinstate_award(session, issued.award_id, reason="test: reinstated")
    reinstated = _page(client, issued)
    assert "✓</span> Verified" in reinstated and "suspended by the issuer" not in reinstated
    with session_scope(factory) as session:
        lifecycle.revoke_award(session, issued.award_id, reason="test: revoked")
    revoked = _page(client, issued)
    assert "Not verified" in revoked and "revoked by the issuer" in revoked
    assert "revoked by the issuer" in _page(client, issued)
    with session_scope(factory) as session:
        key_id = awards.get_award(session, issued.award_id).signing_key_id
        issuers.compromise_key(
            session, issued.org_id, str(key_id), since=datetime(2020, 1, 1, tzinfo=UTC),
            master_key=keystore.load_master_key(settings),
        )
    compromised = _page(client, issued)
    assert "reported compromised" in compromised and "Not verified" in compromised
    # one render per state (verified, suspended, reinstated, revoked, compromised); the repeats were hits
    assert len(renders) == 5 and pagecache.page_cache.hits == 2


def test_the_earners_sharing_choices_show_at_once(
    client: TestClient, issued: Issued, factory: sessionmaker[Session], renders: list[str]
) -> None:
    from microcred.awards import queries as awards
    from microcred.db import session_scope
    from microcred.ownership import sharing

    def share(**choice: Any) -> None:
        with session_scope(factory) as session:
            sharing.set_share_choice(session, awards.get_award(session, issued.award_id), **choice)

    first = _page(client, issued)
    assert "Ada Lovelace" not in first and "Practical kitchen assessment" in first
    share(public=True, show_name=True)
    named = _page(client, issued)
    assert "Ada Lovelace" in named and "Practical kitchen assessment" in named
    share(public=True, show_name=True, hidden_evidence=[0])
    hidden = _page(client, issued)
    assert "Ada Lovelace" in hidden and "Practical kitchen assessment" not in hidden
    share(public=True, show_name=False, hidden_evidence=[0])
    unnamed = _page(client, issued)
    assert "Ada Lovelace" not in unnamed and "Practical kitchen assessment" not in unnamed
    share(public=False)
    private = _page(client, issued)
    assert "Private credential" in private
    assert "Food Safety Fundamentals" not in private and "Practical kitchen assessment" not in private
    share(public=True)
    again = _page(client, issued)
    assert "Practical kitchen assessment" in again and "Ada Lovelace" not in again
    # every change rendered anew (the private page has no credential content); the last is the first page again
    assert len(renders) == 4 and pagecache.page_cache.hits == 1


def test_french_and_english_pages_are_kept_apart(client: TestClient, issued: Issued, renders: list[str]) -> None:
    english = _page(client, issued, **{"Accept-Language": "en"})
    french = _page(client, issued, **{"Accept-Language": "fr"})
    assert '<html lang="en">' in english and "✓</span> Verified" in english and "Contrôles" not in english
    assert '<html lang="fr">' in french and "Vérifiée" in french and "Contrôles" in french
    assert _main(english) != _main(french)
    assert _main(_page(client, issued, **{"Accept-Language": "en"})) == _main(english)
    assert _main(_page(client, issued, **{"Accept-Language": "fr"})) == _main(french)
    assert len(renders) == 2 and pagecache.page_cache.hits == 2


def test_a_credential_whose_validity_ends_between_two_views_shows_expired(
    client: TestClient,
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Any,
    make_achievement: Any,
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microcred import issuing
    from microcred.db import session_scope
    from microcred.earners import services as earners
    from microcred.issuers import keystore

    clock = Clock(monkeypatch)
    start = clock.now
    until = start + timedelta(seconds=25)  # inside the cache's 30 s cap
    with session_scope(factory) as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Grace Hopper", email="grace@example.org")
        award = issuing.issue_award(
            session, achievement_id=achievement.id, earner_id=earner.id,
            valid_from=start - timedelta(minutes=1), valid_until=until,
            base_url=settings.base_url, master_key=keystore.load_master_key(settings),
        )
        path = f"/credentials/{award.id}"
    # ahead of the real clock: the status list is signed (validFrom: the real now) by the first view
    clock.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    assert clock.now < until - timedelta(seconds=1), "the set-up took longer than the credential's validity"
    assert "✓</span> Verified" in client.get(path, headers=HTML).text
    clock.now = until - timedelta(seconds=1)
    assert "✓</span> Verified" in client.get(path, headers=HTML).text
    assert len(renders) == 1  # still within the validity: served from the cache
    clock.now = until + timedelta(seconds=1)
    expired = client.get(path, headers=HTML).text
    assert "Not verified" in expired and "expired on" in expired
    assert len(renders) == 2


def test_the_cache_entry_ends_at_the_next_validity_bound_of_nested_credentials_too() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    document = {
        "validFrom": "2029-01-01T00:00:00Z",
        "validUntil": "2031-01-01T00:00:00Z",
        "credentialSubject": {"achievement": {"endorsement": [{"validUntil": "2030-01-01T00:00:05Z"}]}},
    }
    assert pagecache.next_boundary(document, start) == start + timedelta(seconds=5)
    cache = pagecache.PageCache(size=2)
    fragment = pagecache.Fragment(html="<p>x</p>", verified=True, title="x")
    cache.put("k", fragment, document=document, at=start)
    assert cache.get("k", at=start + timedelta(seconds=4)) == fragment
    assert cache.get("k", at=start + timedelta(seconds=5)) is None
    cache.put("k", fragment, document={}, at=start)  # no bound: the 30 s cap
    assert cache.get("k", at=start + timedelta(seconds=29)) == fragment
    assert cache.get("k", at=start + pagecache.MAX_AGE) is None
    for key in ("a", "b", "c"):  # bounded: the least recently used entry goes
        cache.put(key, fragment, document={}, at=start)
    assert len(cache) == 2 and cache.get("a", at=start) is None and cache.get("c", at=start) == fragment


def _sign_in(client: TestClient, factory: sessionmaker[Session], email: str) -> None:
    sign_in_with_link(client, factory, email)


def test_two_viewers_never_get_each_others_page(
    app: FastAPI, issued: Issued, factory: sessionmaker[Session], renders: list[str]
) -> None:
    from microcred.awards import queries as awards
    from microcred.db import session_scope
    from microcred.ownership import sharing

    with (
        TestClient(app, base_url="https://testserver") as earner,
        TestClient(app, base_url="https://testserver") as visitor,
    ):
        _sign_in(earner, factory, "ada@example.org")
        own = _page(earner, issued)
        assert "Sign out" in own and "Ada Lovelace" in own  # the layout names the signed-in earner
        seen = _page(visitor, issued)
        assert _main(seen) == _main(own)  # the same content, from the cache...
        assert "Sign out" not in seen and "Ada Lovelace" not in seen  # ...in the visitor's own layout
        assert len(renders) == 1
        with session_scope(factory) as session:
            sharing.set_share_choice(session, awards.get_award(session, issued.award_id), public=False)
        private_own = _page(earner, issued)  # the earner still sees their non-public credential...
        assert "Food Safety Fundamentals" in private_own and "Practical kitchen assessment" in private_own
        private_seen = _page(visitor, issued)  # ...nobody else does, even right after the earner's view
        assert "Private credential" in private_seen and "Food Safety Fundamentals" not in private_seen
        assert _page(earner, issued) != private_seen
        assert len(renders) == 3  # the earner's views of a non-public credential are never kept
        assert len(pagecache.page_cache) == 1  # only the public page's entry

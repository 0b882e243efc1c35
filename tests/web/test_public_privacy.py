"""Issue 12, point 1: public pages show no earner data without the earner's choice.

The demo is seeded (with its file evidence, accounts and a wallet offer), then its awards are put in every state a
credential can be in: public with "show my name" off (the default), public with it on, private, revoked, suspended,
expired and a private revoked one. An anonymous client then walks EVERY GET route of the app, enumerated from the
app's own routes (nothing listed by hand), with every path parameter filled from the seeded data (every award,
achievement, organisation, earner, status list, evidence item, endorsement, endorsement request, offer...) and, for
the credential page, every representation (HTML, JSON-LD, JWT by Accept and by ?format=). No response body or
header may carry an earner's name or email address, nor a private credential's id, except:
- the name of the earner who turned "show my name" on, on that credential's own HTML page (asserted present);
- a private credential's id in the answer to a request that named that id itself (its own address, a 404...);
- the account owner's name on the page of their own one-time sign-in link ("Continue as <name>?"): the link is a
  secret mailed to them, possessing it is what signing in means; a made-up token shows nothing.

The coverage (routes × award states, requests) is printed and checked: every GET route is walked, and every route
taking an award id is walked with an award in each state.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from microcred.settings import Settings

from .conftest import BASE_URL, Issued, form_token

STATES = (
    "public",  # show-name off: the default
    "public, name shown",
    "private",
    "revoked",
    "suspended",
    "expired",
    "private, revoked",
)
AWARD_PARAMS = ("credential_id", "award_id")
ACCEPTS = ("text/html", "application/json", "*/*")
CREDENTIAL_ACCEPTS = ("application/ld+json", "application/vc+jwt")


@dataclass
class Seeded:
    awards: dict[uuid.UUID, str]  # award id -> state
    shown_award: uuid.UUID
    shown_name: str
    names: list[str]
    emails: list[str]
    private_ids: list[str]
    own_link: tuple[str, str]  # (path of the demo earner's one-time sign-in link, that earner's name)
    values: dict[str, list[str]] = field(default_factory=dict)  # path parameter -> values


def _seed(factory: sessionmaker[Session], settings: Settings) -> Seeded:
    from microcred import demo
    from microcred.assessments.models import Evidence
    from microcred.assessments.storage import folder_store
    from microcred.awards import lifecycle as award_lifecycle
    from microcred.awards import queries as award_queries
    from microcred.catalog import services as catalog
    from microcred.db import session_scope
    from microcred.demo import seed_demo_users, seed_ownership_demo
    from microcred.earners import services as earners
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.ownership import identity, sharing
    from microcred.partners import services as partners
    from microcred.status import services as status
    from microcred.transcripts import pathways as transcript_pathways

    master_key = keystore.load_master_key(settings)
    with session_scope(factory) as session:
        result = demo.seed_demo(
            session, base_url=settings.base_url, master_key=master_key, evidence_store=folder_store(settings.data_dir)
        )
        links = seed_demo_users(session, base_url=settings.base_url)
        ownership = seed_ownership_demo(session, base_url=settings.base_url)
        assert ownership is not None
        states: dict[uuid.UUID, str] = {}
        for name in ("revoked", "suspended", "expired"):
            states[result.lifecycle[name]] = name
        shown = award_queries.get_award(session, ownership.award_id)
        sharing.set_share_choice(session, shown, public=True, show_name=True)
        states[shown.id] = "public, name shown"
        liam = earners.find_earner_by_email(session, demo.EARNERS[1]["email"])
        assert liam is not None
        held = [
            a
            for a in award_queries.list_awards(session, earner_id=liam.id)
            if a.id not in states and a.status == "active"
        ]
        private = held[0]
        sharing.set_share_choice(session, private, public=False, show_name=True)  # private wins over show-name
        states[private.id] = "private"
        # the demo's revoked award is made private too; a public one of Liam's is revoked in its place below
        revoked_private = award_queries.get_award(session, result.lifecycle["revoked"])
        sharing.set_share_choice(session, revoked_private, public=False)
        states[revoked_private.id] = "private, revoked"
        for award in award_queries.list_awards(session):
            states.setdefault(award.id, "public")
        revoked_public = next(
            a
            for a in award_queries.list_awards(session)
            if states[a.id] == "public" and a.earner_id == liam.id and a.status == "active"
        )
        award_lifecycle.revoke_award(session, revoked_public.id, reason="privacy test")
        states[revoked_public.id] = "revoked"
        session.flush()

        everyone = earners.list_earners(session)
        names = [e.name for e in everyone]
        emails = [e.email for e in everyone] + [x.email for e in everyone for x in identity.emails(session, e.id)]
        shown_name = earners.get_earner(session, shown.earner_id).name
        orgs = issuers.list_organisations(session)
        achievements = catalog.list_achievements(session)
        endorsements = partners.list_endorsements(session)
        tokens = [link.rsplit("/", 1)[-1] for link in links.values()]
        values = {
            "credential_id": [str(a) for a in states],
            "award_id": [str(a) for a in states],
            "org_id": [str(o.id) for o in orgs],
            "achievement_id": [str(a.id) for a in achievements],
            "earner_id": [str(e.id) for e in everyone],
            "earner_ref": [str(e.id) for e in everyone] + [e.email for e in everyone],
            "list_id": [str(s.id) for s in status.list_lists(session)],
            "evidence_id": [str(e) for e in session.scalars(select(Evidence.id))],
            "endorsement_id": [str(e.id) for e in endorsements],
            "request_id": [str(r.id) for r in partners.list_requests(session)],
            "pathway_id": [str(p.id) for p in transcript_pathways.list_pathways(session)],
            "completion_id": [str(c.id) for c in transcript_pathways.list_completions(session)]
            or [str(uuid.UUID(int=16))],
            "batch_id": [str(uuid.UUID(int=15))],  # bulk batches are behind the API token (no batch is needed)
            # sign-in and address links: a made-up token, and the demo's real sign-in links (their holder is the
            # account's owner, yet even these pages must not print the address)
            "token": ["not-a-real-token", *tokens],
            "fmt": ["di", "jwt", "png", "svg", "pdf"],
        }
        code = ownership.offer.pre_authorized_code
    assert set(states.values()) == set(STATES), states
    return Seeded(
        awards=states,
        shown_award=shown.id,
        shown_name=shown_name,
        names=names,
        emails=emails,
        private_ids=[str(a) for a, s in states.items() if s.startswith("private")],
        own_link=("/sign-in/link/" + links["earner"].rsplit("/", 1)[-1], demo.EARNERS[0]["name"]),
        values={**values, "offer_code": [code], "language_code": ["en", "fr"]},
    )


def _get_routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the app, through included routers (FastAPI ≥ 0.16x keeps them as included-router nodes)."""

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            else:
                yield route

    seen = set()
    for route in walk(list(app.routes)):
        methods = getattr(route, "methods", None) or set()
        if "GET" in methods and (route.path, route.name) not in seen:
            seen.add((route.path, route.name))
            yield route


def _query(route: Any) -> dict[str, str]:
    """Values for the route's required query parameters (taxonomy search, assessment records...)."""
    out: dict[str, str] = {}
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant is not None else []
    while stack:
        dep = stack.pop()
        stack.extend(dep.dependencies)
        for param in dep.query_params:
            if param.field_info.is_required():
                out[param.alias] = {"uri": "http://data.europa.eu/esco/skill/x"}.get(param.alias, "food")
    return out


def _fills(route: Any, seeded: Seeded) -> Iterator[tuple[str, str | None]]:
    """(path, award state or None) for every combination of the route's path parameters."""
    params = [p.alias for p in route.dependant.path_params] if getattr(route, "dependant", None) else []
    combos: list[tuple[str, str | None]] = [(route.path, None)]
    for name in params:
        key = name
        if name == "code":
            key = "offer_code" if route.path.startswith("/oid4vci") else "language_code"
        values = seeded.values.get(key)
        assert values, f"no seeded value for path parameter {name!r} of {route.path}"
        out = []
        for path, state in combos:
            for value in values:
                award_state = seeded.awards.get(uuid.UUID(value)) if name in AWARD_PARAMS else state
                out.append((path.replace("{" + name + "}", quote(value, safe="@")), award_state))
        combos = out
    yield from combos


def _leaks(text: str, url: str, seeded: Seeded) -> list[str]:
    found = []
    path = url.split("?")[0]
    allowed = {seeded.shown_name} if path.endswith(f"/credentials/{seeded.shown_award}") else set()
    if path.endswith(seeded.own_link[0]):
        allowed.add(seeded.own_link[1])
    for name in seeded.names:
        if name in text and name not in allowed:
            found.append(f"name {name!r}")
    lowered = text.lower()
    for email in seeded.emails:
        if email.lower() in lowered or quote(email).lower() in lowered:
            found.append(f"email {email!r}")
    for private_id in seeded.private_ids:
        if private_id in text and private_id not in url:
            found.append(f"private credential id {private_id}")
    return found


def test_no_public_route_shows_an_earner_without_their_choice(
    app: FastAPI, factory: sessionmaker[Session], settings: Settings
) -> None:
    seeded = _seed(factory, settings)
    routes = list(_get_routes(app))
    assert len(routes) >= 70, f"only {len(routes)} GET routes found: is the route walker still right?"
    leaks: list[str] = []
    requests = 0
    statuses: Counter[int] = Counter()
    walked: dict[str, set[str | None]] = {}
    shown_page = ""
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        for route in routes:
            walked.setdefault(route.path, set())
            query = _query(route)
            for path, state in _fills(route, seeded):
                walked[route.path].add(state)
                variants: list[tuple[dict[str, str], dict[str, str]]] = [
                    ({"accept": accept}, query) for accept in ACCEPTS
                ]
                if route.path == "/credentials/{credential_id}":
                    variants += [({"accept": accept}, query) for accept in CREDENTIAL_ACCEPTS]
                    variants += [({}, {"format": f}) for f in ("json", "jwt", "html")]
                for headers, params in variants:
                    response = client.get(path, headers=headers, params=params)
                    requests += 1
                    statuses[response.status_code] += 1
                    assert response.status_code < 500, (path, headers, response.status_code, response.text[:300])
                    url = str(response.request.url)
                    body = response.content.decode("utf-8", "replace")
                    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
                    leaks += [
                        f"{url} [{headers}] → {response.status_code}: {what}"
                        for what in _leaks(body + "\n" + head, url, seeded)
                    ]
                    if path == f"/credentials/{seeded.shown_award}" and headers.get("accept") == "text/html":
                        shown_page = body
    award_routes = {p: s for p, s in walked.items() if any(a in p for a in AWARD_PARAMS)}
    pairs = sum(len(s) for s in award_routes.values())
    coverage = (
        f"{len(routes)} GET routes walked anonymously ({requests} requests), every one with awards in all "
        f"{len(STATES)} states present ({len(routes)} × {len(STATES)} = {len(routes) * len(STATES)} route × state "
        f"combinations); the {len(award_routes)} routes taking an award id were called with an award of each state "
        f"({pairs} route-state pairs, {len(seeded.awards)} awards); answers by status: "
        + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    )
    print("\n" + coverage)
    assert not leaks, f"{len(leaks)} leaks ({coverage}):\n" + "\n".join(leaks[:60])
    for path, states in award_routes.items():
        assert states == set(STATES), (path, states)
    # the one choice that shows a name works, labelled, beside the verified credential
    assert seeded.shown_name in shown_page, "show-my-name is on, yet the page does not show the name"
    assert "not part of the signed credential" in shown_page


def test_show_my_name_is_off_by_default_and_only_for_a_public_credential(
    client: TestClient, issued: Issued, factory: sessionmaker[Session]
) -> None:
    from .test_ownership import sign_in_earner

    anonymous = TestClient(client.app, base_url="https://testserver")
    page_path = issued.credential_url.replace(BASE_URL, "")

    def public_page() -> str:
        response = anonymous.get(page_path, headers={"Accept": "text/html"})
        assert response.status_code == 200
        return response.text

    assert "Ada Lovelace" not in public_page()  # off by default: the hashed identifier only
    assert "(hashed, not shown)</dd>" in public_page()
    sign_in_earner(client, factory, "ada@example.org")
    share_path = f"/backpack/credentials/{issued.award_id}/share"
    form = client.get(share_path).text
    checkbox = '<input type="checkbox" id="show-name" name="show_name" value="yes" aria-describedby="show-name-hint"'
    assert checkbox + ">" in form  # off by default
    assert '<label for="show-name">Show my name (Ada Lovelace) on the public page</label>' in form
    csrf = form_token(client, share_path)

    saved = client.post(
        share_path, data={"csrf_token": csrf, "public": "yes", "show_name": "yes", "show_evidence": "0"}
    )
    assert checkbox + " checked>" in saved.text
    html = public_page()
    assert "<dt>Awarded to</dt><dd>Ada Lovelace <span" in html and "not part of the signed credential" in html
    assert "<dt>Recipient identifier</dt>" in html and "Verified" in html
    document = anonymous.get(page_path, params={"format": "json"}).text
    assert "Ada Lovelace" not in document  # never in the signed credential
    assert "Ada Lovelace" not in anonymous.get(page_path, params={"format": "jwt"}).text
    # the same authentic credential checked on /verify (by its address or pasted) shows the choice too ...
    verify = {"csrf_token": form_token(anonymous)}
    assert "Ada Lovelace" in anonymous.post("/verify", data={**verify, "url": issued.credential_url}).text
    assert "Ada Lovelace" in anonymous.post("/verify", data={**verify, "credential": document}).text
    # ... but not beside a tampered copy claiming its id
    tampered = json.loads(document)
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    shown = anonymous.post("/verify", data={**verify, "credential": json.dumps(tampered)}).text
    assert "Not verified" in shown and "Ada Lovelace" not in shown

    client.post(share_path, data={"csrf_token": csrf, "public": "no", "show_name": "yes"})
    html = public_page()
    assert "Private credential" in html and "Ada Lovelace" not in html  # private wins over show-name
    by_url = anonymous.post("/verify", data={**verify, "url": issued.credential_url})
    assert "Private credential" in by_url.text and "Food Safety" not in by_url.text  # /verify honours it too
    assert "Ada Lovelace" not in anonymous.post("/verify", data={**verify, "credential": document}).text

    client.post(share_path, data={"csrf_token": csrf, "public": "yes", "show_evidence": "0"})
    assert "Ada Lovelace" not in public_page()  # turned off again: gone from the page


def test_show_name_migration_adds_the_choice_off(db_url: str) -> None:
    """0009_show_name (after 0008_partners) adds ``credential_shares.show_name``: NOT NULL, server default false, so
    every choice made before it stays off; it downgrades cleanly."""
    from sqlalchemy import inspect

    from microcred.db import make_engine
    from microcred.db.migrate import downgrade, upgrade

    def columns() -> dict[str, Any]:
        with engine.connect() as conn:
            return {c["name"]: c for c in inspect(conn).get_columns("credential_shares")}

    engine = make_engine(db_url)
    try:
        upgrade(engine=engine, revision="0008_partners")
        assert "show_name" not in columns()
        upgrade(engine=engine, revision="0009_show_name")
        show_name = columns()["show_name"]
        assert show_name["nullable"] is False
        assert str(show_name["default"]).strip("'").lower() in {"false", "0"}, show_name["default"]
        downgrade(engine=engine, revision="0008_partners")
        assert "show_name" not in columns()
    finally:
        engine.dispose()

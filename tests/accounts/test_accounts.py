"""Accounts: roles, one-time tokens, argon2 passwords, rate limits in the database, demo users (SQLite and PG)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput


def test_staff_need_an_organisation_and_earners_a_record(session: Session, make_org: Callable[..., Any]) -> None:
    with pytest.raises(InvalidInput):
        accounts.create_user(session, email="a@b.example", name="A", role="issuer_staff")
    with pytest.raises(InvalidInput):
        accounts.create_user(session, email="a@b.example", name="A", role="earner")
    with pytest.raises(InvalidInput):
        accounts.create_user(session, email="a@b.example", name="A", role="wizard")
    org = make_org(session)
    user = accounts.create_user(session, email="A@B.example", name="A", role="assessor", organisation_id=org.id)
    assert user.email == "a@b.example" and accounts.can(user, "award") and not accounts.can(user, "edit_achievements")
    with pytest.raises(Conflict):
        accounts.create_user(session, email="a@b.example", name="A", role="assessor", organisation_id=org.id)
    assert [u.email for u in accounts.list_users(session, organisation_id=org.id)] == ["a@b.example"]


def test_passwords_are_argon2_and_checked(session: Session, make_org: Callable[..., Any]) -> None:
    org = make_org(session)
    with pytest.raises(InvalidInput):
        accounts.create_user(
            session, email="s@b.example", name="S", role="org_admin", organisation_id=org.id, password="short"
        )
    user = accounts.create_user(
        session, email="s@b.example", name="S", role="org_admin", organisation_id=org.id, password="long enough pw"
    )
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert accounts.check_password(session, "s@b.example", "long enough pw") is user
    assert accounts.check_password(session, "s@b.example", "wrong password") is None
    assert accounts.check_password(session, "nobody@b.example", "long enough pw") is None
    version = user.session_version
    accounts.set_password(session, user, "another long password")
    assert user.session_version == version + 1  # older sessions end


def test_sign_in_tokens_work_once_and_expire(session: Session) -> None:
    earner = earners.create_earner(session, name="E", email="e@learner.example")
    user = accounts.user_for_sign_in(session, "E@learner.example")
    assert user is not None and user.role == "earner" and user.earner_id == earner.id
    assert accounts.user_for_sign_in(session, "stranger@learner.example") is None
    token = accounts.issue_sign_in_token(session, user)
    assert accounts.peek_sign_in_token(session, token) is user
    assert accounts.consume_sign_in_token(session, token) is user
    assert accounts.consume_sign_in_token(session, token) is None
    old = accounts.issue_sign_in_token(session, user, lifetime=timedelta(seconds=-1))
    assert accounts.consume_sign_in_token(session, old) is None
    assert accounts.consume_sign_in_token(session, "x" * 500) is None


def test_rate_limits_count_rows_in_a_window(session: Session) -> None:
    limits = accounts.sign_in_limits("someone@example.org", "10.0.0.1")
    now = utcnow()
    for _ in range(5):
        assert not accounts.rate_limited(session, limits, now=now)
    assert accounts.rate_limited(session, limits, now=now)
    # another address from the same IP is still allowed, until the IP's own limit
    other = accounts.sign_in_limits("other@example.org", "10.0.0.1")
    assert not accounts.rate_limited(session, other, now=now)
    # the window slides
    assert not accounts.rate_limited(session, limits, now=now + timedelta(minutes=16))


def test_demo_users_get_fresh_links(session: Session) -> None:
    from microcred.demo import seed_demo, seed_demo_users

    seed_demo(session, base_url="http://127.0.0.1:8000", master_key=b"\x01" * 32)
    first = seed_demo_users(session, base_url="http://127.0.0.1:8000")
    again = seed_demo_users(session, base_url="http://127.0.0.1:8000")
    assert set(first) == {"org_admin", "partner_reviewer", "earner"}
    assert first["org_admin"] != again["org_admin"]
    token = first["earner"].rsplit("/", 1)[-1]
    user = accounts.consume_sign_in_token(session, token)
    assert user is not None and user.role == "earner"

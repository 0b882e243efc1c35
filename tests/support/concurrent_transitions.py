"""Workers for the exactly-once tests: each runs in its own OS process (multiprocessing, spawn) and attempts one
state transition in its own transaction, starting at an agreed moment so that the attempts overlap."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from microcred import issuing

BASE = "http://127.0.0.1:8000"
REASON = "Issued in error: the assessment record belonged to another learner."


def warm() -> int:
    """Import what the attempts need, once per worker process (so the attempts start together)."""
    import os

    from microcred.awards import services as _awards  # noqa: F401
    from microcred.db import make_engine as _make_engine  # noqa: F401
    from microcred.ownership import erasure as _erasure  # noqa: F401
    from microcred.partners import services as _partners  # noqa: F401
    from microcred.transcripts import pathways as _pathways  # noqa: F401
    from microcred.vc import sign_data_integrity as _sign  # noqa: F401

    time.sleep(0.5)  # keep this worker busy, so every worker of the pool takes one warm-up
    return os.getpid()


def _answers() -> Any:
    from microcred.partners import services as partners

    return partners.Answers(
        in_demand=True,
        in_demand_rationale="Ontario job boards list 1,200 line-cook openings asking for food safety certification.",
        reflects_job_performance=True,
        job_performance_comment="The supervised practical mirrors a real kitchen shift.",
        endorsement_comment="Great Lakes Hospitality Group hires graduates of this micro-credential.",
    )


def _transitions(master_key: bytes) -> dict[str, Callable[[Any, dict[str, str]], Any]]:
    from microcred.awards import lifecycle as award_lifecycle
    from microcred.ownership import erasure
    from microcred.partners import services as partners

    return {
        "revoke": lambda s, t: award_lifecycle.revoke_award(s, t["award"], reason=REASON),
        "suspend": lambda s, t: award_lifecycle.suspend_award(s, t["award"], reason=REASON),
        "reinstate": lambda s, t: award_lifecycle.reinstate_award(s, t["award"], reason="Cleared."),
        "renew": lambda s, t: issuing.renew_award(s, t["award"], base_url=BASE, master_key=master_key),
        "reissue": lambda s, t: issuing.reissue_award(s, t["award"], base_url=BASE, master_key=master_key),
        "sign_endorsement": lambda s, t: partners.answer_request(
            s,
            t["request"],
            reviewer_id=uuid.UUID(t["reviewer"]),
            answers=_answers(),
            decision="endorse",
            base_url=BASE,
            master_key=master_key,
        ),
        "revoke_endorsement": lambda s, t: partners.revoke_endorsement(s, t["endorsement"], reason=REASON),
        "issue": lambda s, t: issuing.issue_award(
            s, achievement_id=t["achievement"], earner_id=t["earner"], base_url=BASE, master_key=master_key
        ),
        "approve_completion": lambda s, t: issuing.approve_pathway_completion(
            s, t["completion"], base_url=BASE, master_key=master_key
        ),
        "erase": lambda s, t: erasure.erase_earner(s, t["earner"]),
        "resign": lambda s, t: issuing.resign_award(s, t["award"], base_url=BASE, master_key=master_key),
    }


def attempt(db_url: str, master_key: bytes, transition: str, target: dict[str, str], start_at: float) -> str:
    """One attempt, in one transaction: "ok", "noop" (it returned False: nothing to do), "conflict" (the domain's
    409) or "error: …" (anything else)."""
    from microcred.db import make_engine, session_factory, session_scope
    from microcred.errors import Conflict

    engine = make_engine(db_url)
    factory = session_factory(engine)
    run = _transitions(master_key)[transition]
    try:
        with engine.connect() as conn:  # connected before the start, so the attempts really overlap
            conn.exec_driver_sql("SELECT 1")
        time.sleep(max(0.0, start_at - time.time()))
        try:
            with session_scope(factory) as session:
                result = run(session, target)
        except Conflict:
            return "conflict"
        return "noop" if result is False else "ok"
    except Exception as exc:  # reported, and the test fails on it
        return f"error: {type(exc).__name__}: {exc}"[:600]
    finally:
        engine.dispose()

"""`db.reads`: reads shared within one unit of work (a bulk chunk), and only within it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from microcred.db import reads


def _counting() -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    return calls, load


def test_outside_a_block_every_read_goes_to_the_database() -> None:
    session = Session()
    calls, load = _counting()
    assert [reads.shared(session, "k", load) for _ in range(3)] == [1, 2, 3]
    assert len(calls) == 3


def test_inside_a_block_a_key_is_read_once_and_forget_reads_it_again() -> None:
    session = Session()
    _, load = _counting()
    with reads.shared_reads(session):
        assert reads.shared(session, "k", load) == 1
        assert reads.shared(session, "k", load) == 1
        assert reads.shared(session, ("other", 1), load) == 2
        reads.forget(session, "k")
        assert reads.shared(session, "k", load) == 3
        with reads.shared_reads(session):  # a nested block shares the outer one's reads
            assert reads.shared(session, "k", load) == 3
        assert reads.shared(session, "k", load) == 3  # the nested block's end does not end the outer one
    assert session.info == {}
    assert reads.shared(session, "k", load) == 4
    reads.forget(session, "k")  # harmless outside a block


def test_a_block_ends_even_when_its_work_fails() -> None:
    session = Session()
    try:
        with reads.shared_reads(session):
            raise RuntimeError("the chunk failed")
    except RuntimeError:
        pass
    assert session.info == {}

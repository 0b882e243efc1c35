"""Keyword arguments collected as ``**options: Unpack[SomeTypedDict]`` (to keep a function's parameter list short)
are still checked at run time the way named parameters are: an unknown name is a ``TypeError``, as it always was."""

from __future__ import annotations

from collections.abc import Mapping


def reject_unknown(options: Mapping[str, object], allowed: type, function: str) -> None:
    """Raise ``TypeError`` (Python's own wording) for a keyword that the TypedDict ``allowed`` does not declare."""
    known = getattr(allowed, "__required_keys__", frozenset()) | getattr(allowed, "__optional_keys__", frozenset())
    for name in options:
        if name not in known:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")

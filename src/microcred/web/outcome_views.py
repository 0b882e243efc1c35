"""The learning outcomes a credential document states, each with its kind, alignments, rubric and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from microcred.i18n import N_
from microcred.vc.ob import EXT_OUTCOME_KIND
from microcred.vc.outcomes import OUTCOME_KINDS
from microcred.web.document_fields import Link, alignment_link, is_ext
from microcred.web.document_fields import list_of as _list
from microcred.web.document_fields import text_of as _text


def _extraction_only() -> None:  # pragma: no cover - lists the kinds (vc.outcomes) for the message catalogue
    for text in (N_("knowledge"), N_("skill"), N_("attitude")):
        del text


_OUTCOME_LISTS = ("learningOutcome", "learningOutcomes", "outcomes", "resultDescription")


@dataclass
class EvidenceView:
    name: str | None
    url: str | None
    narrative: str | None
    description: str | None
    genre: str | None
    outcome: str | None = None  # the outcome (ResultDescription id) it supports: microcred's assessedOutcome


@dataclass
class OutcomeView:
    text: str
    kind: str | None
    alignments: list[Link] = field(default_factory=list)
    id: str | None = None
    result: str | None = None
    # the rubric: level id -> name (low -> high), the required level / score, and what was achieved
    levels: dict[str, str] = field(default_factory=dict)
    required: str | None = None
    level: str | None = None
    evidence: list[EvidenceView] = field(default_factory=list)


def _kind(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = text.split(":", 1)[-1].lower()
    return text if text in OUTCOME_KINDS else text or None


def outcomes(achievement: dict[str, Any]) -> list[OutcomeView]:
    """Learning outcomes, from the places a document can carry them (the first list that has any).

    - ``resultDescription[]`` entries (microcred writes one per outcome; the kind is in ``outcomeKind``, or in
      an ``ext:`` resultType, and the ESCO alignments in the entry's ``alignment[]``);
    - an explicit ``learningOutcome[]`` / ``outcomes[]`` extension list with ``kind`` and ``alignment``.
    """
    for key in _OUTCOME_LISTS:
        found = [view for view in map(_outcome, _list(achievement.get(key))) if view is not None]
        if found:
            return found
    return []


def _outcome(item: Any) -> OutcomeView | None:
    """One list entry as an outcome: a plain statement, or an object (None: not an outcome)."""
    if isinstance(item, str) and item.strip():
        return OutcomeView(text=item.strip(), kind=None)
    if not isinstance(item, dict):
        return None
    text = (
        _text(item.get("statement"))
        or _text(item.get("name"))
        or _text(item.get("description"))
        or _text(item.get("text"))
    )
    if text is None:
        return None
    raw_alignments = _list(item.get("alignment"))
    kind = _outcome_kind(item, raw_alignments)
    if (_text(item.get("resultType")) or "").startswith("ext:") and _text(item.get("name")) == "Award route":
        return None  # a transcript fact, not a learning outcome
    links = [link for link in map(alignment_link, (a for a in raw_alignments if not is_ext(a))) if link is not None]
    view = OutcomeView(text=text, kind=kind, alignments=links, id=_text(item.get("id")))
    _read_rubric(item, view)
    return view


def _outcome_kind(item: dict[str, Any], raw_alignments: list[Any]) -> str | None:
    """The kind, from the entry's own field, else its outcome-kind alignment, else an ``ext:`` resultType."""
    kind = _kind(item.get("kind") or item.get("outcomeKind") or item.get("outcomeType"))
    for al in raw_alignments:
        if isinstance(al, dict) and al.get("targetType") == EXT_OUTCOME_KIND:
            kind = kind or _kind(al.get("targetCode") or al.get("targetName"))
    if kind is None:
        rtype = _text(item.get("resultType")) or ""
        if rtype.startswith("ext:"):
            kind = _kind(rtype)
    return kind


def _read_rubric(item: dict[str, Any], view: OutcomeView) -> None:
    """The rubric's levels (id -> name, low -> high) and the required level or score, onto ``view``."""
    for level in _list(item.get("rubricCriterionLevel")):
        if isinstance(level, dict) and _text(level.get("id")) and _text(level.get("name")):
            view.levels[str(_text(level.get("id")))] = str(_text(level.get("name")))
    required = _text(item.get("requiredLevel"))
    if required:
        view.required = view.levels.get(required, required)
    elif _text(item.get("requiredValue")):
        low, high = _text(item.get("valueMin")), _text(item.get("valueMax"))
        scale = f" ({low}–{high})" if low and high else ""
        view.required = f"{_text(item.get('requiredValue'))}{scale}"


def results(subject: dict[str, Any], outcomes: list[OutcomeView]) -> list[str]:
    """Attach each result to the outcome it is about (by resultDescription id); return the others."""
    by_id = {o.id: o for o in outcomes if o.id}
    out = []
    for item in _list(subject.get("result")):
        if isinstance(item, dict):
            target = by_id.get(_text(item.get("resultDescription")) or "")
            achieved = _text(item.get("achievedLevel"))
            if target is not None and achieved in target.levels:
                target.level = target.levels[str(achieved)]
                achieved = target.level
            parts = [_text(item.get("status")), _text(item.get("value")), achieved]
            value = " · ".join(p for p in parts if p)
            if not value:
                continue
            if target is not None and target.result is None:
                target.result = value
            else:
                out.append(value)
    return out

"""The achievement form's learning outcomes and their ESCO picker, without script: a search step, a suggestion step
(the outcome's statement through the suggestion service), adding the ticked results, removing a picked concept.

Each outcome carries its picked concepts as hidden fields ``outcome_<i>_concept_<j>`` (URIs only); the label, type,
description and broader groups shown, and the label saved, are looked up here by URI in the imported framework,
never taken from the form. The page's script (static/esco-picker.js) fills the same fields from the JSON endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from microcred.catalog.services import OUTCOME_KINDS
from microcred.errors import DomainError
from microcred.i18n import N_
from microcred.i18n import gettext as _
from microcred.taxonomy import services as taxonomy
from microcred.web.forms import Form

MAX_CONCEPTS = 8  # concepts one outcome may be aligned to
RESULTS = 10  # results one search or suggestion step lists
SEARCH_POOL = 100  # label matches read before keeping those of the outcome's kind
EXCERPT = 220
ALIGNMENT_TYPE = "ceasn:Competency"

# ESCO's own vocabulary, shown beside our knowledge / skill / attitude reading.
ESCO_TERMS = {
    "skill/competence": N_("skill/competence"),
    "knowledge": N_("knowledge"),
    "transversal": N_("transversal"),
    "cross-sector": N_("cross-sector"),
    "sector-specific": N_("sector-specific"),
    "occupation-specific": N_("occupation-specific"),
}


@dataclass
class ConceptView:
    """A concept as the picker shows it (and as an alignment is saved from it)."""

    uri: str
    label: str
    framework: str
    kind: str | None  # knowledge | skill | attitude (our reading), None for a group
    esco_type: str
    description: str | None
    excerpt: str
    broader: list[str] = field(default_factory=list)

    def alignment(self) -> dict[str, Any]:
        return {
            "target_url": self.uri,
            "target_name": self.label,
            "target_framework": self.framework,
            "target_type": ALIGNMENT_TYPE,
            "target_description": self.description,
        }


@dataclass
class Picked:
    """One picked URI: its concept, or None when no imported framework holds it."""

    index: int
    uri: str
    concept: ConceptView | None


@dataclass
class OutcomeRow:
    """What the form shows for one outcome: its picked concepts, and the results of a step run for it."""

    index: int
    picked: list[Picked]
    results: list[ConceptView] | None = None
    results_title: str = ""
    free: int = MAX_CONCEPTS


def _term(value: str | None) -> str:
    return _(ESCO_TERMS[value]) if value in ESCO_TERMS else (value or "")


def _framework_name(key: str, version: str) -> str:
    return f"ESCO {version}" if key == "esco" else f"{key} {version}"


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"


def concept_view(session: Session, uri: str) -> ConceptView | None:
    """The concept at ``uri`` (current version first) with its broader groups; None if none is imported."""
    try:
        detail = taxonomy.get_concept(session, uri, occupation_limit=0)
    except DomainError:
        return None
    summary = detail.concept
    esco_type = ", ".join(_term(t) for t in (summary.skill_type, summary.reuse_level) if t)
    return ConceptView(
        uri=summary.uri,
        label=summary.label,
        framework=_framework_name(summary.framework, summary.version),
        kind=summary.ksa,
        esco_type=esco_type,
        description=summary.description,
        excerpt=_excerpt(summary.description),
        broader=[link.label for link in detail.broader],
    )


def kind_label(kind: str | None) -> str:
    return _(kind) if kind in OUTCOME_KINDS else _("a group, not a concept")


# -- the picked concepts, as hidden fields -----------------------------------------------------------------------
def picked_uris(form: Form, i: int) -> list[str]:
    uris: list[str] = []
    for j in range(MAX_CONCEPTS):
        raw = form.data.get(f"outcome_{i}_concept_{j}")
        uri = raw.strip() if isinstance(raw, str) else ""
        if uri and uri not in uris:
            uris.append(uri)
    return uris


def set_picked(form: Form, i: int, uris: list[str]) -> None:
    for j in range(MAX_CONCEPTS):
        form.data.pop(f"outcome_{i}_concept_{j}", None)
    for j, uri in enumerate(uris[:MAX_CONCEPTS]):
        form.data[f"outcome_{i}_concept_{j}"] = uri


def _kind_of_row(form: Form, i: int) -> str:
    kind = form.data.get(f"outcome_{i}_kind")
    return kind if isinstance(kind, str) and kind in OUTCOME_KINDS else "skill"


# -- the steps ---------------------------------------------------------------------------------------------------
@dataclass
class Step:
    """The outcome a step ran for and the results it found (None: no results list to show)."""

    index: int
    results: list[ConceptView] | None = None
    title: str = ""


def _views(session: Session, uris: list[str], exclude: list[str]) -> list[ConceptView]:
    views = []
    for uri in uris:
        if uri in exclude:
            continue
        view = concept_view(session, uri)
        if view is not None:
            views.append(view)
        if len(views) == RESULTS:
            break
    return views


def framework_missing(session: Session) -> bool:
    """True while no competency framework is imported: the picker has nothing to search."""
    return not taxonomy.list_frameworks(session)


def missing_message() -> str:
    return _(
        "No competency framework is imported on this site yet: an administrator imports ESCO with the command "
        "“microcred taxonomy import esco”, then the search works."
    )


def _nothing_found(session: Session, form: Form, i: int, message: str) -> None:
    form.errors[f"outcome_{i}_query"] = missing_message() if framework_missing(session) else message


def _search(session: Session, form: Form, i: int) -> Step:
    query = form.text(f"outcome_{i}_query", max_length=200)
    if query is None:
        form.errors[f"outcome_{i}_query"] = _("Type a word to search for, such as hygiene, then choose Search ESCO.")
        return Step(i)
    kind = _kind_of_row(form, i)
    found = taxonomy.search_concepts(session, query, limit=SEARCH_POOL)
    uris = [c.uri for c in found if c.ksa == kind]
    results = _views(session, uris, picked_uris(form, i))
    if not results:
        _nothing_found(
            session,
            form,
            i,
            _(
                "No %(kind)s concept matches “%(query)s”: try another word, or change the outcome's kind.",
                kind=_(kind),
                query=query,
            ),
        )
    return Step(i, results, _("Concepts of kind “%(kind)s” matching “%(query)s”", kind=_(kind), query=query))


def _suggest(session: Session, form: Form, i: int) -> Step:
    statement = form.text(f"outcome_{i}_statement", max_length=2000)
    if statement is None:
        form.errors[f"outcome_{i}_statement"] = _("Write the outcome's statement first, then ask for suggestions.")
        return Step(i)
    kind = _kind_of_row(form, i)
    found = taxonomy.suggest_concepts(session, statement, kind, RESULTS + MAX_CONCEPTS)
    results = _views(session, [c.uri for c in found], picked_uris(form, i))
    if not results:
        _nothing_found(
            session,
            form,
            i,
            _(
                "No %(kind)s concept fits this statement: search by a word instead, or change the outcome's kind.",
                kind=_(kind),
            ),
        )
    return Step(i, results, _("Suggested %(kind)s concepts for this outcome", kind=_(kind)))


def _add(form: Form, i: int) -> Step:
    chosen = []
    for k in range(RESULTS):
        raw = form.data.get(f"outcome_{i}_result_{k}")
        if isinstance(raw, str) and raw.strip():
            chosen.append(raw.strip())
    picked = picked_uris(form, i)
    if not chosen:
        form.errors[f"outcome_{i}_query"] = _("Tick at least one concept in the results, then choose Add.")
        return Step(i)
    merged = picked + [uri for uri in chosen if uri not in picked]
    if len(merged) > MAX_CONCEPTS:
        form.errors[f"outcome_{i}_query"] = _(
            "An outcome takes at most %(n)s concepts: remove one before adding more.", n=MAX_CONCEPTS
        )
        return Step(i)
    set_picked(form, i, merged)
    form.data.pop(f"outcome_{i}_query", None)  # done: Enter elsewhere saves again
    return Step(i)


def _remove(form: Form, i: int, j: int) -> Step:
    picked = picked_uris(form, i)
    if 0 <= j < len(picked):
        del picked[j]
    set_picked(form, i, picked)
    return Step(i)


def run_step(session: Session, form: Form, action: str, rows: int) -> Step | None:
    """Run one picker step (``search:<i>``, ``suggest:<i>``, ``add:<i>``, ``remove:<i>:<j>``) on ``form``.

    None: not a picker step (or an outcome the form does not have)."""
    name, _sep, rest = action.partition(":")
    parts = rest.split(":")
    if not all(p.isdigit() for p in parts) or int(parts[0]) >= rows:
        return None
    i = int(parts[0])
    if name == "search" and len(parts) == 1:
        return _search(session, form, i)
    if name == "suggest" and len(parts) == 1:
        return _suggest(session, form, i)
    if name == "add" and len(parts) == 1:
        return _add(form, i)
    if name == "remove" and len(parts) == 2:
        return _remove(form, i, int(parts[1]))
    return None


# -- reading the outcomes to save, and the rows to show ----------------------------------------------------------
def read_outcomes(session: Session, form: Form, rows: int) -> list[dict[str, Any]]:
    """The outcomes to save, each aligned to its picked concepts under their framework's labels (errors on ``form``:
    a statement missing, a URI no imported framework holds)."""
    outcomes = []
    for i in range(rows):
        statement = form.text(f"outcome_{i}_statement", max_length=2000)
        uris = picked_uris(form, i)
        if statement is None and not uris:
            continue
        if statement is None:
            form.errors[f"outcome_{i}_statement"] = _("Describe the outcome, or remove its concepts.")
        kind = form.choice(f"outcome_{i}_kind", OUTCOME_KINDS)
        alignments = []
        for uri in uris:
            view = concept_view(session, uri)
            if view is None:
                form.errors[f"outcome_{i}_concepts"] = _(
                    "%(uri)s is not a concept of the imported ESCO classification: remove it, then search for "
                    "the concept you mean.",
                    uri=uri,
                )
                continue
            alignments.append(view.alignment())
        outcomes.append({"statement": statement or "", "kind": kind or "skill", "alignments": alignments})
    if not outcomes:
        form.errors["outcome_0_statement"] = _("A micro-credential needs at least one learning outcome.")
    return outcomes


def outcome_rows(session: Session, form: Form, rows: int, step: Step | None) -> list[OutcomeRow]:
    out = []
    for i in range(rows):
        picked = [Picked(j, uri, concept_view(session, uri)) for j, uri in enumerate(picked_uris(form, i))]
        row = OutcomeRow(i, picked, free=MAX_CONCEPTS - len(picked))
        if step is not None and step.index == i and step.results:
            row.results, row.results_title = step.results, step.title
        out.append(row)
    return out


def form_action(data: dict[str, Any], rows: int) -> str:
    """What the submit button asked for: ``save``, ``add_row`` or a picker step. Enter in a text field presses the
    form's default button (``enter``): a search when an outcome's search field holds words (as typed there without
    script), else save."""
    if data.get("add_row"):
        return "add_row"
    action = data.get("action")
    if action == "enter":
        for i in range(rows):
            query = data.get(f"outcome_{i}_query")
            if isinstance(query, str) and query.strip():
                return f"search:{i}"
        return "save"
    return action if isinstance(action, str) and action else "save"

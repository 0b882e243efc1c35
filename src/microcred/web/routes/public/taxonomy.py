"""HTTP: `GET /taxonomy/search`, `/taxonomy/suggest`, `/taxonomy/concept`, `/taxonomy/frameworks` (JSON).

The web app includes `router`; the session comes from `microcred.web.deps` (app.state.session_factory).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from microcred.errors import InvalidInput, NotFound
from microcred.taxonomy import services
from microcred.web.deps import SessionDep

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])


@router.get("/search")
def search(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    type: Annotated[Literal["knowledge", "skill", "transversal"] | None, Query()] = None,
    reuse_level: str | None = None,
    framework: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    results = services.search_concepts(session, q, type=type, reuse_level=reuse_level, framework=framework, limit=limit)
    return {"query": q, "type": type, "results": [r.as_dict() for r in results]}


@router.get("/suggest")
def suggest(
    session: SessionDep,
    text: Annotated[str, Query(min_length=1, max_length=2000)],
    kind: Annotated[Literal["knowledge", "skill", "attitude", "transversal"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 5,
) -> dict[str, Any]:
    results = services.suggest_concepts(session, text, kind, limit)
    return {"text": text, "kind": kind, "results": [r.as_dict() for r in results]}


@router.get("/concept")
def concept(
    session: SessionDep, uri: Annotated[str, Query(min_length=1)], version: str | None = None
) -> dict[str, Any]:
    try:
        return services.get_concept(session, uri, version=version).as_dict()
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except InvalidInput as exc:  # pragma: no cover - get_concept raises NotFound only
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.get("/frameworks")
def frameworks(session: SessionDep) -> list[dict[str, Any]]:
    return [info.as_dict() for info in services.list_frameworks(session)]

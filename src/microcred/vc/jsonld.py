"""JSON-LD expansion in safe mode and RDFC-1.0 canonicalization.

Two engines produce canonical N-Quads:

- ``canonicalize`` (the fast path): pyld expands the document with *processed contexts cached* across documents
  (context processing is most of the cost of JSON-LD), pyoxigraph turns the expanded form into RDF and runs
  RDFC-1.0.
- ``canonicalize_reference``: plain ``pyld.normalize``; the differential tests prove both give identical
  N-Quads on every credential the test suite produces.

Safe mode: a property the active contexts do not define (it would be dropped) or a ``@type`` / ``@id`` that is
not an absolute IRI (it would vanish from the RDF) is an error, never silently ignored — otherwise text added to
a signed credential would still verify.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from typing import Any

import pyoxigraph as ox
from pyld import jsonld as pyld_jsonld
from pyld.canon import URDNA2015

from microcred.vc import memo
from microcred.vc.contexts import ContextRegistry
from microcred.vc.errors import JsonLdError, JsonLdSafeModeError, UnknownContextError

_CACHE_SIZE = 256


def _loader_for(registry: ContextRegistry) -> Any:
    def load(url: str, options: Any = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": registry.get(url)}

    return load


class _ContextCache:
    """Processed active contexts, keyed by (active context, local context, flags).

    The cached values keep the objects whose ``id()`` is part of a key alive, so an id is never reused while its
    entry exists. Active contexts produced here are shared and treated as immutable by pyld.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        # Per registry, by exact content: the expanded form (read only, shared) and the canonical N-Quads.
        self.expanded: memo.Memo[Any] = memo.Memo("JSON-LD expansion", 256)
        self.nquads: memo.Memo[str] = memo.Memo("canonical N-Quads", 1024)
        self.checked: memo.Memo[Any] = memo.Memo("content checks of credentials", 2048)

    @staticmethod
    def _local_key(local_ctx: Any) -> Any:
        if isinstance(local_ctx, str) or local_ctx is None:
            return ("s", local_ctx)
        if isinstance(local_ctx, list):
            return ("l", *(_ContextCache._local_key(item) for item in local_ctx))
        return ("o", id(local_ctx))

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: tuple[Any, ...], active_ctx: Any, local_ctx: Any, result: Any) -> None:
        with self._lock:
            self._entries[key] = (active_ctx, local_ctx, result)
            if len(self._entries) > _CACHE_SIZE:
                self._entries.popitem(last=False)


class _SafeProcessor(pyld_jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with safe mode on and, optionally, a shared cache of processed contexts."""

    def __init__(self, cache: _ContextCache | None) -> None:
        super().__init__(on_property_dropped=self._dropped)
        self._ctx_cache = cache

    @staticmethod
    def _dropped(prop: Any) -> None:
        raise JsonLdSafeModeError(f"property {prop!r} is not defined by the credential's @context")

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        cache = self._ctx_cache
        if cache is None:
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        key = (id(active_ctx), cache._local_key(local_ctx), override_protected, propagate, validate_scoped)
        cached = cache.get(key)
        if cached is not None:
            return cached
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        cache.put(key, active_ctx, local_ctx, result)
        return result


_caches: dict[int, tuple[ContextRegistry, _ContextCache]] = {}
_caches_lock = threading.Lock()


def _cache_for(registry: ContextRegistry) -> _ContextCache:
    with _caches_lock:
        entry = _caches.get(id(registry))
        if entry is None or entry[0] is not registry:
            entry = (registry, _ContextCache())
            _caches[id(registry)] = entry
            if len(_caches) > 32:  # registries made per CLI run with --extra-contexts; keep a few
                _caches.pop(next(iter(_caches)))
        return entry[1]


def content_memo(registry: ContextRegistry) -> memo.Memo[Any]:
    """The verifier's memo of content-only checks for documents read with ``registry`` (tied to it, as the
    expansions are)."""
    return _cache_for(registry).checked


def _check_iris(node: Any, path: str = "$") -> None:
    """After expansion, every @id and @type must be an absolute IRI or a blank node identifier."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _check_iris(item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        return
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _is_absolute_or_blank(node_id):
        raise JsonLdSafeModeError(f"id {node_id!r} at {path} is not an absolute IRI")
    types = node.get("@type", [])
    for value in types if isinstance(types, list) else [types]:
        if isinstance(value, str) and not _is_absolute_or_blank(value):
            raise JsonLdSafeModeError(f"type {value!r} at {path} is not defined by the credential's @context")
    for key, value in node.items():
        if not key.startswith("@") or key in ("@list", "@set", "@graph", "@included", "@reverse"):
            _check_iris(value, f"{path}.{key}")


_ABSOLUTE_IRI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+\-.]*|_):\S*$")


def _is_absolute_or_blank(iri: str) -> bool:
    """Absolute IRI (RFC 3987: ASCII scheme, no whitespace) or blank node id, as pyld's RDF conversion expects."""
    return bool(_ABSOLUTE_IRI.match(iri))


def _check_contexts(document: Any, registry: ContextRegistry) -> None:
    """Name an unknown context URL up front (pyld would wrap it in a generic loading error)."""
    contexts = document.get("@context") if isinstance(document, dict) else None
    if contexts is None:
        raise JsonLdError("the document has no @context")
    for item in contexts if isinstance(contexts, list) else [contexts]:
        if isinstance(item, str) and item not in registry:
            raise UnknownContextError(item)


def _unwrap(exc: Exception) -> Exception:
    """pyld wraps errors raised in callbacks and loaders; find ours inside."""
    seen: Exception | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, (JsonLdSafeModeError, UnknownContextError)):
            return seen
        details = getattr(seen, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        seen = cause if isinstance(cause, Exception) else (seen.__cause__ or seen.__context__)  # type: ignore[assignment]
    return JsonLdError(f"invalid JSON-LD: {getattr(exc, 'message', None) or exc}")


def expand(document: dict[str, Any], registry: ContextRegistry | None = None, *, cached: bool = True) -> Any:
    """Expand ``document`` in safe mode with the offline loader (a new object the caller may change)."""
    registry = registry or ContextRegistry.default()
    return _expand(document, registry, cached)


def _expanded(document: dict[str, Any], registry: ContextRegistry) -> Any:
    """The expanded form, memoised by exact content: READ ONLY (shared by every caller of this content)."""
    cache = _cache_for(registry)
    return cache.expanded.get(memo.content_key(document), lambda: _expand(document, registry, True))


def vocabulary_problem(document: dict[str, Any], registry: ContextRegistry | None = None) -> str | None:
    """Why ``document`` does not expand in safe mode (an undefined term or type, bad JSON-LD, an unknown context);
    None when every property and type is defined. The expansion is memoised and reused by :func:`canonicalize`."""
    try:
        _expanded(document, registry or ContextRegistry.default())
    except (JsonLdSafeModeError, JsonLdError, UnknownContextError) as exc:
        return str(exc)
    return None


def _expand(document: dict[str, Any], registry: ContextRegistry, cached: bool) -> Any:
    _check_contexts(document, registry)
    processor = _SafeProcessor(_cache_for(registry) if cached else None)
    options = {"documentLoader": _loader_for(registry), "base": None}
    try:
        expanded = processor.expand(document, options)
    except (JsonLdSafeModeError, UnknownContextError):
        raise
    except Exception as exc:  # pyld raises its own JsonLdError (and wraps callback errors)
        raise _unwrap(exc) from None
    _check_iris(expanded)
    return expanded


def _pyld_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": "_:" + term.value}
    literal: dict[str, Any] = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    if term.language:
        literal["language"] = term.language
    return literal


def _pyld_dataset(dataset: ox.Dataset) -> dict[str, list[dict[str, Any]]]:
    """pyoxigraph quads as pyld's RDF dataset structure."""
    graphs: dict[str, list[dict[str, Any]]] = {}
    for quad in dataset:
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            name = "@default"
        elif isinstance(graph, ox.BlankNode):
            name = "_:" + graph.value
        else:
            name = graph.value
        graphs.setdefault(name, []).append(
            {
                "subject": _pyld_term(quad.subject),
                "predicate": _pyld_term(quad.predicate),
                "object": _pyld_term(quad.object),
            }
        )
    return graphs


def _nquads_from_expanded(expanded: Any) -> str:
    import json

    try:
        dataset = ox.Dataset(ox.parse(json.dumps(expanded), ox.RdfFormat.JSON_LD))
    except SyntaxError as exc:
        raise JsonLdError(f"the document could not be turned into RDF: {exc}") from None
    if any(not isinstance(quad.graph_name, ox.DefaultGraph) for quad in dataset):
        # Measured: pyoxigraph 0.5's RDFC-1.0 labels blank nodes differently from the spec (and from pyld and
        # the 1EdTech validator) when blank-node named graphs are present, e.g. embedded proofs of nested
        # credentials. For those, the RDF built here is handed to pyld's RDFC-1.0 as a dataset (not as N-Quads
        # text: pyld's N-Quads parser mis-reads an escaped backslash followed by "n").
        return str(URDNA2015().main(_pyld_dataset(dataset), {"format": "application/n-quads"}))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    data = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    lines = [line for line in text.split("\n") if line]
    lines.sort()
    return "".join(line + "\n" for line in lines)


def canonicalize(document: dict[str, Any], registry: ContextRegistry | None = None) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (fast path, safe mode), memoised by exact content."""
    registry = registry or ContextRegistry.default()
    return _cache_for(registry).nquads.get(
        memo.content_key(document), lambda: _nquads_from_expanded(_expanded(document, registry))
    )


def canonicalize_reference(document: dict[str, Any], registry: ContextRegistry | None = None) -> str:
    """RDFC-1.0 canonical N-Quads computed by pyld alone (the reference implementation)."""
    registry = registry or ContextRegistry.default()
    _check_contexts(document, registry)
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": _loader_for(registry),
        "base": None,
    }
    try:
        result = pyld_jsonld.normalize(copy.deepcopy(document), options)
    except Exception as exc:
        raise _unwrap(exc) from None
    return str(result)

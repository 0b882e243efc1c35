"""Offline JSON-LD contexts: the bundled copies, plus contexts a caller explicitly trusts.

Nothing is ever fetched over the network: an unknown URL is an error that names it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from microcred.vc.errors import UnknownContextError, VCError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
# microcred's former private context (outcomeKind, assessedOutcome, ...). No verifier elsewhere bundles it, so
# nothing is signed with it any more; it stays on microcred's own allow-list only to READ credentials issued
# before (`microcred awards reissue --all` re-signs them in the standard form). See docs/ob-extensions.md.
MICROCRED_OB_EXTENSIONS = "https://microcred.org/contexts/ob-extensions/v1.jsonld"  # legacy: read-only
LEGACY_CONTEXTS = frozenset({MICROCRED_OB_EXTENSIONS})
CLR_V2P0_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


def _read_index(folder: Path) -> dict[str, Any]:
    index_path = folder / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VCError(f"no index.json in context folder {folder}") from None
    except json.JSONDecodeError as exc:
        raise VCError(f"{index_path} is not valid JSON: {exc}") from None
    if not isinstance(index, dict):
        raise VCError(f"{index_path} must map context URLs to file names")
    documents: dict[str, Any] = {}
    for url, name in index.items():
        try:
            documents[url] = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise VCError(f"context file {name} for {url} could not be read: {exc}") from None
    return documents


@cache
def _bundled() -> Mapping[str, Any]:
    folder = Path(str(resources.files("microcred.vc").joinpath("contexts")))
    return _read_index(folder)


class ContextRegistry:
    """An immutable URL -> context document table used as the JSON-LD document loader."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self._documents = dict(documents)

    @classmethod
    def default(cls) -> ContextRegistry:
        return _default_registry()

    def with_extra_dir(self, folder: str | Path) -> ContextRegistry:
        """A new registry that also trusts the contexts listed in ``folder/index.json`` (URL -> file)."""
        return ContextRegistry({**self._documents, **_read_index(Path(folder))})

    def with_documents(self, documents: Mapping[str, Any]) -> ContextRegistry:
        return ContextRegistry({**self._documents, **documents})

    def __contains__(self, url: object) -> bool:
        return url in self._documents

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._documents)

    def get(self, url: str) -> Any:
        try:
            return self._documents[url]
        except KeyError:
            raise UnknownContextError(url) from None


@cache
def _default_registry() -> ContextRegistry:
    return ContextRegistry(_bundled())

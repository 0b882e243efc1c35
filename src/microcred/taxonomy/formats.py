"""Frameworks other than ESCO: 1EdTech CASE JSON (a CFPackage) and a simple CSV.

CSV columns: `uri,label,type,description,broader_uri` (type: knowledge | skill | transversal | attitude |
group, or empty). CASE: `CFDocument` + `CFItems` + `CFAssociations`; `isChildOf` associations give the
hierarchy, the CFItemType gives the kind when it names one (knowledge, skill/competency/ability,
attitude/disposition/value, or a grouping such as domain/strand/cluster).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from microcred.taxonomy.esco import read_csv
from microcred.taxonomy.records import ConceptRecord, FrameworkData, TaxonomyImportError, clean

CSV_TYPES: dict[str, tuple[str, str | None]] = {
    "knowledge": ("knowledge", "knowledge"),
    "skill": ("skill", "skill"),
    "competence": ("skill", "skill"),
    "competency": ("skill", "skill"),
    "transversal": ("transversal", "skill"),
    "attitude": ("transversal", "attitude"),
    "group": ("group", None),
    "": ("other", None),
}


def slug(name: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return value[:100] or "framework"


def read_simple_csv(path: Path, *, framework: str, version: str = "1") -> FrameworkData:
    if not path.is_file():
        raise TaxonomyImportError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    rows = read_csv(path, ("uri", "label"))
    data = FrameworkData(key=slug(framework), name=framework, source_format="csv", version=version, source=str(path))
    for i, row in enumerate(rows, start=2):
        uri, label = clean(row.get("uri")), clean(row.get("label"))
        if not uri or not label:
            raise TaxonomyImportError(f"{path}: malformed CSV: row {i} needs a uri and a label")
        type_name = (row.get("type") or "").strip().lower()
        if type_name not in CSV_TYPES:
            raise TaxonomyImportError(
                f"{path}: malformed CSV: row {i} has type {type_name!r}"
                f" (one of {', '.join(t for t in CSV_TYPES if t)} or empty)"
            )
        kind, ksa = CSV_TYPES[type_name]
        data.concepts.append(
            ConceptRecord(
                uri=uri,
                preferred_label=label[:500],
                kind=kind,
                ksa=ksa,
                description=clean(row.get("description")),
                status="released",
            )
        )
        broader = clean(row.get("broader_uri"))
        if broader:
            data.broader.append((uri, broader))
    return data


def _case_kind(item_type: str) -> tuple[str, str | None]:
    value = item_type.lower()
    if "knowledge" in value:
        return "knowledge", "knowledge"
    if any(word in value for word in ("attitude", "disposition", "value", "behaviour", "behavior")):
        return "transversal", "attitude"
    if any(word in value for word in ("skill", "competenc", "ability", "capability")):
        return "skill", "skill"
    if any(word in value for word in ("domain", "strand", "cluster", "category", "group", "area", "framework")):
        return "group", None
    return "other", None


def _node_uri(node: Any) -> str | None:
    if isinstance(node, dict):
        value = node.get("uri") or node.get("identifier")
        return str(value) if value else None
    if isinstance(node, str):
        return node
    return None


def _case_package(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """The CFPackage of a CASE JSON file and its CFItems; refuses a file that is not one."""
    if not path.is_file():
        raise TaxonomyImportError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TaxonomyImportError(f"{path}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise TaxonomyImportError(f"{path}: malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    except OSError as exc:
        raise TaxonomyImportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    package = document.get("CFPackage", document) if isinstance(document, dict) else None
    if not isinstance(package, dict) or not isinstance(package.get("CFDocument"), dict):
        raise TaxonomyImportError(f"{path}: not a CASE CFPackage (no CFDocument)")
    items = package.get("CFItems")
    if not isinstance(items, list):
        raise TaxonomyImportError(f"{path}: not a CASE CFPackage (no CFItems list)")
    return package, items


def _case_concept(path: Path, i: int, item: Any) -> ConceptRecord:
    """One CFItem as a concept (its statement the label, its item type our kind)."""
    if not isinstance(item, dict):
        raise TaxonomyImportError(f"{path}: CFItems[{i}] is not an object")
    uri = _node_uri(item)
    full = clean(str(item.get("fullStatement") or ""))
    short = clean(str(item.get("abbreviatedStatement") or ""))
    if not uri or not (full or short):
        raise TaxonomyImportError(f"{path}: CFItems[{i}] needs a uri (or identifier) and a fullStatement")
    item_type = item.get("CFItemType") or _node_uri(item.get("CFItemTypeURI")) or ""
    if isinstance(item.get("CFItemTypeURI"), dict):
        item_type = item.get("CFItemType") or item["CFItemTypeURI"].get("title") or ""
    kind, ksa = _case_kind(str(item_type))
    label = short or full or uri
    return ConceptRecord(
        uri=uri,
        preferred_label=label[:500],
        kind=kind,
        ksa=ksa,
        description=full if short and full != short else clean(str(item.get("notes") or "")),
        code=str(item["humanCodingScheme"])[:64] if item.get("humanCodingScheme") else None,
        status="released",
    )


def _case_broader(
    package: dict[str, Any], identifiers: dict[str, str], known: set[str], doc_uri: str | None
) -> list[tuple[str, str]]:
    """The ``isChildOf`` associations between known items (ids resolved to URIs; the document itself is no parent)."""
    broader: list[tuple[str, str]] = []
    for association in package.get("CFAssociations") or []:
        if not isinstance(association, dict) or association.get("associationType") != "isChildOf":
            continue
        origin = _node_uri(association.get("originNodeURI"))
        destination = _node_uri(association.get("destinationNodeURI"))
        if origin is None or destination is None:
            continue
        origin = identifiers.get(origin, origin)
        destination = identifiers.get(destination, destination)
        if origin in known and destination in known and destination != doc_uri:
            broader.append((origin, destination))
    return broader


def read_case(path: Path, *, framework: str | None = None, version: str | None = None) -> FrameworkData:
    """Read a 1EdTech CASE CFPackage (JSON) into `FrameworkData`: items as concepts, isChildOf as hierarchy."""
    package, items = _case_package(path)
    cf_document: dict[str, Any] = package["CFDocument"]
    title = str(cf_document.get("title") or framework or path.stem)
    doc_uri = _node_uri(cf_document)
    data = FrameworkData(
        key=slug(framework or title),
        name=framework or title,
        source_format="case",
        version=version or str(cf_document.get("version") or cf_document.get("lastChangeDateTime") or "1"),
        publisher=clean(str(cf_document.get("creator") or "")) or clean(str(cf_document.get("publisher") or "")),
        licence=_node_uri(cf_document.get("licenseURI")),
        url=doc_uri,
        source=str(path),
    )
    identifiers: dict[str, str] = {}
    for i, item in enumerate(items):
        data.concepts.append(_case_concept(path, i, item))
        if item.get("identifier"):
            identifiers[str(item["identifier"])] = data.concepts[-1].uri
    data.broader.extend(_case_broader(package, identifiers, {c.uri for c in data.concepts}, doc_uri))
    return data

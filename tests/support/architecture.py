"""Measure the shape of ``src/microcred``: imports between subsystems (including imports written inside
functions), cycles, imports of another subsystem's ORM models, and the largest modules and functions.

``python tests/support/architecture.py`` prints the figures quoted in docs/architecture.md;
``tests/test_architecture.py`` asserts the rules on the same figures.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src" / "microcred"
PACKAGE = "microcred"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted (names resolved to their module when they are modules)
    names: tuple[str, ...]
    line: int
    in_function: bool


@dataclass
class Report:
    imports: list[Import] = field(default_factory=list)
    module_lines: dict[str, int] = field(default_factory=dict)
    function_lines: list[tuple[int, str]] = field(default_factory=list)


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def subsystem(module: str) -> str:
    """``microcred.awards.services`` -> ``awards``; ``microcred.demo`` -> ``demo``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _known_modules() -> set[str]:
    return {module_name(p) for p in ROOT.rglob("*.py")}


def scan(root: Path = ROOT, *, include_migrations: bool = False) -> Report:
    report = Report()
    known = _known_modules()
    for path in sorted(root.rglob("*.py")):
        if not include_migrations and "migrations" in path.parts:
            continue
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        report.module_lines[module] = len(source.splitlines())

        def visit(node: ast.AST, in_function: bool, module: str = module, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    report.function_lines.append((length, f"{module}.{child.name}:{child.lineno}"))
                    visit(child, True)
                    continue
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        if alias.name.split(".")[0] == PACKAGE:
                            report.imports.append(Import(module, alias.name, (), child.lineno, in_function))
                elif isinstance(child, ast.ImportFrom):
                    target = _resolve(module, _is_package(path), child)
                    if target.split(".")[0] != PACKAGE:
                        continue
                    names = tuple(a.name for a in child.names)
                    submodules = [n for n in names if f"{target}.{n}" in known]
                    others = tuple(n for n in names if f"{target}.{n}" not in known)
                    for sub in submodules:
                        report.imports.append(Import(module, f"{target}.{sub}", (), child.lineno, in_function))
                    if others or not submodules:
                        report.imports.append(Import(module, target, others, child.lineno, in_function))
                visit(child, in_function)

        visit(tree, False)
    return report


def subsystem_graph(report: Report) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in report.imports:
        a, b = subsystem(imp.module), subsystem(imp.target)
        if a and b and a != b:
            graph[a].add(b)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; returns the components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]
    nodes = set(graph) | {b for targets in graph.values() for b in targets}
    sys.setrecursionlimit(10_000)

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            connect(node)
    return result


def mutual_pairs(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))


def foreign_model_imports(report: Report) -> list[Import]:
    """Imports of ``microcred.<x>.models`` (or ``<x>.<y>_models``) from outside ``<x>``, other models modules
    (foreign keys) and ``db`` (which loads every model for Alembic) excepted."""
    found = []
    for imp in report.imports:
        last = imp.target.split(".")[-1]
        if last != "models" and not last.endswith("_models"):
            continue
        owner = subsystem(imp.target)
        importer = subsystem(imp.module)
        importer_last = imp.module.split(".")[-1]
        if importer == owner or importer == "db" or importer_last == "models" or importer_last.endswith("_models"):
            continue
        found.append(imp)
    return found


def web_imports_from_domain(report: Report, domain: set[str]) -> list[Import]:
    return [i for i in report.imports if subsystem(i.target) == "web" and subsystem(i.module) in domain]


def main() -> int:
    report = scan()
    graph = subsystem_graph(report)
    inside = sum(1 for i in report.imports if i.in_function)
    print(f"imports of microcred modules: {len(report.imports)} ({inside} inside functions)")
    components = strongly_connected(graph)
    print(f"subsystem cycles (strongly connected components): {len(components)}")
    for c in components:
        print("  ", " <-> ".join(c))
    pairs = mutual_pairs(graph)
    print(f"subsystem pairs importing each other: {len(pairs)}")
    for a, b in pairs:
        print(f"   {a} <-> {b}")
    models = foreign_model_imports(report)
    print(f"imports of another subsystem's ORM models: {len(models)}")
    for imp in models:
        print(f"   {imp.module}:{imp.line} -> {imp.target}")
    domain = {subsystem(m) for m in report.module_lines} - {"web", "cli", ""}
    web = web_imports_from_domain(report, domain)
    print(f"domain modules importing web: {len({i.module for i in web})}")
    for imp in web:
        print(f"   {imp.module}:{imp.line} -> {imp.target}")
    print("largest modules:")
    for module, lines in sorted(report.module_lines.items(), key=lambda kv: -kv[1])[:8]:
        print(f"   {lines:5d} {module}")
    print("largest functions:")
    for lines, name in sorted(report.function_lines, reverse=True)[:8]:
        print(f"   {lines:5d} {name}")
    print(f"modules over 500 lines: {sum(1 for n in report.module_lines.values() if n > 500)}; "
          f"functions over 60 lines: {sum(1 for n, _ in report.function_lines if n > 60)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

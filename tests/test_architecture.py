"""The architecture of docs/architecture.md, checked on the code: no cycle between subsystems counting the imports
written inside functions (which import-linter's layers see too, but a late import is the usual way a cycle hides),
ORM models imported only by their owner, no domain package importing `web`, and the size limits of src/.

The figures come from `support.architecture` (`python tests/support/architecture.py` prints them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import architecture

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _report() -> architecture.Report:
    return architecture.scan()


def test_no_cycle_between_subsystems_counting_imports_inside_functions() -> None:
    report = _report()
    assert any(i.in_function for i in report.imports), "the scan must see imports written inside functions"
    assert architecture.strongly_connected(architecture.subsystem_graph(report)) == []


def test_orm_models_are_imported_only_by_their_owner() -> None:
    found = [f"{i.module}:{i.line} -> {i.target}" for i in architecture.foreign_model_imports(_report())]
    assert found == []


def test_no_domain_package_imports_web() -> None:
    report = _report()
    domain = {architecture.subsystem(m) for m in report.module_lines} - {"web", "cli", ""}
    found = [f"{i.module}:{i.line}" for i in architecture.web_imports_from_domain(report, domain)]
    assert found == []


def test_modules_and_functions_within_the_size_limits() -> None:
    report = _report()
    big_modules = {m: n for m, n in report.module_lines.items() if n > MAX_MODULE_LINES}
    long_functions = [name for n, name in report.function_lines if n > MAX_FUNCTION_LINES]
    assert big_modules == {}
    assert long_functions == []


def test_the_checks_see_what_they_check(tmp_path: Path) -> None:
    """The scanner is not vacuous: a late-import cycle, a foreign model import and a web import are all found."""
    root = tmp_path / "microcred"
    for package in ("a", "b", "web"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "a" / "models.py").write_text("X = 1\n")
    (root / "a" / "services.py").write_text("def f() -> None:\n    from microcred.b import services\n")
    (root / "b" / "services.py").write_text(
        "from microcred.a.models import X\nfrom microcred.web import app\nfrom . import helpers\n"
    )
    (root / "b" / "helpers.py").write_text("def g() -> int:\n" + "    x = 1\n" * 70 + "    return x\n")
    (root / "web" / "app.py").write_text("")
    original = architecture.ROOT
    architecture.ROOT = root
    try:
        report = architecture.scan(root)
    finally:
        architecture.ROOT = original
    assert architecture.strongly_connected(architecture.subsystem_graph(report)) == [["a", "b"]]
    assert [(i.module, i.target) for i in architecture.foreign_model_imports(report)] == [
        ("microcred.b.services", "microcred.a.models")
    ]
    assert [i.module for i in architecture.web_imports_from_domain(report, {"a", "b"})] == ["microcred.b.services"]
    assert max(report.function_lines)[0] > MAX_FUNCTION_LINES


def test_import_linter_contracts_hold() -> None:
    """The contracts in pyproject.toml (layers, vc pure, HTTP only in web, models per owner) are kept."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], capture_output=True, text=True, cwd=Path(__file__).parents[1], check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout

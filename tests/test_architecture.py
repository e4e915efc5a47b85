"""The layout's arrows point one way (engineering.md, "Layout"), checked by reading the imports.

``mot`` is the core and imports no app; ``journeys`` reads answers only through metrics' read
side, never ``feedback.models``; nothing in the product imports ``bench``; and no two modules
of one app import each other, directly or round a loop (a task module excepted: services
dispatch tasks that call services).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("mot", "journeys", "feedback", "metrics")


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = {name: path for app in APPS for name, path in _modules(app).items()}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    is_package = MODULES.get(module, Path()).name == "__init__.py"
    base = package if is_package else package[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    skipped: set[ast.AST] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(ast.walk(node))
    return skipped


def imports_of(module: str, path: Path | None = None) -> set[str]:
    """Every module ``module`` imports, at load time or inside a function (a hidden dependency
    is a dependency), but not under ``if TYPE_CHECKING:`` (annotations only)."""
    path = path or MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            found.add(target)
            # "from feedback import models" imports feedback.models.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offending(
    source_package: str, forbidden: tuple[str, ...], modules: dict[str, Path] | None = None
) -> list[str]:
    modules = MODULES if modules is None else modules
    return sorted(
        f"{module} imports {target}"
        for module, path in modules.items()
        if _within(module, source_package)
        for target in imports_of(module, path)
        if any(_within(target, f) for f in forbidden)
    )


def test_the_modules_are_found():
    assert {"mot.policy", "journeys.models", "feedback.services", "metrics.compute"} <= set(MODULES)


def test_mot_imports_no_app():
    assert offending("mot", ("journeys", "feedback", "metrics")) == []


def test_journeys_never_reads_feedback_models():
    assert offending("journeys", ("feedback.models",)) == []


@pytest.mark.parametrize("app", APPS)
def test_product_code_never_imports_bench(app):
    assert offending(app, ("bench",)) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    """The walk finds imports inside functions too (the hidden kind issue 12 found), and leaves
    out those made for annotations only."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from journeys.models import Journey\n"
        "def f():\n    from feedback.models import Response\n"
    )
    assert offending("mot", ("feedback", "journeys"), {"mot.probe": probe}) == [
        "mot.probe imports feedback.models",
        "mot.probe imports feedback.models.Response",
    ]


def _graph(app: str) -> dict[str, set[str]]:
    own = {m for m in MODULES if _within(m, app)}
    return {m: {t for t in imports_of(m) if t in own and t != m} for m in own}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


@pytest.mark.parametrize("app", APPS)
def test_no_two_modules_of_an_app_import_each_other(app):
    cycles = [
        group
        for group in _cycles(_graph(app))
        if not any(member.endswith(".tasks") for member in group)
    ]
    assert cycles == []

"""Imports run one way, web -> core -> storage: read from the source with ast, nothing imported.

Every factcheck-internal import counts, at module level or inside a function, absolute or
relative. factcheck/storage/migrations is left out: Alembic loads it by path, it is no package.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT

PACKAGE = ROOT / "factcheck"
MIGRATIONS = PACKAGE / "storage" / "migrations"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if not path.is_relative_to(MIGRATIONS)
}


def _known(name: str) -> str:
    """The module `name` loads: itself, or the nearest package above (for an attribute)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imported(module: str, path: Path) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A package's own __init__ is level 1's anchor; a plain module's is its parent.
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + is_package]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            for alias in node.names:
                # `from package import submodule` loads the submodule; otherwise the name is an
                # attribute of `base`.
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_known(name) for name in _imported(module, path)}
        graph[module] = {t for t in targets if t in MODULES and t != module}
    return graph


GRAPH = import_graph()


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that starts and ends on the same module, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if cycle := visit(module):
            return cycle
    return None


def imports_into(importers: str, targets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(module, imported) for each module under `importers` importing one under `targets`."""
    return sorted(
        (module, target)
        for module, imported in GRAPH.items()
        if within(module, importers)
        for target in imported
        if any(within(target, package) for package in targets)
    )


def described(edges: list[tuple[str, str]]) -> str:
    return "\n".join(f"{module} imports {target}" for module, target in edges)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("factcheck", "factcheck.web"),
        ("factcheck.core.claimreview", "factcheck.storage.models"),
        ("factcheck.core.claimreview", "factcheck.schemas.fact_checks"),
        ("factcheck.storage", "factcheck.storage.cache"),
        ("factcheck.storage.cache.local", "factcheck.storage.cache.daemon"),
    ],
)
def test_the_graph_sees_the_imports_the_package_has(importer: str, imported: str) -> None:
    # The checks below pass on an empty graph; these edges show the graph is read at all.
    assert imported in GRAPH[importer]


def test_there_is_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_web_and_the_app_factory_import_web() -> None:
    offending = [
        (module, target)
        for module, target in imports_into("factcheck", ("factcheck.web",))
        if not within(module, "factcheck.web") and module != "factcheck"
    ]
    assert not offending, described(offending)


def test_storage_imports_no_core_web_or_schemas() -> None:
    offending = imports_into(
        "factcheck.storage", ("factcheck.core", "factcheck.web", "factcheck.schemas")
    )
    assert not offending, described(offending)


def test_schemas_import_no_core_web_or_storage() -> None:
    offending = imports_into(
        "factcheck.schemas", ("factcheck.core", "factcheck.web", "factcheck.storage")
    )
    assert not offending, described(offending)


def test_problems_imports_nothing_from_factcheck() -> None:
    offending = imports_into("factcheck.problems", ("factcheck",))
    assert not offending, described(offending)

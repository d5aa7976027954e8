"""The service image's Dockerfile, checked by reading it (no Docker engine on these machines)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.deploy.manifests import REPO, SERVICES

DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction, arguments in instructions():
        if instruction == "FROM":
            result.append([])
        if result:
            result[-1].append((instruction, arguments))
    return result


def test_the_image_is_built_in_stages_and_runs_on_the_slim_base() -> None:
    assert len(stages()) >= 2
    build_args = dict(
        arguments.split("=", 1)
        for instruction, arguments in instructions()
        if instruction == "ARG" and "=" in arguments
    )
    final_from = stages()[-1][0][1].split()[0]
    assert final_from.replace("${PYTHON_IMAGE}", build_args.get("PYTHON_IMAGE", "")) == "python:3.11-slim"


def test_the_final_stage_runs_as_an_unprivileged_user_and_exposes_port_8000() -> None:
    final = stages()[-1]
    users = [arguments for instruction, arguments in final if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("EXPOSE", "8000") in final
    assert any(instruction in ("CMD", "ENTRYPOINT") and "leadline." in arguments for instruction, arguments in final)


def test_the_final_stage_installs_no_build_tools_and_copies_only_from_the_builder() -> None:
    final = stages()[-1]
    assert not [a for i, a in final if i == "RUN" and re.search(r"apt-get install|build-essential|gcc|pip install", a)]
    assert [a for i, a in final if i == "COPY"] == ["--from=builder /opt/venv /opt/venv"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_copied_path_exists_for_each_service(service: str) -> None:
    for instruction, arguments in instructions():
        if instruction != "COPY" or arguments.startswith("--from="):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (REPO / source.replace("${SERVICE}", service)).exists(), source


def test_the_build_context_leaves_out_local_state_but_keeps_the_sources() -> None:
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", "tests"} <= ignored
    assert not {"libs", "services"} & ignored


def builder_commands() -> list[str]:
    """The builder stage's shell commands, one per ``&&``/``||`` link of its RUN instructions."""
    return [
        command.strip()
        for instruction, arguments in stages()[0]
        if instruction == "RUN"
        for command in re.split(r"\s&&\s|\s\|\|\s", arguments)
    ]


def test_the_builder_installs_only_the_images_hash_checked_lock_and_the_local_wheels_without_their_dependencies():
    installs = [command for command in builder_commands() if "pip install" in command]

    assert installs == [
        '/opt/venv/bin/pip install --require-hashes --no-deps -r "requirements/${SERVICE}.lock"',
        "/opt/venv/bin/pip install --no-deps /wheels/*.whl",
    ]
    assert "/opt/venv/bin/pip check" in builder_commands()  # the lock holds every dependency of the local packages
    assert any("--no-build-isolation" in command for command in builder_commands() if "pip wheel" in command)


@pytest.mark.parametrize("image", [*SERVICES, "web", "cli"])
def test_the_builder_reads_each_images_packages_from_its_requirements_in_file(image: str) -> None:
    [listing] = [command for command in builder_commands() if command.startswith("packages=")]
    script = listing.replace("${SERVICE}", image) + ' && printf "%s\\n" $packages'

    listed = subprocess.run(["/bin/sh", "-c", script], cwd=REPO, capture_output=True, text=True, check=True).stdout

    lines = (REPO / "requirements" / f"{image}.in").read_text().splitlines()
    assert listed.split() == [line.removeprefix("./") for line in lines if line.startswith("./")]
    assert (REPO / "requirements" / f"{image}.lock").is_file()
    assert f"services/{image}" in listed.split() or image == "cli"

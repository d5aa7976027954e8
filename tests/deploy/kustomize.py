"""The overlays as ``kubectl kustomize`` renders them: the tool operators apply them with, not a copy of it.

Without kubectl on PATH the deploy tests that read rendered manifests are skipped, saying so. Debian's
``kubernetes-client`` is too old (kustomize v2 knows neither ``patches`` nor ``replicas``); CI machines carry a
kubectl with kustomize v5.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

KUBECTL = shutil.which("kubectl")
MISSING = "kubectl is not on PATH: the deploy tests render the overlays with `kubectl kustomize` (kustomize v5)"


def build(directory: Path) -> list[dict]:
    """The resources ``kubectl kustomize directory`` prints, as dicts; a kustomize error fails the test."""
    if KUBECTL is None:
        pytest.skip(MISSING)
    result = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document is not None]


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``registry/name:tag@digest`` → (``registry/name``, tag, digest), as kustomize's ``images`` reads a reference."""
    image, _, digest = image.partition("@")
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest or None
    return image, None, digest or None

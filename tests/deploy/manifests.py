"""The rendered overlays of deploy/k8s and small lookups over them, shared by the deploy tests."""

from __future__ import annotations

import copy
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from tests.deploy.kustomize import build

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
README_PATH = REPO / "README.md"
OVERLAYS = ("dev", "prod")
SERVICES = ("ingest", "router", "leads", "history")  # each owns a database and has a migration Job
WORKLOADS = (*SERVICES, "web")  # web: the agents' gateway, built on another branch
NAME_LABEL = "app.kubernetes.io/name"


@cache
def _rendered(overlay: str) -> tuple[dict, ...]:
    return tuple(build(K8S / "overlays" / overlay))


def rendered(overlay: str) -> list[dict]:
    """A fresh copy of the overlay's resources (tests may mutate it)."""
    return copy.deepcopy(list(_rendered(overlay)))


@cache
def kafka_resources() -> ModuleType:
    """``deploy/k8s/kafka_resources.py``, the generator of the Strimzi topics and users (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("kafka_resources", K8S / "kafka_resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def of_kind(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[dict], kind: str, name: str) -> dict:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    """A ``matchLabels`` selector (the only kind these manifests use) against a pod's labels."""
    assert set(selector) <= {"matchLabels"}, f"only matchLabels selectors are checked here: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())

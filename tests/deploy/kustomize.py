"""A small, strict subset of ``kustomize build``, enough to render deploy/k8s without the kustomize binary.

No kustomize renderer is on PyPI (the packages there wrap the Go binary or generate manifests from Python), so
the tests render overlays with this. Supported: ``resources`` (files and directories), ``namespace``, ``images``
(newName / newTag / digest), ``replicas``, ``patches`` (strategic merge, matched by the patch's kind and name or by a
``target`` of kind / name / group / version), and ``secretGenerator`` / ``configMapGenerator`` with ``literals`` and
``generatorOptions.disableNameSuffixHash: true``. Anything else raises ``Unsupported``: a kustomization that uses a
feature this file does not implement fails the tests instead of rendering something kustomize would not.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path

import yaml

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches",
                        "secretGenerator", "configMapGenerator", "generatorOptions"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass", "IngressClass"}
# Strategic-merge keys of the lists our manifests patch (from the Kubernetes API's patchMergeKey markers).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "imagePullSecrets": "name"}
# Lists the API replaces whole in a strategic merge (no patchMergeKey).
REPLACED_LISTS = {"envFrom", "command", "args", "rules", "tls", "hosts", "paths", "ingress", "egress", "from", "to",
                  "policyTypes", "metrics", "drop", "add", "literals"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Unsupported(Exception):
    """The kustomization uses something this renderer does not implement."""


class BuildError(Exception):
    """The kustomization is wrong (a missing file, a patch without a target...), as kustomize would also say."""


def build(directory: Path) -> list[dict]:
    """The resources ``kustomize build directory`` prints, as dicts."""
    directory = Path(directory)
    kustomization = _load_kustomization(directory)
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        resources.extend(_load_resource(directory, entry))
    resources.extend(_generated(kustomization))
    _refuse_duplicates(resources, directory)
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, directory, patch)
    for replica in kustomization.get("replicas", []):
        _set_replicas(resources, replica)
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    return resources


def _load_kustomization(directory: Path) -> dict:
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise BuildError(f"no kustomization.yaml in {directory}")
    kustomization = yaml.safe_load(path.read_text()) or {}
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    if unknown:
        raise Unsupported(f"{path}: kustomization fields {sorted(unknown)} are not implemented by tests/deploy/kustomize.py")
    return kustomization


def _load_resource(directory: Path, entry: str) -> list[dict]:
    if "://" in entry or entry.startswith("github.com/"):
        raise Unsupported(f"remote resource {entry!r}")
    path = (directory / entry).resolve()
    if path.is_dir():
        return build(path)
    if not path.is_file():
        raise BuildError(f"{directory}/kustomization.yaml: resource {entry!r} does not exist")
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    for doc in documents:
        if not isinstance(doc, dict) or "kind" not in doc or "name" not in doc.get("metadata", {}):
            raise BuildError(f"{path}: every document needs a kind and a metadata.name")
        if doc["kind"].endswith("List"):
            raise Unsupported(f"{path}: List documents")
    return documents


def _generated(kustomization: dict) -> list[dict]:
    generated = []
    options = kustomization.get("generatorOptions", {})
    for kind, field in (("Secret", "secretGenerator"), ("ConfigMap", "configMapGenerator")):
        generators = kustomization.get(field, [])
        if generators and (options != {"disableNameSuffixHash": True}):
            raise Unsupported("generators need generatorOptions: {disableNameSuffixHash: true} (no hash-suffix renaming here)")
        for generator in generators:
            unknown = set(generator) - {"name", "literals"}
            if unknown:
                raise Unsupported(f"{field} {generator.get('name')!r}: {sorted(unknown)}")
            data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
            resource = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
            if kind == "Secret":
                resource["type"] = "Opaque"
                resource["data"] = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
            else:
                resource["data"] = data
            generated.append(resource)
    return generated


def _refuse_duplicates(resources: list[dict], directory: Path) -> None:
    seen = set()
    for resource in resources:
        identity = (resource["kind"], resource["metadata"]["name"], resource["metadata"].get("namespace"))
        if identity in seen:
            raise BuildError(f"{directory}: {identity} is defined twice")
        seen.add(identity)


def _apply_patch(resources: list[dict], directory: Path, entry: dict) -> None:
    unknown = set(entry) - {"path", "target"}
    if unknown:
        raise Unsupported(f"patch fields {sorted(unknown)} (inline patches and options are not implemented)")
    patch = yaml.safe_load((directory / entry["path"]).read_text())
    if not isinstance(patch, dict) or "kind" not in patch:
        raise Unsupported(f"{entry['path']}: only strategic-merge patches (one document, a kind) are implemented")
    if "target" in entry:
        target = entry["target"]
        unknown = set(target) - {"kind", "name", "group", "version"}
        if unknown:
            raise Unsupported(f"patch target selectors {sorted(unknown)}")
        matches = [r for r in resources if _matches_target(r, target)]
        if not matches:
            raise BuildError(f"patch {entry['path']}: no resource matches target {target}")
        for resource in matches:
            body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind", "metadata")}
            if "metadata" in patch:
                body["metadata"] = {k: v for k, v in patch["metadata"].items() if k != "name"}
            _merge(resource, body, path=entry["path"])
        return
    matches = [r for r in resources if r["kind"] == patch["kind"] and r["metadata"]["name"] == patch["metadata"]["name"]]
    if len(matches) != 1:
        raise BuildError(f"patch {entry['path']}: {len(matches)} resources named {patch['kind']}/{patch['metadata']['name']}")
    _merge(matches[0], {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}, path=entry["path"])


def _matches_target(resource: dict, target: dict) -> bool:
    group, _, version = resource["apiVersion"].rpartition("/")
    return (
        ("kind" not in target or resource["kind"] == target["kind"])
        and ("name" not in target or re.fullmatch(target["name"], resource["metadata"]["name"]) is not None)
        and ("group" not in target or group == target["group"])
        and ("version" not in target or version == target["version"])
    )


def _merge(into: dict, patch: dict, *, path: str) -> None:
    """Strategic merge of ``patch`` into ``into``, in place."""
    for key, value in patch.items():
        if key.startswith("$"):
            raise Unsupported(f"{path}: strategic-merge directive {key}")
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, path=path)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = _merge_list(key, into[key], value, path=path)
        else:
            into[key] = copy.deepcopy(value)


def _merge_list(key: str, current: list, patch: list, *, path: str) -> list:
    if key in MERGE_KEYS or key == "ports":
        merge_key = MERGE_KEYS.get(key) or ("containerPort" if any("containerPort" in item for item in patch) else "port")
        merged = [copy.deepcopy(item) for item in current]
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise Unsupported(f"{path}: an item of {key} without its merge key {merge_key}")
            existing = next((m for m in merged if m.get(merge_key) == item[merge_key]), None)
            if existing is None:
                merged.append(copy.deepcopy(item))
            else:
                _merge(existing, item, path=path)
        return merged
    if key in REPLACED_LISTS or not any(isinstance(item, dict) for item in patch):
        return copy.deepcopy(patch)
    raise Unsupported(f"{path}: strategic merge of the list {key!r} (merge key unknown to this renderer)")


def _set_replicas(resources: list[dict], entry: dict) -> None:
    matches = [r for r in resources if r["kind"] in {"Deployment", "StatefulSet", "ReplicaSet"}
               and r["metadata"]["name"] == entry["name"]]
    if not matches:
        raise BuildError(f"replicas: no workload named {entry['name']!r}")
    for resource in matches:
        resource["spec"]["replicas"] = entry["count"]


def _set_image(resources: list[dict], entry: dict) -> None:
    unknown = set(entry) - {"name", "newName", "newTag", "digest"}
    if unknown:
        raise Unsupported(f"images fields {sorted(unknown)}")
    for resource in resources:
        if resource["kind"] == "CronJob":
            raise Unsupported("images in CronJobs")
        if resource["kind"] not in WORKLOAD_KINDS:
            continue
        pod = resource["spec"]["template"]["spec"]
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            name, tag, digest = split_image(container["image"])
            if name != entry["name"]:
                continue
            name = entry.get("newName", name)
            if "digest" in entry:
                container["image"] = f"{name}@{entry['digest']}"
            elif "newTag" in entry:
                container["image"] = f"{name}:{entry['newTag']}"
            else:
                container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``registry/name:tag@digest`` → (``registry/name``, tag, digest)."""
    image, _, digest = image.partition("@")
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:], digest or None
    return image, None, digest or None

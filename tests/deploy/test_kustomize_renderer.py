"""The kustomize subset the deploy tests render with: what it does, and that it refuses what it does not do."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.kustomize import BuildError, Unsupported, build, split_image

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}}, "template": {
        "metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "api:1", "env": [{"name": "A", "value": "1"}]},
                                {"name": "sidecar", "image": "proxy:2"}]}}},
}


def write(directory: Path, files: dict[str, object]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content))
    return directory


def overlay(tmp_path: Path, kustomization: dict, patches: dict[str, object] | None = None) -> Path:
    write(tmp_path / "base", {"kustomization.yaml": {"resources": ["deployment.yaml"]}, "deployment.yaml": DEPLOYMENT})
    return write(tmp_path / "overlay", {"kustomization.yaml": {"resources": ["../base"], **kustomization},
                                        **(patches or {})})


def test_a_patch_merges_containers_and_env_by_name_and_keeps_the_rest(tmp_path: Path) -> None:
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
             "spec": {"template": {"spec": {"containers": [{"name": "api", "env": [{"name": "B", "value": "2"}]}]}}}}
    [deployment] = build(overlay(tmp_path, {"patches": [{"path": "patch.yaml"}]}, {"patch.yaml": patch}))
    api, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert api["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert api["image"] == "api:1" and sidecar == {"name": "sidecar", "image": "proxy:2"}


def test_namespace_images_and_replicas_are_applied(tmp_path: Path) -> None:
    [deployment] = build(overlay(tmp_path, {"namespace": "prod", "replicas": [{"name": "api", "count": 3}],
                                            "images": [{"name": "api", "newName": "reg.io/api", "newTag": "2.0"}]}))
    assert deployment["metadata"]["namespace"] == "prod"
    assert deployment["spec"]["replicas"] == 3
    assert [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]] == ["reg.io/api:2.0", "proxy:2"]


@pytest.mark.parametrize("feature", [{"namePrefix": "x-"}, {"components": ["../c"]}, {"helmCharts": []},
                                     {"secretGenerator": [{"name": "s", "literals": ["A=1"]}]}])
def test_features_it_does_not_implement_are_refused(tmp_path: Path, feature: dict) -> None:
    with pytest.raises(Unsupported):
        build(overlay(tmp_path, feature))


def test_a_patch_for_a_resource_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nope"}, "spec": {"replicas": 2}}
    with pytest.raises(BuildError):
        build(overlay(tmp_path, {"patches": [{"path": "patch.yaml"}]}, {"patch.yaml": patch}))


def test_a_patch_directive_is_refused(tmp_path: Path) -> None:
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
             "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}
    with pytest.raises(Unsupported):
        build(overlay(tmp_path, {"patches": [{"path": "patch.yaml"}]}, {"patch.yaml": patch}))


def test_image_references_split_into_name_tag_and_digest() -> None:
    assert split_image("localhost:5000/team/api:1.2@sha256:ab") == ("localhost:5000/team/api", "1.2", "sha256:ab")
    assert split_image("localhost:5000/api") == ("localhost:5000/api", None, None)

"""Every setting a service needs in a cluster is given to its container by the rendered manifests."""

from __future__ import annotations

import importlib.util

import pytest

from tests.deploy.env_coverage import missing_settings, provided_env, settings_from, unknown_settings
from tests.deploy.manifests import OVERLAYS, README_PATH, SERVICES, WORKLOADS, named, pod_spec, rendered


def container_of(resources: list[dict], service: str) -> dict:
    return pod_spec(named(resources, "Deployment", service))["containers"][0]


def skip_unless_installed(service: str) -> None:
    if importlib.util.find_spec(f"leadline.{service}") is None:
        pytest.skip(f"leadline.{service} is not installed (web is built on another branch)")


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_every_required_setting_is_given_to_the_deployment(overlay: str, service: str) -> None:
    skip_unless_installed(service)
    resources = rendered(overlay)
    assert missing_settings(service, container_of(resources, service), resources) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_no_deployment_sets_a_variable_its_service_does_not_read(overlay: str, service: str) -> None:
    skip_unless_installed(service)
    resources = rendered(overlay)
    assert unknown_settings(service, container_of(resources, service), resources, ignore=set()) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", WORKLOADS)
def test_the_settings_load_from_the_manifests_and_listen_on_the_container_port(overlay: str, service: str) -> None:
    skip_unless_installed(service)
    resources = rendered(overlay)
    container = container_of(resources, service)
    settings = settings_from(service, container, resources)
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == container["ports"][0]["containerPort"] == 8000


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_the_migration_job_and_the_wait_for_it_use_the_services_own_database(overlay: str, service: str) -> None:
    resources = rendered(overlay)
    server = pod_spec(named(resources, "Deployment", service))
    migrations = [
        pod_spec(named(resources, "Job", f"{service}-migrate"))["containers"][0],
        *(c for c in server["initContainers"] if c["name"] == "wait-for-migrations"),
    ]
    assert len(migrations) == 2
    database = provided_env(server["containers"][0], resources).values["DATABASE_URL"]
    for container in migrations:
        assert container["command"][:4] == ["python", "-m", "leadline.platform.migrate", service]
        assert provided_env(container, resources).problems == ()
        assert provided_env(container, resources).values["DATABASE_URL"] == database


def test_a_removed_variable_is_reported_missing() -> None:
    resources = rendered("prod")
    container = container_of(resources, "leads")
    container["env"] = [item for item in container["env"] if item["name"] != "DATABASE_URL"]
    named(resources, "ConfigMap", "leadline-leads")["data"].pop("ROUTER_URL")
    assert missing_settings("leads", container, resources) == ["missing DATABASE_URL", "missing ROUTER_URL"]


def test_an_optional_secret_nobody_created_provides_nothing() -> None:
    resources = rendered("prod")
    named(resources, "ConfigMap", "leadline-shared")["data"].pop("JWT_JWKS_URL")
    # JWT_SECRET's Secret is optional and prod does not render it: the dev default secret would be used.
    assert missing_settings("router", container_of(resources, "router"), resources) == [
        "missing JWT_JWKS_URL or JWT_SECRET"
    ]


def test_a_dangling_config_map_reference_is_reported() -> None:
    resources = [r for r in rendered("prod") if r["metadata"]["name"] != "leadline-history"]
    assert "envFrom ConfigMap leadline-history is not in the manifests" in missing_settings(
        "history", container_of(resources, "history"), resources
    )


def test_a_misspelt_variable_is_reported_unknown() -> None:
    resources = rendered("prod")
    container = container_of(resources, "router")
    container["env"].append({"name": "KAFKA_BOOTSTRAP_SERVER", "value": "typo:9092"})
    assert unknown_settings("router", container, resources, ignore=set()) == ["KAFKA_BOOTSTRAP_SERVER"]


def test_every_secret_production_expects_is_generated_in_dev_and_named_in_the_readme() -> None:
    dev, prod = rendered("dev"), rendered("prod")
    dev_secrets = {(r["metadata"]["name"], key) for r in dev if r["kind"] == "Secret" for key in r["data"]}
    readme = README_PATH.read_text()
    expected = set()
    for resource in prod:
        if resource["kind"] in ("Deployment", "Job"):
            for container in pod_spec(resource)["containers"]:
                expected |= provided_env(container, prod).external_secrets
    assert expected, "production references no Secret at all?"
    assert expected <= dev_secrets
    assert sorted({name for name, _ in expected if f"`{name}`" not in readme}) == []

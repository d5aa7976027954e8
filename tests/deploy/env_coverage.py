"""What environment a rendered container gets, and whether it covers what its service's settings need.

``provided_env`` resolves ``env`` and ``envFrom`` against the rendered ConfigMaps and Secrets. A Secret that is not
rendered (production creates its Secrets itself) counts as providing a non-optional ``secretKeyRef`` — its value is
unknown — and an optional reference to it as providing nothing, since a missing optional Secret leaves the setting at
its (development) default.
"""

from __future__ import annotations

import base64
import importlib
from dataclasses import dataclass

from pydantic_settings import BaseSettings

UNKNOWN = object()  # the value of a Secret that is created outside the manifests


@dataclass(frozen=True)
class Provided:
    values: dict[str, object]  # env name -> value (or UNKNOWN)
    external_secrets: frozenset[tuple[str, str]]  # (secret, key) the cluster must already hold
    problems: tuple[str, ...]  # dangling references


# Settings that have defaults for `make run` but make no sense with them in a cluster; a tuple is "one of these".
REQUIRED_EVERYWHERE: tuple[tuple[str, ...], ...] = (("HTTP_HOST",), ("HTTP_PORT",), ("LOG_FORMAT",))
REQUIRED_WITH_BROKER_AND_DATABASE: tuple[tuple[str, ...], ...] = (
    ("DATABASE_URL",),
    ("KAFKA_BOOTSTRAP_SERVERS",),
    ("KAFKA_SECURITY_PROTOCOL",),
    ("KAFKA_ENABLE_IDEMPOTENCE",),
    ("JWT_AUDIENCE",),
    ("JWT_ISSUER",),
    ("JWT_JWKS_URL", "JWT_SECRET"),
)
REQUIRED_BY_SERVICE: dict[str, tuple[tuple[str, ...], ...]] = {
    "ingest": (
        ("WHATSAPP_APP_SECRET",),
        ("WHATSAPP_VERIFY_TOKEN",),
        ("WHATSAPP_ACCESS_TOKEN",),
        ("GRAPH_API_BASE_URL",),
        ("MEDIA_STORE_S3_BUCKET", "MEDIA_STORE_DIR"),
    ),
    "router": (),
    "leads": (("ROUTER_URL",),),
    "history": (),
    "web": (("ROUTER_URL",), ("LEADS_URL",), ("HISTORY_URL",)),
}
WITHOUT_INFRASTRUCTURE = {"web"}
SETTINGS_CLASSES = {
    "ingest": ["leadline.ingest.entrypoints.settings:IngestSettings"],
    "router": ["leadline.router.entrypoints.settings:RouterSettings"],
    "leads": ["leadline.leads.entrypoints.settings:LeadsSettings"],
    "history": ["leadline.history.entrypoints.settings:HistorySettings"],
    # web is being written on another branch: the first of these that exists is its settings class.
    "web": [
        "leadline.web.entrypoints.settings:WebSettings",
        "leadline.web.settings:WebSettings",
        "leadline.web.entrypoints.settings",
        "leadline.web.settings",
    ],
}


def settings_class(service: str) -> type[BaseSettings]:
    """The service's settings class; ``ModuleNotFoundError`` when the service's package is not installed."""
    importlib.import_module(f"leadline.{service}")
    for candidate in SETTINGS_CLASSES[service]:
        module_name, _, class_name = candidate.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        if class_name:
            if hasattr(module, class_name):
                return getattr(module, class_name)
            continue
        defined_here = [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseSettings) and value.__module__ == module.__name__
        ]
        if len(defined_here) == 1:
            return defined_here[0]
    raise LookupError(
        f"leadline.{service} is installed but none of {SETTINGS_CLASSES[service]} is its settings class: "
        "add its path to SETTINGS_CLASSES in tests/deploy/env_coverage.py"
    )


def required_settings(service: str, settings: type[BaseSettings]) -> list[tuple[str, ...]]:
    without_default = [(name.upper(),) for name, field in settings.model_fields.items() if field.is_required()]
    # web inherits the shared settings but owns no database, no topic and verifies no token (the services do)
    needs_infrastructure = "database_url" in settings.model_fields and service not in WITHOUT_INFRASTRUCTURE
    return [
        *without_default,
        *REQUIRED_EVERYWHERE,
        *(REQUIRED_WITH_BROKER_AND_DATABASE if needs_infrastructure else ()),
        *REQUIRED_BY_SERVICE[service],
    ]


def provided_env(container: dict, resources: list[dict]) -> Provided:
    config_maps = {r["metadata"]["name"]: r.get("data", {}) for r in resources if r["kind"] == "ConfigMap"}
    secrets = {
        r["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in r.get("data", {}).items()}
        for r in resources
        if r["kind"] == "Secret"
    }
    values: dict[str, object] = {}
    external: set[tuple[str, str]] = set()
    problems: list[str] = []
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]
            if ref["name"] in config_maps:
                values.update({prefix + k: v for k, v in config_maps[ref["name"]].items()})
            elif not ref.get("optional"):
                problems.append(f"envFrom ConfigMap {ref['name']} is not in the manifests")
        else:
            ref = source["secretRef"]
            if ref["name"] in secrets:
                values.update({prefix + k: v for k, v in secrets[ref["name"]].items()})
            else:
                problems.append(f"envFrom Secret {ref['name']}: its keys cannot be checked; use secretKeyRef")
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            values[name] = item["value"]
            continue
        source = item.get("valueFrom", {})
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            if ref["key"] in config_maps.get(ref["name"], {}):
                values[name] = config_maps[ref["name"]][ref["key"]]
            elif not ref.get("optional"):
                problems.append(f"{name}: ConfigMap {ref['name']} has no key {ref['key']}")
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            if ref["name"] in secrets:
                if ref["key"] in secrets[ref["name"]]:
                    values[name] = secrets[ref["name"]][ref["key"]]
                elif not ref.get("optional"):
                    problems.append(f"{name}: Secret {ref['name']} has no key {ref['key']}")
            elif not ref.get("optional"):
                values[name] = UNKNOWN
                external.add((ref["name"], ref["key"]))
        elif "fieldRef" in source or "resourceFieldRef" in source:
            values[name] = UNKNOWN
        else:
            problems.append(f"{name}: unsupported env source {sorted(source)}")
    return Provided(values, frozenset(external), tuple(problems))


def missing_settings(service: str, container: dict, resources: list[dict]) -> list[str]:
    """Every required setting the container is not given, and every dangling reference; empty when all is well."""
    provided = provided_env(container, resources)
    given = {name.upper() for name, value in provided.values.items() if value is UNKNOWN or value != ""}
    missing = [
        " or ".join(options)
        for options in required_settings(service, settings_class(service))
        if not given & set(options)
    ]
    return [*(f"missing {name}" for name in missing), *provided.problems]


def unknown_settings(service: str, container: dict, resources: list[dict], *, ignore: set[str]) -> list[str]:
    """Names given to the container that its settings class does not read (a typo is a setting silently unset)."""
    fields = {name.upper() for name in settings_class(service).model_fields}
    return sorted(name for name in provided_env(container, resources).values if name.upper() not in fields | ignore)


def settings_from(service: str, container: dict, resources: list[dict]) -> BaseSettings:
    """The service's settings built from the container's environment (unknown Secret values as placeholders)."""
    values = provided_env(container, resources).values
    settings = settings_class(service)
    known = {
        name.lower(): ("from-a-secret" if value is UNKNOWN else value)
        for name, value in values.items()
        if name.lower() in settings.model_fields
    }
    return settings(**known)

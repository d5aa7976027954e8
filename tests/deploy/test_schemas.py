"""Every rendered manifest is valid for the Kubernetes API (offline schemas from kubernetes-validate)."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.manifests import OVERLAYS, rendered

KUBERNETES_VERSION = "1.30.0"  # the oldest minor the manifests promise to work on
# Strimzi's CRDs are not in kubernetes-validate: the fields Strimzi's KafkaTopic v1beta2 defines that we use.
KAFKA_TOPIC_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
        "metadata": {
            "type": "object",
            "required": ["name", "labels"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253},
                "labels": {"type": "object", "required": ["strimzi.io/cluster"]},
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["topicName", "partitions", "replicas"],
            "properties": {
                "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]+$"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {"type": "object"},
            },
        },
    },
}

# The Prometheus Operator's CRDs (monitoring.coreos.com/v1) are not in kubernetes-validate either: the fields we use.
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "labels": _LABELS}}


def _prometheus_operator_resource(spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": "monitoring.coreos.com/v1"}, "metadata": _METADATA, "spec": spec},
    }


SERVICE_MONITOR_SCHEMA = _prometheus_operator_resource(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["selector", "endpoints"],
        "properties": {
            "selector": {"type": "object", "additionalProperties": False, "properties": {"matchLabels": _LABELS}},
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["port"],
                    "properties": {
                        "port": {"type": "string"},
                        "path": {"type": "string", "pattern": "^/"},
                        "interval": {"type": "string", "pattern": r"^\d+[smh]$"},
                        "scrapeTimeout": {"type": "string", "pattern": r"^\d+[smh]$"},
                    },
                },
            },
        },
    }
)
PROMETHEUS_RULE_SCHEMA = _prometheus_operator_resource(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["groups"],
        "properties": {
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "rules"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["expr"],
                                "properties": {
                                    "alert": {"type": "string"},
                                    "record": {"type": "string"},
                                    "expr": {"type": "string"},
                                    "for": {"type": "string", "pattern": r"^\d+[smh]$"},
                                    "labels": _LABELS,
                                    "annotations": _LABELS,
                                },
                            },
                        },
                    },
                },
            }
        },
    }
)


# ... and of Strimzi's KafkaUser v1beta2 (AclRule, KafkaUserTlsClientAuthentication, KafkaUserAuthorizationSimple).
_ACL_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["resource", "operations"],
    "properties": {
        "type": {"enum": ["allow", "deny"]},
        "host": {"type": "string"},
        "resource": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"enum": ["topic", "group", "cluster", "transactionalId"]},
                "name": {"type": "string", "minLength": 1},
                "patternType": {"enum": ["literal", "prefix"]},
            },
        },
        "operations": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "enum": [
                    "Read",
                    "Write",
                    "Create",
                    "Delete",
                    "Alter",
                    "Describe",
                    "ClusterAction",
                    "AlterConfigs",
                    "DescribeConfigs",
                    "IdempotentWrite",
                    "All",
                ]
            },
        },
    },
}
KAFKA_USER_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kafka.strimzi.io/v1beta2"},
        "metadata": KAFKA_TOPIC_SCHEMA["properties"]["metadata"],
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["authentication", "authorization"],
            "properties": {
                "authentication": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"enum": ["tls", "tls-external", "scram-sha-512"]}},
                },
                "authorization": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["type", "acls"],
                    "properties": {"type": {"const": "simple"}, "acls": {"type": "array", "items": _ACL_RULE}},
                },
            },
        },
    },
}
CUSTOM_RESOURCE_SCHEMAS = {
    "KafkaTopic": KAFKA_TOPIC_SCHEMA,
    "KafkaUser": KAFKA_USER_SCHEMA,
    "ServiceMonitor": SERVICE_MONITOR_SCHEMA,
    "PrometheusRule": PROMETHEUS_RULE_SCHEMA,
}


def validate(resource: dict) -> None:
    if resource["kind"] in CUSTOM_RESOURCE_SCHEMAS:
        jsonschema.validate(resource, CUSTOM_RESOURCE_SCHEMAS[resource["kind"]])
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_matches_its_schema(overlay: str) -> None:
    failures = []
    for resource in rendered(overlay):
        try:
            validate(resource)
        except (
            kubernetes_validate.ValidationError,
            kubernetes_validate.SchemaNotFoundError,
            jsonschema.ValidationError,
        ) as error:
            failures.append(f"{resource['kind']}/{resource['metadata']['name']}: {error}")
    assert failures == []


def test_a_misplaced_field_fails_validation() -> None:
    deployment = next(r for r in rendered("prod") if r["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)


def test_a_kafka_topic_with_a_dotted_resource_name_fails_validation() -> None:
    topic = next(r for r in rendered("prod") if r["kind"] == "KafkaTopic")
    topic["metadata"]["name"] = topic["spec"]["topicName"]
    with pytest.raises(jsonschema.ValidationError):
        validate(topic)


def test_a_service_monitor_with_a_misspelt_field_fails_validation() -> None:
    monitor = next(r for r in rendered("prod") if r["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["paht"] = "/metrics"
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor)


def test_a_kafka_user_with_a_misspelt_operation_fails_validation() -> None:
    user = next(r for r in rendered("prod") if r["kind"] == "KafkaUser")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reads"]
    with pytest.raises(jsonschema.ValidationError):
        validate(user)

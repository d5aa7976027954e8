"""The observability bundle in deploy/k8s: every server scraped, the runbook's alerts valid and unit-tested with
promtool, the dashboard's and the alerts' metrics all registered by the services, traces sent to a collector each
server may reach."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import prometheus_client
import pytest
import yaml

from tests.deploy.env_coverage import provided_env
from tests.deploy.manifests import OVERLAYS, REPO, WORKLOADS, named, of_kind, pod_labels, pod_spec, rendered, selects
from tests.deploy.test_network_policies import policies_for

RUNBOOK = REPO / "docs" / "runbook.md"
ALERT_UNIT_TESTS = Path(__file__).parent / "prometheus" / "alerts.test.yaml"
#: Importing these registers every metric the services expose (each service's wiring imports all its modules).
SERVICE_MODULES = (
    "leadline.ingest.bootstrap",
    "leadline.router.bootstrap",
    "leadline.leads.bootstrap",
    "leadline.history.bootstrap",
    "leadline.web.app",
)
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "inf",
    "nan",
}
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)"
)


def registered_metric_names() -> set[str]:
    """Every sample name the services can expose, labelled or not yet observed."""
    for module in SERVICE_MODULES:
        importlib.import_module(module)
    return {
        family.name + suffix
        for family in prometheus_client.REGISTRY.collect()
        for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))
    }


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label matchers, ranges, grouping
    clauses, function calls, numbers and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = {m.group(1) for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)\s*(\()?", text) if not m.group(2)}
    return {name for name in names if name.lower() not in PROMQL_WORDS}


def rule_groups(overlay: str = "prod") -> dict:
    rule = named(rendered(overlay), "PrometheusRule", "leadline")
    return rule["spec"]


def alert_rules() -> list[dict]:
    return [rule for group in rule_groups()["groups"] for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict:
    return json.loads(named(rendered("prod"), "ConfigMap", "leadline-dashboard")["data"]["leadline.json"])


def dashboard_expressions() -> list[str]:
    panels = [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]
    # Grafana's label_values(metric, label) lists a label's values: the metric is what it reads
    variables = [
        re.sub(r"^label_values\((.+),\s*\w+\)$", r"\1", v["definition"])
        for v in dashboard()["templating"]["list"]
        if v["type"] == "query"
    ]
    return panels + variables


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_server_is_scraped_on_its_metrics_endpoint(overlay: str) -> None:
    resources = rendered(overlay)
    monitors = of_kind(resources, "ServiceMonitor")
    for service in WORKLOADS:
        labels = named(resources, "Service", service)["metadata"]["labels"]
        ports = {port["name"] for port in named(resources, "Service", service)["spec"]["ports"]}
        scraping = [
            endpoint
            for monitor in monitors
            if selects(monitor["spec"]["selector"], labels)
            for endpoint in monitor["spec"]["endpoints"]
            if endpoint["port"] in ports
        ]
        assert [(e["port"], e["path"]) for e in scraping] == [("metrics", "/metrics")], f"{service}: once, apart"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_metrics_are_served_apart_from_the_port_the_ingress_reaches(overlay: str) -> None:
    """The Ingress sends the internet to the web gateway's (and ingest's) HTTP port: /metrics lives on METRICS_PORT,
    which only the monitoring namespace may reach, and the HTTP port is not open to it."""
    resources = rendered(overlay)
    shared = named(resources, "ConfigMap", "leadline-shared")["data"]
    assert shared["METRICS_PORT"] == "9100" and shared["HTTP_PORT"] == "8000"
    for ingress in of_kind(resources, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["port"] == {"name": "http"}
    for service in WORKLOADS:
        policy = named(resources, "NetworkPolicy", service)
        for rule in policy["spec"]["ingress"]:
            from_monitoring = any(
                peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                == "monitoring"
                for peer in rule["from"]
            )
            ports = {port["port"] for port in rule["ports"]}
            assert ports == ({9100} if from_monitoring else {8000}), f"{service}: {rule}"


def test_a_metric_name_is_found_in_an_expression_and_nothing_else_is() -> None:
    expression = (
        'sum by (namespace, consumer) (rate(leadline_events_consumed_total{route="/a{b}", x=~"5.."}[5m]))'
        " > 0 unless on (namespace) histogram_quantile(0.95, leadline_x_bucket) and inf"
    )
    assert metric_names(expression) == {"leadline_events_consumed_total", "leadline_x_bucket"}


def test_every_metric_the_alerts_and_the_dashboard_read_is_one_the_services_register() -> None:
    registered = registered_metric_names()
    assert {"leadline_ingest_whatsapp_sends_total", "leadline_outbox_unpublished_events"} <= registered
    expressions = [rule["expr"] for rule in alert_rules()] + dashboard_expressions()
    unknown = {name: expression for expression in expressions for name in metric_names(expression) - registered}
    assert unknown == {}
    assert all(metric_names(expression) for expression in expressions), "every expression reads a metric"


def test_the_http_routes_the_dashboard_reads_are_the_routers() -> None:
    from leadline.router.bootstrap import build
    from leadline.router.entrypoints.settings import RouterSettings

    paths = set(build(RouterSettings()).openapi()["paths"])
    used = {route for expression in dashboard_expressions() for route in re.findall(r'route="([^"]+)"', expression)}
    assert used and used <= paths


def test_every_alert_names_a_section_of_the_runbook_and_a_severity() -> None:
    anchors = {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^## (.+)$", RUNBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE)
    }
    for rule in alert_rules():
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert (page, anchor in anchors) == ("docs/runbook.md", True), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
    named_alerts = {rule["alert"] for rule in alert_rules()}
    assert {
        "LeadlineConsumerLagGrowing",
        "LeadlineEventsDeadLettered",
        "LeadlineWebhookSignaturesAllFailing",
        "LeadlineOutboxBacklog",
        "LeadlinePoolWaitExceeded",
        "LeadlineWhatsAppUnreachable",
    } <= named_alerts


def test_the_dashboard_shows_what_an_operator_looks_at_first() -> None:
    board = dashboard()
    configmap = named(rendered("prod"), "ConfigMap", "leadline-dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    titles = [panel["title"] for panel in board["panels"]]
    for wanted in (
        "Webhooks per second",
        "Webhook → pool latency",
        "Consumer lag",
        "Claims per second, by answer",
        "WhatsApp sends per second, by outcome",
        "Errors per second",
    ):
        assert wanted in titles
    assert len({panel["id"] for panel in board["panels"]}) == len(titles)


@needs_promtool
def test_the_alert_rules_pass_promtool_check(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups()))
    checked = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in checked.stdout


@needs_promtool
def test_the_main_alerts_fire_when_they_should_and_only_then(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups()))
    unit_tests = yaml.safe_load(ALERT_UNIT_TESTS.read_text(encoding="utf-8"))
    tested = {case["alertname"] for test in unit_tests["tests"] for case in test["alert_rule_test"]}
    (tmp_path / "alerts.test.yaml").write_text(yaml.safe_dump({**unit_tests, "rule_files": ["rules.yaml"]}))
    result = promtool("test", "rules", "alerts.test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tested == {rule["alert"] for rule in alert_rules()}, "every alert has a unit test"


@needs_promtool
def test_promtool_fails_a_unit_test_whose_alert_does_not_fire(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups()))
    unit_tests = yaml.safe_load(ALERT_UNIT_TESTS.read_text(encoding="utf-8"))
    first = unit_tests["tests"][0]
    never = {**first, "alert_rule_test": [{**first["alert_rule_test"][0], "exp_alerts": [{"exp_labels": {"x": "y"}}]}]}
    (tmp_path / "alerts.test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": [never]}))
    assert promtool("test", "rules", "alerts.test.yaml", cwd=tmp_path).returncode != 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_server_sends_its_traces_to_a_collector_its_network_policy_lets_it_reach(overlay: str) -> None:
    resources = rendered(overlay)
    for service in WORKLOADS:
        deployment = named(resources, "Deployment", service)
        endpoint = provided_env(pod_spec(deployment)["containers"][0], resources).values["OTEL_EXPORTER_OTLP_ENDPOINT"]
        port = urlsplit(endpoint).port
        collector = [
            peer
            for policy in policies_for(resources, deployment)
            for rule in policy["spec"].get("egress", [])
            if {"protocol": "TCP", "port": port} in rule["ports"]
            for peer in rule.get("to", [])
        ]
        assert collector, f"{service} may not reach {endpoint}"
        namespace = urlsplit(endpoint).hostname.split(".")[1]
        assert all(
            peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": namespace} for peer in collector
        ), f"{service}'s egress on {port} is to the collector's namespace only"
        assert pod_labels(deployment)["app.kubernetes.io/component"] == "server"

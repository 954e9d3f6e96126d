"""The Grafana dashboard charts what `/metrics` exports, and compose provisions it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from configs.settings import REPO_ROOT
from tests.support import new_config, turn_body

pytestmark = pytest.mark.integration

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "memoria.json"
# A histogram's samples; a counter's family is named with its `_total` (this client's way).
SAMPLE_SUFFIXES = ("_bucket", "_count", "_sum")


def queried_metrics() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    return {name for expr in exprs for name in re.findall(r"\bmemoria_[a-z_]+", expr)}


def family(sample: str) -> str:
    for suffix in SAMPLE_SUFFIXES:
        if sample.endswith(suffix):
            return sample.removesuffix(suffix)
    return sample


async def test_every_metric_the_dashboard_queries_is_exported(client):
    response = await client.post("/agent/invoke", json=turn_body("hello!", new_config()))
    assert response.status_code == 200
    exported = (await client.get("/metrics")).text
    families = set(re.findall(r"^# TYPE (\S+) ", exported, re.MULTILINE))
    queried = queried_metrics()
    assert {"memoria_node_ms_bucket", "memoria_strategy_total"} <= queried
    assert {name for name in queried if family(name) not in families} == set()
    # The turn's nodes were timed, each by name, and its answer counted.
    for node in ("router", "generate", "persist"):
        assert re.search(rf'^memoria_node_ms_count{{node="{node}"}} [1-9]', exported, re.M), node
    assert re.search(r'^memoria_http_responses_total{status="2xx"} [1-9]', exported, re.M)


def test_compose_provisions_prometheus_and_the_dashboard():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    mounted = [
        volume.split(":")[0]
        for name in ("prometheus", "grafana")
        for volume in compose["services"][name]["volumes"]
    ]
    assert all((REPO_ROOT / Path(path)).exists() for path in mounted), mounted
    assert "./deploy/grafana/dashboards" in mounted
    datasource = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"][0]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert {p["datasource"]["uid"] for p in panels} == {datasource["uid"]}

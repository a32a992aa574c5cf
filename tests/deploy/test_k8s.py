"""Structural checks of the Kubernetes manifests in ``deploy/k8s``; no cluster needed.

The manifests run the four services (two replicas or more each, alerting one — see
docs/scaling.md — every replica a member of its service's consumer groups), one
PostgreSQL per service and a three-node
KRaft Kafka whose topics a Job creates. These tests read the YAML and check that it
agrees with itself and with the code (``shared.settings``, ``shared.contracts.topics``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from shared.contracts.topics import TOPICS
from shared.settings import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
NAMESPACE = "airwarn"
APP_IMAGE = "airwarn:latest"
HTTP_PORT = 8000
CONFIG_MAP = "airwarn-config"

Manifest = dict[str, Any]


# -- helpers -------------------------------------------------------------------


def _load_all() -> list[tuple[str, Manifest]]:
    assert K8S_DIR.is_dir(), f"{K8S_DIR} is missing"
    loaded = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path == KUSTOMIZATION:
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is None:
                continue
            assert isinstance(doc, dict), f"{path.name}: every document must be a mapping"
            loaded.append((path.name, doc))
    assert loaded, f"no manifests in {K8S_DIR}"
    return loaded


@pytest.fixture(scope="module")
def manifests() -> list[tuple[str, Manifest]]:
    return _load_all()


def _find(manifests: list[tuple[str, Manifest]], kind: str, name: str) -> Manifest:
    found = [m for _f, m in manifests if m.get("kind") == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def _of_kind(manifests: list[tuple[str, Manifest]], kind: str) -> list[Manifest]:
    return [m for _f, m in manifests if m.get("kind") == kind]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _container(workload: Manifest, name: str) -> dict[str, Any]:
    containers = {c["name"]: c for c in _pod_spec(workload)["containers"]}
    assert name in containers, f"{workload['metadata']['name']}: no container {name!r}"
    return containers[name]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env") or []}


def _probe_port(container: dict[str, Any], probe: dict[str, Any]) -> int:
    port = probe["httpGet"]["port"]
    if isinstance(port, str):
        named = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
        assert port in named, f"probe port {port!r} names no container port"
        port = named[port]
    return int(port)


def _config_data(manifests: list[tuple[str, Manifest]], name: str) -> dict[str, str]:
    return _find(manifests, "ConfigMap", name).get("data") or {}


# -- every manifest ------------------------------------------------------------


def test_every_manifest_is_named_and_namespaced(manifests: list[tuple[str, Manifest]]) -> None:
    for file, manifest in manifests:
        for key in ("apiVersion", "kind", "metadata"):
            assert manifest.get(key), f"{file}: a document lacks {key}"
        name = manifest["metadata"].get("name")
        assert name, f"{file}: a {manifest['kind']} has no metadata.name"
        if manifest["kind"] == "Namespace":
            assert name == NAMESPACE, f"{file}: the namespace should be {NAMESPACE!r}"
        else:
            assert manifest["metadata"].get("namespace") == NAMESPACE, (
                f"{file}: {manifest['kind']} {name!r} is not in namespace {NAMESPACE!r}"
            )


def test_names_are_unique_per_kind(manifests: list[tuple[str, Manifest]]) -> None:
    keys = [(m["kind"], m["metadata"]["name"]) for _f, m in manifests]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"duplicate manifests: {duplicates}"


def test_kustomization_lists_every_file() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    assert kustomization.get("kind") == "Kustomization"
    assert kustomization.get("namespace") == NAMESPACE
    listed = kustomization.get("resources") or []
    present = sorted(p.name for p in K8S_DIR.glob("*.yaml") if p != KUSTOMIZATION)
    assert sorted(listed) == present, f"kustomization lists {sorted(listed)}, files are {present}"


def test_deployments_are_exactly_the_services(manifests: list[tuple[str, Manifest]]) -> None:
    names = sorted(m["metadata"]["name"] for m in _of_kind(manifests, "Deployment"))
    assert names == sorted(SERVICE_NAMES), f"Deployments {names} differ from {SERVICE_NAMES}"


def test_config_map_talks_kafka(manifests: list[tuple[str, Manifest]]) -> None:
    data = _config_data(manifests, CONFIG_MAP)
    assert data.get("AIRWARN_BUS") == "kafka"
    assert data.get("AIRWARN_HTTP_HOST") == "0.0.0.0"
    assert int(data.get("AIRWARN_HTTP_PORT", "0")) == HTTP_PORT
    assert data.get("AIRWARN_TOKENS_FILE", "").startswith("/"), "AIRWARN_TOKENS_FILE: a path"
    assert int(data.get("AIRWARN_KAFKA_PARTITIONS", "0")) >= 2


# -- the four services ---------------------------------------------------------


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_deployment(manifests: list[tuple[str, Manifest]], name: str) -> None:
    deployment = _find(manifests, "Deployment", name)
    replicas = deployment["spec"].get("replicas", 1)
    if name == "alerting":  # one decides regions until they are keyed by region (docs/scaling.md)
        assert replicas == 1, "alerting: one replica, the safe default for derived regions"
    else:
        assert replicas >= 2, f"{name}: run at least two replicas"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], labels)
    container = _container(deployment, name)
    assert container["image"] == APP_IMAGE
    assert container.get("args") == ["serve", name], f"{name}: args {container.get('args')}"
    assert "command" not in container, f"{name}: keep the image's ENTRYPOINT (airwarn)"
    ports = [p["containerPort"] for p in container.get("ports") or []]
    assert HTTP_PORT in ports, f"{name}: container port {HTTP_PORT} missing ({ports})"
    for probe_name, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        probe = container.get(probe_name)
        assert probe, f"{name}: no {probe_name}"
        assert probe["httpGet"]["path"] == path, f"{name}: {probe_name} should query {path}"
        assert _probe_port(container, probe) == HTTP_PORT, f"{name}: {probe_name} port"
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        assert resources.get(part, {}).get("memory"), f"{name}: no memory {part}"
    assert resources["requests"].get("cpu"), f"{name}: no cpu request"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_runs_as_non_root(manifests: list[tuple[str, Manifest]], name: str) -> None:
    deployment = _find(manifests, "Deployment", name)
    pod = _pod_spec(deployment).get("securityContext") or {}
    container = _container(deployment, name).get("securityContext") or {}
    assert pod.get("runAsNonRoot") or container.get("runAsNonRoot"), f"{name}: runAsNonRoot"
    assert (container.get("runAsUser") or pod.get("runAsUser")) not in (None, 0)
    assert container.get("allowPrivilegeEscalation") is False


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_settings(manifests: list[tuple[str, Manifest]], name: str) -> None:
    deployment = _find(manifests, "Deployment", name)
    container = _container(deployment, name)
    sources = [s.get("configMapRef", {}).get("name") for s in container.get("envFrom") or []]
    assert CONFIG_MAP in sources, f"{name}: env should come from the {CONFIG_MAP} ConfigMap"
    env = _env(container)
    assert "AIRWARN_BUS" not in env, f"{name}: AIRWARN_BUS belongs in the ConfigMap"
    template = env.get("AIRWARN_DATABASE_URL", {}).get("value", "")
    assert template.startswith("postgresql+asyncpg://"), f"{name}: database URL {template!r}"
    url = urlsplit(template.replace("{service}", name))
    own = f"postgres-{name}"
    assert url.hostname == own, f"{name}: database host {url.hostname!r}, expected {own!r}"
    assert url.path.lstrip("/") == f"airwarn_{name}", f"{name}: database {url.path!r}"
    _find(manifests, "Service", own)
    password = url.password or ""
    if password.startswith("$("):
        variable = password[2:].rstrip(")")
        assert variable in env, f"{name}: the URL uses $({variable}), which is not set"
        assert "secretKeyRef" in env[variable].get("valueFrom", {}), f"{name}: from a Secret"
    tokens = _config_data(manifests, CONFIG_MAP)["AIRWARN_TOKENS_FILE"]
    mounts = [m["mountPath"] for m in container.get("volumeMounts") or []]
    assert any(tokens.startswith(m.rstrip("/") + "/") for m in mounts), (
        f"{name}: nothing is mounted where AIRWARN_TOKENS_FILE ({tokens}) points"
    )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_and_disruption_budget_select_its_pods(
    manifests: list[tuple[str, Manifest]], name: str
) -> None:
    deployment = _find(manifests, "Deployment", name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _find(manifests, "Service", name)
    assert _selects(service["spec"]["selector"], labels), f"{name}: Service selects other pods"
    ports = service["spec"]["ports"]
    assert any(p["port"] == 80 and p.get("targetPort") in (HTTP_PORT, "http") for p in ports)
    budget = _find(manifests, "PodDisruptionBudget", name)
    assert _selects(budget["spec"]["selector"]["matchLabels"], labels)
    others = [
        d["metadata"]["name"]
        for d in _of_kind(manifests, "Deployment")
        if d["metadata"]["name"] != name
        and _selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
    ]
    assert not others, f"{name}: the Service also selects {others}"


# -- PostgreSQL and Kafka --------------------------------------------------------


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_postgres_per_service(manifests: list[tuple[str, Manifest]], name: str) -> None:
    statefulset = _find(manifests, "StatefulSet", f"postgres-{name}")
    container = _container(statefulset, "postgres")
    image = container["image"]
    assert image.split(":")[0] == "postgres" and image.split(":")[1] == "16", image
    env = _env(container)
    assert env["POSTGRES_DB"]["value"] == f"airwarn_{name}"
    assert "secretKeyRef" in env["POSTGRES_PASSWORD"]["valueFrom"]
    assert statefulset["spec"].get("volumeClaimTemplates"), f"postgres-{name}: no volume"
    service = _find(manifests, "Service", f"postgres-{name}")
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert _selects(service["spec"]["selector"], labels)


def test_kafka_is_three_kraft_nodes(manifests: list[tuple[str, Manifest]]) -> None:
    kafka = _find(manifests, "StatefulSet", "kafka")
    assert kafka["spec"]["replicas"] == 3
    headless = _find(manifests, "Service", kafka["spec"]["serviceName"])
    assert headless["spec"].get("clusterIP") == "None"
    container = _container(kafka, "kafka")
    image = container["image"]
    assert image.startswith("apache/kafka:") and not image.endswith(":latest"), image
    env = {key: item.get("value") for key, item in _env(container).items()}
    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert len(voters) == 3, f"three controller voters, got {voters}"
    bootstrap = _config_data(manifests, CONFIG_MAP)["AIRWARN_KAFKA_BOOTSTRAP"].split(",")
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    expected = [advertised.replace("$(POD_NAME)", f"kafka-{i}") for i in range(3)]
    assert sorted(bootstrap) == sorted(expected), f"bootstrap {bootstrap} vs {expected}"


def test_topics_job_creates_every_topic_and_dlq(manifests: list[tuple[str, Manifest]]) -> None:
    wanted = {n for topic in TOPICS.values() for n in (topic.name, topic.dlq)}
    topics = _config_data(manifests, "kafka-topics")
    assert set(topics["topics"].split()) == wanted, "the kafka-topics list differs from TOPICS"
    assert topics["replication-factor"] == "3"
    job = _find(manifests, "Job", "kafka-topics")
    container = _pod_spec(job)["containers"][0]
    script = " ".join(container.get("command") or []) + " ".join(container.get("args") or [])
    for flag in ("--create", "--if-not-exists", "--partitions", "--replication-factor"):
        assert flag in script, f"the topics job does not pass {flag}"
    refs = {
        key: item["valueFrom"]["configMapKeyRef"]
        for key, item in _env(container).items()
        if "configMapKeyRef" in item.get("valueFrom", {})
    }
    assert refs["TOPICS"] == {"name": "kafka-topics", "key": "topics"}
    assert refs["AIRWARN_KAFKA_PARTITIONS"]["name"] == CONFIG_MAP


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_waits_for_the_topics(manifests: list[tuple[str, Manifest]], name: str) -> None:
    """Else the service would create missing topics itself, with replication factor 1."""
    init = _pod_spec(_find(manifests, "Deployment", name)).get("initContainers") or []
    waits = [c for c in init if "configMapKeyRef" in _env(c).get("TOPICS", {}).get("valueFrom", {})]
    assert waits, f"{name}: no init container waits for the kafka-topics list"

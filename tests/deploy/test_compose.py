"""Structural checks of the container deployment; no Docker engine needed.

``docker-compose.yml`` runs Kafka, PostgreSQL and the four services from the one
image of ``deploy/Dockerfile``; ``deploy/postgres-init/`` creates the services'
databases. These tests read those files and check that they agree with each
other and with the code (``shared.settings``).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from shared.settings import SERVICE_NAMES, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INFRA_SERVICES = ("kafka", "postgres")
#: runs once before the services: `airwarn topics ensure` (issue 12 item 10)
TOPICS_JOB = "kafka-topics"
ALL_SERVICES = (*INFRA_SERVICES, *SERVICE_NAMES)
INIT_DIR_IN_CONTAINER = "/docker-entrypoint-initdb.d"
APP_ENV_KEYS = (
    "AIRWARN_BUS",
    "AIRWARN_KAFKA_BOOTSTRAP",
    "AIRWARN_DATABASE_URL",
    "AIRWARN_HTTP_HOST",
    "AIRWARN_HTTP_PORT",
)


# -- helpers -------------------------------------------------------------------


def _load_compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping at the top level"
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose.get("services")
    assert isinstance(services, dict), "docker-compose.yml has no `services:` mapping"
    return services


def _service(services: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    assert name in services, f"service {name!r} is missing from docker-compose.yml"
    service = services[name]
    assert isinstance(service, dict), f"service {name!r} must be a mapping"
    return service


def _environment(service: dict[str, Any], name: str) -> dict[str, str]:
    """The service's environment as a dict of strings (compose allows a map or a list)."""
    env = service.get("environment")
    assert env, f"service {name!r} has no environment"
    if isinstance(env, list):
        pairs = (str(item).split("=", 1) for item in env)
        return {key: value for key, value in (p if len(p) == 2 else (p[0], "") for p in pairs)}
    assert isinstance(env, dict), f"service {name!r}: environment must be a map or a list"
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command or []]


def _ports(service: dict[str, Any], name: str) -> list[tuple[str, int, int]]:
    """(host_ip, published, target) for each port of the service."""
    result = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            host_ip = str(port.get("host_ip", ""))
            published, target = int(port["published"]), int(port["target"])
        else:
            spec = str(port).split("/", 1)[0]
            parts = spec.rsplit(":", 2)
            assert len(parts) == 3, (
                f"service {name!r}: port {port!r} must be HOST_IP:HOST_PORT:CONTAINER_PORT"
            )
            host_ip, published, target = parts[0], int(parts[1]), int(parts[2])
        result.append((host_ip, published, target))
    return result


def _image_tag(image: str) -> str | None:
    """The tag of an image reference (None if it has none); a digest counts as a pin."""
    if "@sha256:" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _database_url_for(url_template: str, service: str) -> str:
    """The URL the service really uses: the project's own ``{service}`` substitution."""
    return Settings(database_url=url_template).database_url_for(service)


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    assert DOCKERFILE.is_file(), f"{DOCKERFILE} is missing"
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "deploy/Dockerfile has no FROM"
    return instructions[starts[-1] :]


def _exec_form(args: str, what: str) -> list[str]:
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        pytest.fail(f"deploy/Dockerfile: {what} must use the exec (JSON array) form, got {args!r}")
    assert isinstance(value, list), f"deploy/Dockerfile: {what} must be a JSON array"
    return [str(v) for v in value]


# -- the services --------------------------------------------------------------


def test_compose_uses_the_compose_spec_without_version(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "the compose spec has no `version:` key; drop it"


def test_the_six_services_exist(services: dict[str, dict[str, Any]]) -> None:
    missing = sorted(set(ALL_SERVICES) - set(services))
    assert not missing, f"docker-compose.yml lacks service(s): {', '.join(missing)}"


def test_app_services_match_the_code(services: dict[str, dict[str, Any]]) -> None:
    app_services = set(services) - set(INFRA_SERVICES) - {TOPICS_JOB}
    assert app_services == set(SERVICE_NAMES), (
        f"compose app services {sorted(app_services)} differ from "
        f"shared.settings.SERVICE_NAMES {sorted(SERVICE_NAMES)}"
    )


@pytest.mark.parametrize(
    ("name", "repository"), [("kafka", "apache/kafka"), ("postgres", "postgres")]
)
def test_infrastructure_images_are_pinned(
    services: dict[str, dict[str, Any]], name: str, repository: str
) -> None:
    image = str(_service(services, name).get("image", ""))
    assert image.split(":", 1)[0].split("@", 1)[0] == repository, (
        f"service {name!r} should run the {repository} image, got {image!r}"
    )
    tag = _image_tag(image)
    assert tag, f"service {name!r}: image {image!r} has no tag; pin one"
    assert tag != "latest", f"service {name!r}: image {image!r} must not float on `latest`"


@pytest.mark.parametrize("name", ALL_SERVICES)
def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]], name: str) -> None:
    healthcheck = _service(services, name).get("healthcheck")
    assert isinstance(healthcheck, dict), f"service {name!r} has no healthcheck"
    assert not healthcheck.get("disable"), f"service {name!r}: healthcheck is disabled"
    test = healthcheck.get("test")
    assert test, f"service {name!r}: healthcheck has no `test` command"
    if isinstance(test, list):
        assert test[0] in {"CMD", "CMD-SHELL"}, (
            f"service {name!r}: healthcheck test must start with CMD or CMD-SHELL, got {test[0]!r}"
        )
        assert len(test) > 1, f"service {name!r}: healthcheck test names no command"


def test_kafka_is_a_single_kraft_node(services: dict[str, dict[str, Any]]) -> None:
    env = _environment(_service(services, "kafka"), "kafka")
    expected = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    }
    for key, value in expected.items():
        assert env.get(key) == value, f"kafka: {key} should be {value!r}, got {env.get(key)!r}"
    roles = set(env.get("KAFKA_PROCESS_ROLES", "").split(","))
    assert roles == {"broker", "controller"}, f"kafka: KAFKA_PROCESS_ROLES is {roles}"
    listeners = env.get("KAFKA_LISTENERS", "")
    assert "PLAINTEXT://" in listeners, "kafka: KAFKA_LISTENERS lacks the PLAINTEXT listener"
    assert "CONTROLLER://" in listeners, "kafka: KAFKA_LISTENERS lacks the CONTROLLER listener"
    healthcheck = " ".join(map(str, _service(services, "kafka")["healthcheck"]["test"]))
    assert "kafka-broker-api-versions.sh" in healthcheck, (
        "kafka: the healthcheck should ask the broker for its API versions"
    )


@pytest.mark.parametrize("name", INFRA_SERVICES)
def test_infrastructure_keeps_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], name: str
) -> None:
    declared = set(compose.get("volumes") or {})
    sources = set()
    for volume in _service(services, name).get("volumes") or []:
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
        sources.add(source)
    assert sources & declared, (
        f"service {name!r} mounts no named volume (declared at the top level: {sorted(declared)})"
    )


# -- the four app services -----------------------------------------------------


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_builds_from_the_dockerfile(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    build = _service(services, name).get("build")
    assert isinstance(build, dict), f"service {name!r} has no `build:` mapping"
    context = ROOT / str(build.get("context", "."))
    dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
    assert dockerfile.resolve() == DOCKERFILE.resolve(), (
        f"service {name!r} builds from {dockerfile}, expected {DOCKERFILE}"
    )
    assert dockerfile.is_file(), f"service {name!r}: {dockerfile} does not exist"


def test_app_services_share_one_image(services: dict[str, dict[str, Any]]) -> None:
    images = {name: _service(services, name).get("image") for name in SERVICE_NAMES}
    assert all(images.values()), f"every app service needs an `image:` name, got {images}"
    assert len(set(images.values())) == 1, f"the app services should share one image: {images}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_serves_itself(services: dict[str, dict[str, Any]], name: str) -> None:
    command = _command(_service(services, name))
    assert command == ["serve", name], (
        f"service {name!r} should run `serve {name}`, runs {' '.join(command)!r}"
    )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_talks_to_kafka(services: dict[str, dict[str, Any]], name: str) -> None:
    env = _environment(_service(services, name), name)
    assert env.get("AIRWARN_BUS") == "kafka", f"service {name!r}: AIRWARN_BUS must be kafka"
    bootstrap = env.get("AIRWARN_KAFKA_BOOTSTRAP", "")
    hosts = [server.rsplit(":", 1)[0] for server in bootstrap.split(",") if server]
    assert "kafka" in hosts, (
        f"service {name!r}: AIRWARN_KAFKA_BOOTSTRAP {bootstrap!r} does not name the kafka service"
    )
    advertised = _environment(_service(services, "kafka"), "kafka")["KAFKA_ADVERTISED_LISTENERS"]
    for server in bootstrap.split(","):
        assert server in advertised, (
            f"service {name!r}: bootstrap server {server!r} is not a listener Kafka advertises "
            f"({advertised!r})"
        )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_talks_to_postgres(services: dict[str, dict[str, Any]], name: str) -> None:
    env = _environment(_service(services, name), name)
    template = env.get("AIRWARN_DATABASE_URL", "")
    assert template.startswith("postgresql+asyncpg://"), (
        f"service {name!r}: AIRWARN_DATABASE_URL must be postgresql+asyncpg://, got {template!r}"
    )
    url = urlsplit(_database_url_for(template, name))
    assert url.hostname == "postgres", (
        f"service {name!r}: AIRWARN_DATABASE_URL host is {url.hostname!r}, not the postgres service"
    )
    pg_env = _environment(_service(services, "postgres"), "postgres")
    assert url.username == pg_env.get("POSTGRES_USER"), (
        f"service {name!r}: database user {url.username!r} is not POSTGRES_USER"
    )
    assert url.password == pg_env.get("POSTGRES_PASSWORD"), (
        f"service {name!r}: database password differs from POSTGRES_PASSWORD"
    )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_waits_for_healthy_infrastructure(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends_on = _service(services, name).get("depends_on")
    assert isinstance(depends_on, dict), (
        f"service {name!r}: depends_on must be a mapping with conditions, got {depends_on!r}"
    )
    for dependency in INFRA_SERVICES:
        condition = (depends_on.get(dependency) or {}).get("condition")
        assert condition == "service_healthy", (
            f"service {name!r} must depend on {dependency!r} with condition service_healthy, "
            f"got {condition!r}"
        )


def test_topics_are_declared_by_a_job_not_auto_created(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka_env = _service(services, "kafka").get("environment", {})
    assert str(kafka_env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).lower() == "false"
    job = _service(services, TOPICS_JOB)
    assert job.get("command") == ["topics", "ensure"]
    assert job.get("restart") == "no", "a one-shot job must not be restarted"
    assert job["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert job["environment"]["AIRWARN_KAFKA_PARTITIONS"]
    for name in SERVICE_NAMES:
        waits = _service(services, name)["depends_on"].get(TOPICS_JOB) or {}
        assert waits.get("condition") == "service_completed_successfully", name


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_app_service_http(services: dict[str, dict[str, Any]], name: str) -> None:
    service = _service(services, name)
    env = _environment(service, name)
    assert env.get("AIRWARN_HTTP_HOST") == "0.0.0.0", (
        f"service {name!r}: AIRWARN_HTTP_HOST must be 0.0.0.0 to be reachable from outside"
    )
    port = int(env.get("AIRWARN_HTTP_PORT", "8000"))
    ports = _ports(service, name)
    assert ports, f"service {name!r} publishes no port"
    for host_ip, _published, target in ports:
        assert host_ip == "127.0.0.1", (
            f"service {name!r}: publish on 127.0.0.1 only, not {host_ip or 'all interfaces'!r}"
        )
        assert target == port, f"service {name!r}: container port {target} is not {port}"
    readiness = " ".join(map(str, service["healthcheck"]["test"]))
    assert f":{port}/readyz" in readiness, (
        f"service {name!r}: the healthcheck should query /readyz on port {port}"
    )
    assert service.get("restart") == "unless-stopped", (
        f"service {name!r}: restart should be unless-stopped, got {service.get('restart')!r}"
    )


def test_app_services_publish_distinct_host_ports(services: dict[str, dict[str, Any]]) -> None:
    published = {
        name: [p for _ip, p, _t in _ports(_service(services, name), name)] for name in SERVICE_NAMES
    }
    flat = [port for ports in published.values() for port in ports]
    assert len(flat) == len(set(flat)), f"host ports collide: {published}"


def test_shared_parts_are_resolved_per_service(services: dict[str, dict[str, Any]]) -> None:
    """The YAML anchors and merge keys expand: each service has its own full settings."""
    key_sets = {}
    for name in SERVICE_NAMES:
        service = _service(services, name)
        assert "<<" not in service, f"service {name!r}: unresolved YAML merge key"
        env = _environment(service, name)
        assert "<<" not in env, f"service {name!r}: unresolved YAML merge key in environment"
        missing = [key for key in APP_ENV_KEYS if not env.get(key)]
        assert not missing, f"service {name!r}: environment lacks {', '.join(missing)}"
        for key in ("build", "healthcheck", "depends_on", "restart", "image"):
            assert key in service, f"service {name!r}: the shared {key!r} did not reach it"
        key_sets[name] = frozenset(env)
    assert len(set(key_sets.values())) == 1, (
        f"the app services' environments have different keys: {key_sets}"
    )


# -- the database init script --------------------------------------------------


def test_postgres_init_creates_each_service_database(services: dict[str, dict[str, Any]]) -> None:
    postgres = _service(services, "postgres")
    init_dir = None
    for volume in postgres.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = volume.get("source"), volume.get("target")
        else:
            source, target, *_ = [*str(volume).split(":"), ""]
        if target == INIT_DIR_IN_CONTAINER:
            init_dir = (ROOT / str(source)).resolve()
    assert init_dir is not None, f"postgres: nothing is mounted on {INIT_DIR_IN_CONTAINER}"
    assert init_dir.is_dir(), f"postgres: init folder {init_dir} does not exist"
    scripts = sorted([*init_dir.glob("*.sql"), *init_dir.glob("*.sh")])
    assert scripts, f"postgres: no .sql or .sh script in {init_dir}"
    text = "\n".join(script.read_text(encoding="utf-8") for script in scripts)

    databases = set()
    for name in SERVICE_NAMES:
        template = _environment(_service(services, name), name)["AIRWARN_DATABASE_URL"]
        database = urlsplit(_database_url_for(template, name)).path.lstrip("/")
        assert database, f"service {name!r}: AIRWARN_DATABASE_URL names no database"
        databases.add(database)
        created = re.search(
            rf'CREATE\s+DATABASE\s+"?{re.escape(database)}"?(\s|;|$)', text, re.IGNORECASE
        )
        assert created, f"postgres init scripts do not create database {database!r} ({name})"
    assert len(databases) == len(SERVICE_NAMES), (
        f"the services must get one database each, the URLs give {sorted(databases)}"
    )


# -- the image -----------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_python_311() -> None:
    bases = [args for keyword, args in _dockerfile_instructions() if keyword == "FROM"]
    assert len(bases) >= 2, "deploy/Dockerfile should have a builder and a runtime stage"
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "python:3.11" in text, "deploy/Dockerfile should build on python:3.11"


def test_dockerfile_entrypoint_is_airwarn() -> None:
    entrypoints = [args for keyword, args in _final_stage() if keyword == "ENTRYPOINT"]
    assert entrypoints, "deploy/Dockerfile: the runtime stage has no ENTRYPOINT"
    assert _exec_form(entrypoints[-1], "ENTRYPOINT") == ["airwarn"], (
        f'deploy/Dockerfile: ENTRYPOINT should be ["airwarn"], got {entrypoints[-1]}'
    )
    commands = [args for keyword, args in _final_stage() if keyword == "CMD"]
    assert commands, "deploy/Dockerfile: the runtime stage has no default CMD"
    command = _exec_form(commands[-1], "CMD")
    assert command[:1] == ["serve"], f"deploy/Dockerfile: CMD should be `serve ...`: {command}"
    assert len(command) == 2, f"deploy/Dockerfile: CMD should be `serve SERVICE`: {command}"
    assert command[1] in SERVICE_NAMES, (
        f"deploy/Dockerfile: CMD serves an unknown service: {command}"
    )


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users, "deploy/Dockerfile: the runtime stage sets no USER (it would run as root)"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0"}, f"deploy/Dockerfile: USER must not be root, got {user!r}"


def test_dockerfile_has_a_healthcheck() -> None:
    checks = [args for keyword, args in _final_stage() if keyword == "HEALTHCHECK"]
    assert checks, "deploy/Dockerfile: the runtime stage has no HEALTHCHECK"
    assert "/healthz" in checks[-1], "deploy/Dockerfile: HEALTHCHECK should query /healthz"
    assert "curl" not in checks[-1], "deploy/Dockerfile: python:slim has no curl; use python"


def test_dockerfile_listens_on_all_interfaces() -> None:
    stage = _final_stage()
    exposed = " ".join(args for keyword, args in stage if keyword == "EXPOSE").split()
    assert "8000" in exposed, f"deploy/Dockerfile: EXPOSE 8000 missing (got {exposed})"
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert re.search(r"\bAIRWARN_HTTP_HOST=0\.0\.0\.0\b", env), (
        "deploy/Dockerfile: set AIRWARN_HTTP_HOST=0.0.0.0 (the default 127.0.0.1 is unreachable)"
    )


def test_dockerignore_keeps_local_state_out() -> None:
    assert DOCKERIGNORE.is_file(), ".dockerignore is missing"
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".git", ".venv", "var"):
        assert pattern in patterns, f".dockerignore should exclude {pattern}"

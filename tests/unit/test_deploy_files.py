"""compose.yaml and the Dockerfile agree with the code: commands, settings, service names."""

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "queues", "api", "worker"}
REQUIRED_SERVICES = {"postgres", "redis", "sqs"} | APP_SERVICES
KNOWN_SUBCOMMANDS = {
    "dev",
    "serve",
    "migrate",
    "seed",
    "token",
    "export-schema",
    "worker",
    "queues",
}
# Read by botocore, not by Settings.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
CONSOLE_SCRIPT = "appointment-api"


def cli_subcommands() -> set[str]:
    """The CLI's subcommands, from its parser once it has one."""
    try:
        from appointment_api.cli import build_parser
    except ImportError:
        return KNOWN_SUBCOMMANDS
    parser: argparse.ArgumentParser = build_parser()
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_compose_has_the_backing_services_and_the_app(services: dict[str, dict[str, Any]]) -> None:
    assert services.keys() >= REQUIRED_SERVICES


def test_every_image_built_here_belongs_to_an_app_service(
    services: dict[str, dict[str, Any]],
) -> None:
    built = {name for name, service in services.items() if "build" in service}
    assert built == APP_SERVICES


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service_runs_a_real_subcommand(services: dict[str, dict[str, Any]], name: str) -> None:
    command = services[name]["command"]
    assert isinstance(command, list), "exec form: no shell between docker and the app"
    assert command[0] in cli_subcommands()


def test_depends_on_names_existing_services(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target in service.get("depends_on", {}):
            assert target in services, f"{name} depends on unknown service {target}"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_environment_uses_only_known_settings(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    settings = {field.upper() for field in Settings.model_fields}
    environment = services[name]["environment"]
    assert isinstance(environment, dict)
    unknown = set(environment) - settings - AWS_CREDENTIALS
    assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_app_services_reach_the_backing_services(services: dict[str, dict[str, Any]]) -> None:
    environment = services["worker"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:")
    assert environment["AWS_ENDPOINT_URL"].startswith("http://sqs:")
    assert environment["SQS_QUEUE_URL"].endswith(".fifo")
    assert environment["SQS_DLQ_URL"].endswith(".fifo")


def test_production_secret_has_no_default(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        # ${VAR:?message}: compose refuses to start while JWT_SECRET is unset.
        assert re.fullmatch(
            r"\$\{JWT_SECRET:\?[^}]*\}", services[name]["environment"]["JWT_SECRET"]
        )


def test_dockerfile_runs_a_subcommand_of_the_console_script() -> None:
    # compose's `command` replaces CMD only: the entrypoint must be the console script.
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(last_instruction(dockerfile, "ENTRYPOINT"))
    command = json.loads(last_instruction(dockerfile, "CMD"))
    assert entrypoint == [CONSOLE_SCRIPT]
    assert command[0] in cli_subcommands()


def last_instruction(dockerfile: str, name: str) -> str:
    found = re.findall(rf"^{name}\s+(.+)$", dockerfile, flags=re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return str(found[-1])

"""Configuration is validated at start: one line naming the variable, exit code 2."""

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from appointment_api.bootstrap import create_app
from infra.config import DEV_JWT_SECRET, Settings

CLI = Path(sys.executable).parent / "appointment-api"


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("DATABASE_URL", "mysql://db"),
        ("JWT_ALGORITHMS", "none"),
        ("MIN_NOTICE_HOURS", "-1"),
        ("MEETING_BASE_URL", "ftp://meet.example"),
        ("APP_ENV", "staging"),
        ("TRUSTED_DOCUMENTS", "/nonexistent/trusted.json"),
        ("DATABASE_CONNECTIONS_PER_REQUEST", "0"),
    ],
)
def test_a_bad_value_stops_the_cli_with_one_line_naming_the_variable(
    variable: str, value: str
) -> None:
    result = run_cli({variable: value}, "token", "--role", "admin", "--sub", "a")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"configuration error: {variable}:")


def test_production_refuses_the_development_secret() -> None:
    result = run_cli(
        {"APP_ENV": "production", "JWT_SECRET": DEV_JWT_SECRET},
        "token",
        "--role",
        "admin",
        "--sub",
        "a",
    )
    assert result.returncode == 2
    assert "JWT_SECRET" in result.stderr


@pytest.mark.parametrize("secret", ["short", "s" * 31, "é" * 15])
def test_production_refuses_a_secret_under_32_bytes(secret: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET: production needs at least 32 bytes"):
        Settings(app_env="production", jwt_secret=secret)  # type: ignore[arg-type]


def test_production_takes_a_secret_of_32_bytes_and_development_any() -> None:
    assert Settings(app_env="production", jwt_secret="é" * 16).is_production  # type: ignore[arg-type]
    assert Settings(jwt_secret="short").effective_jwt_secret == "short"  # type: ignore[arg-type]


def test_production_needs_some_verification_key() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(app_env="production")  # type: ignore[arg-type]


def test_development_has_a_usable_secret_and_graphiql_production_has_neither_by_default() -> None:
    development = Settings()
    production = Settings(app_env="production", jwt_secret="s" * 40, metrics_port=9100)  # type: ignore[arg-type]
    assert development.effective_jwt_secret == DEV_JWT_SECRET
    assert development.graphiql_on
    assert development.introspection_on
    assert not production.graphiql_on
    assert not production.introspection_on


def test_every_subcommand_has_help() -> None:
    for command in ("dev", "serve", "migrate", "seed", "token", "export-schema"):
        result = run_cli({}, command, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: appointment-api" in result.stdout


def test_the_token_command_prints_a_token_the_api_accepts() -> None:
    import asyncio

    from infra.auth import JwtVerifier

    result = run_cli(
        {"JWT_SECRET": "t" * 40}, "token", "--role", "patient", "--sub", "patient-1", "--ttl", "60"
    )
    assert result.returncode == 0, result.stderr
    verifier = JwtVerifier(algorithms=["HS256"], secret="t" * 40)
    viewer = asyncio.run(verifier.authenticate(f"Bearer {result.stdout.strip()}"))
    assert (viewer.subject, viewer.role.value) == ("patient-1", "PATIENT")


def test_production_keeps_metrics_off_the_public_port_unless_a_token_guards_them() -> None:
    # The worker and the operator commands start; the API does not.
    bare = Settings(app_env="production", jwt_secret="s" * 40)  # type: ignore[arg-type]
    assert "METRICS_TOKEN" in str(bare.api_metrics_problem())
    with pytest.raises(ValueError, match="METRICS_TOKEN"):
        create_app(bare)
    served = run_cli({"APP_ENV": "production", "JWT_SECRET": "s" * 40}, "serve")
    assert served.returncode == 2
    assert "configuration error: METRICS_TOKEN" in served.stderr
    with pytest.raises(ValidationError, match="METRICS_TOKEN: at least 16"):
        Settings(app_env="production", jwt_secret="s" * 40, metrics_token="short")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="METRICS_PORT: must differ"):
        Settings(port=8000, metrics_port=8000)  # type: ignore[arg-type]
    for fine in ({"metrics_token": "m" * 16}, {"metrics_port": 9100}):
        settings = Settings(app_env="production", jwt_secret="s" * 40, **fine)  # type: ignore[arg-type]
        assert settings.api_metrics_problem() is None

"""The two servers under test, each one uvicorn process on a free port started by the stack
launcher, and the API's token."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from support.launcher import AWS_CREDENTIALS, AWS_REGION, Api, Deployment, queue_urls
from support.processes import free_port

APP_COMMAND = str(Path(sys.executable).with_name("appointment-api"))
ROOT = Path(__file__).resolve().parent.parent


def base_env() -> dict[str, str]:
    """The caller's environment without libpq's PG* variables."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def api_env(database_url: str, jwt_secret: str) -> dict[str, str]:
    # One token drives the whole load: per-caller rate limits would measure refusals, and
    # so would the cap on a patient's PENDING requests while the workers catch up.
    return {
        **base_env(),
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "RATE_LIMITS_ENABLED": "false",
        "MAX_PENDING_PER_PATIENT": "100000",
    }


def queue_env(sqs_endpoint: str) -> dict[str, str]:
    """An SQS queue and its dead-letter queue on ``sqs_endpoint`` (created by ``queues
    create``): the API then runs no relay nor worker of its own."""
    queue, dead_letters = queue_urls(sqs_endpoint)
    return {
        "SQS_QUEUE_URL": queue,
        "SQS_DLQ_URL": dead_letters,
        "AWS_ENDPOINT_URL": sqs_endpoint,
        "AWS_REGION": AWS_REGION,
        "AWS_DEFAULT_REGION": AWS_REGION,
        **AWS_CREDENTIALS,
    }


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(48)


# The production defaults of the rate limits (on, memory storage unless REDIS_URL), with
# budgets no run can spend: one token drives the whole load, and refusals are not what a
# read benchmark measures. The limiter still counts every request.
LARGE_BUDGET = "100000000/minute"
PRODUCTION_LIMITS = {
    "RATE_LIMITS_ENABLED": "true",
    "RATE_LIMIT_QUERIES": LARGE_BUDGET,
    "RATE_LIMIT_MUTATIONS": LARGE_BUDGET,
    "RATE_LIMIT_SUBSCRIPTIONS": LARGE_BUDGET,
    "RATE_LIMIT_REQUESTS_PER_ADDRESS": LARGE_BUDGET,
}


def mint_token(env: dict[str, str], role: str = "admin", subject: str = "admin-1") -> str:
    command = [APP_COMMAND, "token", "--role", role, "--sub", subject, "--ttl", "86400"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def api_server(env: dict[str, str], deployment: Deployment, name: str = "api") -> Api:
    """The API exactly as shipped: ``appointment-api serve``, running."""
    port = free_port()
    return deployment.start_server(
        name,
        [APP_COMMAND, "serve"],
        {**env, "HOST": "127.0.0.1", "PORT": str(port)},
        port,
        "/healthz",
    )


def floor_server(database_url: str, deployment: Deployment) -> Api:
    """The floor under uvicorn with the options ``appointment-api serve`` passes."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.floor_app:create_app",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=info",
        "--no-proxy-headers",
    ]
    env = {**base_env(), "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return deployment.start_server("floor", command, env, port, "/healthz")

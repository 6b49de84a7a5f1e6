# syntax=docker/dockerfile:1
# The appointment-api image: `serve` by default; `worker`, `migrate`, `queues create`
# and the other subcommands through the container's command.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS node

# --- dependencies and the project, into /app/.venv ----------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first: this layer is reused until the lock file changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev

# --- GraphiQL's files, fetched with `npm pack` and checked against their SRI hashes -------
FROM build AS assets
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
COPY scripts/fetch_graphiql_assets.py ./scripts/
RUN .venv/bin/python scripts/fetch_graphiql_assets.py --dest /graphiql

# --- runtime: the virtualenv, the code and the assets; no build tools, not root -----------
FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --no-create-home app
WORKDIR /app
COPY --from=build /app /app
COPY --from=assets /graphiql ./src/appointment_api/static/vendor
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
USER app
EXPOSE 8000
ENTRYPOINT ["appointment-api"]
CMD ["serve"]

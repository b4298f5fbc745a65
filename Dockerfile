# The prediction API as a container image (docs/serving.md).
#
#   make run                                     # a model in models/model.skops
#   docker build -t pipeline-serve .
#   docker run --rm -p 8000:8000 -v "$PWD/models:/srv/model:ro" pipeline-serve
#
# Only the serving dependencies, at the versions in uv.lock (the `serve` group); the model is
# mounted at /srv/model (or copied in by a derived image: docs/serving.md). `docker stop`
# sends SIGTERM: requests being answered finish (serve.drain_seconds) before the server exits.

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --only-group serve --no-install-project
COPY src ./src
RUN python -m compileall -q src

FROM python:${PYTHON_VERSION}-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin serve \
    && mkdir -p /app/logs /srv/model \
    && chown serve /app/logs
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/src /app/src
COPY params.yaml /app/
# A contract written as column rules (dataset.contract_file): the API checks requests with it.
COPY conf/columns /app/conf/columns
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/src \
    PYTHONUNBUFFERED=1 \
    PIPELINE_SERVE_BIND=0.0.0.0:8000 \
    PIPELINE_SERVE_WORKERS=2 \
    PIPELINE_SERVE_MODEL=/srv/model/model.skops \
    PIPELINE_SERVE_REQUEST_LOG=/app/logs/requests.jsonl
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["gunicorn", "--config", "python:pipeline.serving.gunicorn_conf", "pipeline.serving.factory:create_app()"]

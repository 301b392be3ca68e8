# syntax=docker/dockerfile:1
# One image for all four services. Pick the service with the SERVICE build arg (the default
# command) or by command: `python -m services.<name> [api|worker|all|migrate]`.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone: this layer stays cached while the code changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY shared/ shared/
COPY services/ services/
# The project itself; its package data carries each service's Alembic migrations.
RUN pip install --no-deps .

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=members
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE=${SERVICE}
RUN groupadd --system --gid 10001 gongjian \
    && useradd --system --uid 10001 --gid gongjian --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin gongjian
COPY --from=build /opt/venv /opt/venv
# An empty working directory: `python -m services.<name>` runs the installed package.
WORKDIR /app
USER 10001:10001
EXPOSE 8001 8002 8003 8004
CMD ["sh", "-c", "exec python -m \"services.${SERVICE}\" all"]

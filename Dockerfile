# syntax=docker/dockerfile:1
# Signoff's container image: the wheel is built in one stage, installed into a slim runtime
# in the next. Configuration is SIGNOFF_* variables only, secrets as *_FILE (design §14.1).
#
#   docker build -t signoff .
#   docker run --read-only --tmpfs /tmp -e SIGNOFF_DATABASE__URL_FILE=... signoff serve
#
# PYTHON_IMAGE names the base: any Debian-based image with CPython 3.11+ at /usr/local
# (a mirror, or one made locally with debootstrap where no registry is reachable).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY src ./src
# Signoff's wheel and the wheels of its pinned dependencies, nothing else.
RUN python -m pip wheel --constraint constraints.txt --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Signoff" \
      org.opencontainers.image.description="Design documents on a template, traced and signed off: a backend server." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.documentation="README.md#run-it-in-production"
ENV PATH=/opt/signoff/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIGNOFF_ENV=production \
    SIGNOFF_SERVER__HOST=0.0.0.0 \
    SIGNOFF_SERVER__PORT=8000
# The wheels are mounted, not copied: they stay out of the image's layers. Bytecode is
# compiled now, so that a read-only root filesystem costs nothing at start-up.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/signoff \
    && /opt/signoff/bin/pip install --no-index --find-links /wheels signoff \
    && /opt/signoff/bin/python -m compileall -q /opt/signoff \
    && useradd --system --uid 10001 --user-group --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin signoff
# Nothing is written outside /tmp (mount a tmpfs there with a read-only root filesystem).
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('SIGNOFF_SERVER__PORT', '8000'), timeout=4)"]
ENTRYPOINT ["signoff"]
CMD ["serve"]

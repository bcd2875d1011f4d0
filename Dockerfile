# syntax=docker/dockerfile:1
# The openbadges server image: `openbadges-server` (run, migrate, send-notifications, …) as a non-root user.
# Build: docker build -t openbadges .      Deploy: see compose.yaml and docs/deployment.md.
ARG PYTHON_VERSION=3.12

# -- build: the package and its server dependencies into a self-contained venv --------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY schemas ./schemas
COPY openbadges_core ./openbadges_core
COPY hosting ./hosting
RUN python -m venv /opt/openbadges \
 && /opt/openbadges/bin/pip install ".[server]" \
 && /opt/openbadges/bin/openbadges-server --version

# -- runtime: the venv only (no compiler, no sources, no pip cache), run as an unprivileged user ---------------
FROM python:${PYTHON_VERSION}-slim AS runtime
RUN groupadd --system --gid 10001 openbadges \
 && useradd --system --uid 10001 --gid openbadges --home-dir /var/lib/openbadges --create-home \
      --shell /usr/sbin/nologin openbadges
COPY --from=build /opt/openbadges /opt/openbadges
ENV PATH=/opt/openbadges/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBADGES_ENV=production
# The working directory is the user's own (a SQLite file or the development secret would go here; mount a
# volume on it if you use SQLite in a container).
WORKDIR /var/lib/openbadges
USER 10001:10001
EXPOSE 8000
# Ready = the database answers, is migrated and takes a write (GET /readyz); the check needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u\ntry:\n    sys.exit(0 if u.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)\nexcept Exception:\n    sys.exit(1)"]
ENTRYPOINT ["openbadges-server"]
# Behind the reverse proxy of compose.yaml; size --workers with docs/deployment.md.
CMD ["run", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]

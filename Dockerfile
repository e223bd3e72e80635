# EHRGym in one image: the same image runs every role (scripts/entrypoint.sh web | worker | beat | init).
#   docker build -t ehrgym .                         (add --build-arg WITH_CHROMIUM=1 for local browser mode)
#   docker run -p 8000:8000 -e EHRGYM_SECRET_KEY=... ehrgym web
# docker-compose.yml runs it with PostgreSQL, Redis, Celery and a Selenium Grid (README, "Docker").
FROM python:3.11-slim

# Browser mode runs on a Selenium Grid (EHRGYM_SELENIUM_REMOTE_URL) in the compose file; an image that should
# drive Chromium itself installs it (about 300 MB more).
ARG WITH_CHROMIUM=0
RUN if [ "$WITH_CHROMIUM" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver \
      && rm -rf /var/lib/apt/lists/*; \
    fi

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SE_OFFLINE=true \
    EHRGYM_DATA_DIR=/data \
    EHRGYM_PORT=8000

WORKDIR /app
# Dependencies first, in a layer of their own: it is rebuilt only when a requirements file (or the client) changes.
COPY requirements.txt ./
COPY client/ ./client/
RUN pip install -r requirements.txt

COPY . .
# Not root: the application's files stay root's (read-only to it); only its data directory is its own.
RUN useradd --create-home --uid 10001 ehrgym \
    && mkdir -p /data && chown ehrgym:ehrgym /data \
    && chmod 0755 scripts/entrypoint.sh
USER ehrgym
VOLUME ["/data"]
EXPOSE 8000

# The OpenEnv health endpoint needs no token; a worker or beat container overrides or disables this (compose does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/openenv/health' % os.environ.get('EHRGYM_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["scripts/entrypoint.sh"]
CMD ["web"]

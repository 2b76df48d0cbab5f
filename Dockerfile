# packtrace API image. Build: docker build -t packtrace . ; run with docker-compose.yml (PostgreSQL).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /srv/packtrace packtrace
WORKDIR /srv/packtrace
# The locked dependencies first (each checked against its hash; a layer of its own, kept while only the code
# changes), then the project without resolving anything again.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY events ./events
COPY ledger ./ledger
COPY labels ./labels
COPY api ./api
RUN pip install --no-deps . \
 && mkdir -p /var/lib/packtrace && chown packtrace /var/lib/packtrace
USER packtrace
EXPOSE 8000
# Migrations first (PostgreSQL), then the server; both key files live on the data volume (back them up with
# the database: docs/operations.md §4). PACKTRACE_PUBLIC_URL must be set (the server refuses to start without).
CMD ["sh", "-c", "packtrace migrate && packtrace serve --host 0.0.0.0 --port 8000"]

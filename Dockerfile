# packtrace API image. Build: docker build -t packtrace . ; run with docker-compose.yml (PostgreSQL).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /srv/packtrace packtrace
WORKDIR /srv/packtrace
COPY pyproject.toml README.md ./
COPY events ./events
COPY ledger ./ledger
COPY labels ./labels
COPY api ./api
RUN pip install . \
 && mkdir -p /var/lib/packtrace && chown packtrace /var/lib/packtrace
USER packtrace
EXPOSE 8000
# Migrations first (PostgreSQL), then the server; the log key lives on the data volume.
CMD ["sh", "-c", "packtrace migrate && packtrace serve --host 0.0.0.0 --port 8000"]

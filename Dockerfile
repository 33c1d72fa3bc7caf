# The service image: granian started by serve.py, as a non-root user, healthy when /readyz is.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=app \
    BIND=0.0.0.0:8000

WORKDIR /srv
# Exactly requirements.lock, every file checked against its hash (the installer pinned as in the
# Makefile), then the package itself without dependencies, built by the lock's setuptools.
COPY requirements.lock ./
RUN pip install --no-cache-dir pip==26.3 \
    && pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY factcheck ./factcheck
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin factcheck
COPY app.py worker.py serve.py ./
COPY seeds ./seeds

USER factcheck
EXPOSE 8000

# Ready means the database is reachable and migrated; Redis down only makes it "degraded".
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]

# Exec form, so the server is PID 1 and gets SIGTERM for its graceful shutdown.
CMD ["python", "serve.py"]

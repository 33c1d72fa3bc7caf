FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=app
WORKDIR /srv
COPY pyproject.toml README.md ./
COPY factcheck ./factcheck
COPY app.py ./
COPY seeds ./seeds
RUN pip install --no-cache-dir '.[postgres]' \
    && useradd --system --uid 10001 factcheck
USER factcheck
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--worker-class", "gthread", "app:app"]

"""Entry point for `flask` and gunicorn (`gunicorn app:app`)."""

from factcheck import create_app

app = create_app()

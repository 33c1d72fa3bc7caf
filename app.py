"""Entry point for `flask` and the WSGI server (serve.py runs granian on `app:app`)."""

from factcheck import create_app

app = create_app()

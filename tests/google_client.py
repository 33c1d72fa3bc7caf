"""Google's own client (google-api-python-client) with the factchecktools v1alpha1 discovery
document it ships, pointed at a service by its endpoint and nothing else, and that service as a
real HTTP server in a thread."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httplib2
from flask import Flask
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from werkzeug.serving import make_server


def client(endpoint: str, key: str | None = None) -> Any:
    """Google's client for factchecktools v1alpha1, its bundled document, this endpoint; the
    API key, when given, as the OAuth bearer token Google's pages.* take."""
    options = {"api_endpoint": endpoint}
    if key is None:
        return build(
            "factchecktools",
            "v1alpha1",
            http=httplib2.Http(timeout=30),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )
    return build(
        "factchecktools",
        "v1alpha1",
        credentials=Credentials(token=key),
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 (werkzeug, one thread); its base URL."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

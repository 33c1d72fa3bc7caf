"""The path prefix (WSGI SCRIPT_NAME): believed only when TRUST_FORWARDED_PREFIX says so.

A WSGI server may set SCRIPT_NAME from a request header (serve.py does, for a `SCRIPT_NAME` header
from any address in FORWARDED_ALLOW_IPS), and Flask builds every url_for on it. By default the app
serves at the root: a SCRIPT_NAME it did not ask for goes back into the path, as if the header had
never been sent, so the request is routed (or not found) by its full path. Absolute links do not
depend on this either way: they are built on SITE_URL (pages/views.site_link).
"""

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class IgnoreScriptName:
    """WSGI middleware: SCRIPT_NAME folded back into PATH_INFO, then emptied."""

    def __init__(self, wsgi_app: WsgiApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        script_name = environ.get("SCRIPT_NAME", "")
        if script_name:
            environ["PATH_INFO"] = script_name + environ.get("PATH_INFO", "")
            environ["SCRIPT_NAME"] = ""
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    if not app.config.get("TRUST_FORWARDED_PREFIX"):
        app.wsgi_app = IgnoreScriptName(app.wsgi_app)  # type: ignore[method-assign]

"""The production server: granian (WSGI) serving app:app, `python serve.py` (`make serve`, the
container image, the tests' harness). Chosen by measurement: docs/performance.md.

Every value comes from the environment (README, "Configuration"), checked here so that a bad one
stops the server with a message naming it, before any worker starts. What gunicorn.conf.py gave
is kept: bind, workers x threads, graceful shutdown on SIGTERM, keep-alive, the scheme (and path
prefix) from trusted proxies only, request head limits above the app's, JSON log lines, a
multiprocess metrics directory, and a worker that dies respawned.
"""

import gc
import ipaddress
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# Before anything imports prometheus_client: it chooses its multiprocess value store on import.
# Without a shared directory each worker would count alone and a scrape would see one of them.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="factcheck-metrics-")
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(METRICS_DIR, exist_ok=True)

from factcheck import settings  # noqa: E402

ROOT = Path(__file__).resolve().parent
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TrustedProxyHeaders:
    """What gunicorn's forwarded_allow_ips did: from a trusted proxy's address (and only from
    one), X-Forwarded-Proto sets the scheme and a SCRIPT_NAME header the path prefix. The app
    still folds a prefix back into the path unless TRUST_FORWARDED_PREFIX (web/prefix.py)."""

    def __init__(self, wsgi_app: WsgiApp, trusted: str) -> None:
        self.wsgi_app = wsgi_app
        entries = [entry.strip() for entry in trusted.split(",")]
        self.everyone = "*" in entries
        self.networks: list[Network] = [
            ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"
        ]

    def trusts(self, address: str) -> bool:
        if self.everyone:
            return True
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False  # a unix socket's peer has no address: nothing to trust
        return any(peer in network for network in self.networks)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.trusts(environ.get("REMOTE_ADDR", "")):
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                environ["wsgi.url_scheme"] = proto
            prefix = environ.get("HTTP_SCRIPT_NAME", "").rstrip("/")
            path = environ.get("PATH_INFO", "")
            if prefix.startswith("/") and (path == prefix or path.startswith(prefix + "/")):
                environ["SCRIPT_NAME"] = prefix
                environ["PATH_INFO"] = path[len(prefix) :]
        return self.wsgi_app(environ, start_response)


def load_app(target: str, trusted: str) -> WsgiApp:
    """Runs in each worker, before the app is imported there."""
    _forget_dead_workers()
    sys.path.insert(0, str(ROOT))
    module_name, _, attribute = target.partition(":")
    module = __import__(module_name)
    app = TrustedProxyHeaders(getattr(module, attribute or "app"), trusted)
    # What the worker built at start-up lives as long as it does: frozen out of the collector's
    # sight, a full collection no longer walks some 200,000 objects, a pause of tens of ms for
    # every thread of the worker (seen as the p99 of a cached read: docs/performance.md).
    gc.freeze()
    return app


def _forget_dead_workers() -> None:
    # A dead worker's gauges must stop counting; its counters stay, as Prometheus expects.
    # granian has no hook in the master for a worker's exit, so the worker that replaces it
    # looks for the files of processes that are gone.
    from prometheus_client import multiprocess

    for name in os.listdir(METRICS_DIR):
        pid = name.rsplit("_", 1)[-1].removesuffix(".db")
        if name.endswith(".db") and pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), METRICS_DIR)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def log_config(level: str) -> dict[str, Any]:
    """granian's own lines (start, stop, a worker's death) as JSON, like every other line."""
    json_formatter = {"()": "factcheck.logs.json_formatter"}
    return {
        "formatters": {"generic": json_formatter, "access": json_formatter},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }


def build_server(target: str = "app:app", working_dir: Path = ROOT) -> Any:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    try:
        # The app's settings too, so a malformed DATABASE_URL stops the server, not each worker.
        app_settings = settings.from_env()
        server = settings.server_from_env()
    except settings.SettingsError as error:
        raise SystemExit(f"factcheck: {error}") from None
    bind = server["BIND"]
    address: dict[str, Any]
    if bind.startswith("unix:"):
        address = {"uds": Path(bind.removeprefix("unix:"))}
    else:
        host, _, port = bind.rpartition(":")
        address = {"address": host.strip("[]"), "port": int(port)}
    keepalive = server["SERVER_KEEPALIVE"]
    granian = Granian(
        target,
        **address,
        interface=Interfaces.WSGI,
        # HTTP/1.1 only, as gunicorn served: the proxy in front speaks HTTP/1.1 to the app.
        http=HTTPModes.http1,
        websockets=False,
        workers=server["WEB_CONCURRENCY"],
        blocking_threads=server["SERVER_THREADS"],
        http1_settings=HTTP1Settings(
            # hyper counts an idle keep-alive connection's wait for its next request head
            # here too: the keep-alive timeout, and a slow client's limit to send a head.
            header_read_timeout=max(keepalive, 1) * 1000,
            keep_alive=keepalive > 0,
            max_buffer_size=settings.SERVER_HEAD_BUFFER,
        ),
        log_level=LogLevels(app_settings["LOG_LEVEL"].lower()),
        log_dictconfig=log_config(app_settings["LOG_LEVEL"]),
        # The app writes the one line per request (with its request id); no second one.
        log_access=False,
        # On SIGTERM workers stop accepting and get this long to finish the requests they hold.
        workers_kill_timeout=server["SERVER_GRACEFUL_TIMEOUT"],
        respawn_failed_workers=True,
        working_dir=working_dir,
    )

    @granian.on_startup
    def _clear_metrics() -> None:
        # Samples left by an earlier run would be added to this one's.
        for name in os.listdir(METRICS_DIR):
            if name.endswith(".db"):
                os.remove(os.path.join(METRICS_DIR, name))

    @granian.on_shutdown
    def _remove_metrics() -> None:
        if _own_metrics_dir:
            shutil.rmtree(METRICS_DIR, ignore_errors=True)

    return granian, server["FORWARDED_ALLOW_IPS"]


def main(argv: list[str]) -> None:
    target = argv[0] if argv else "app:app"
    working_dir = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    granian, trusted = build_server(target, working_dir)
    os.chdir(working_dir)
    sys.path.insert(0, str(working_dir))

    def loader(wsgi_target: str) -> WsgiApp:
        return load_app(wsgi_target, trusted)

    granian.serve(target_loader=loader)


if __name__ == "__main__":
    main(sys.argv[1:])

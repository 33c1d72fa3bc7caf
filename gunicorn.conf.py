"""gunicorn's settings: `gunicorn -c gunicorn.conf.py` (`make serve`, the container image).

Every value comes from the environment (README, "Configuration"), checked here so that a bad one
stops the master with a message naming it, before any worker starts.
"""

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from typing import Any

# Before anything imports prometheus_client: it chooses its multiprocess value store on import.
# Without a shared directory each worker would count alone and a scrape would see one of them.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="factcheck-metrics-")
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(METRICS_DIR, exist_ok=True)

from gunicorn.glogging import Logger  # noqa: E402

from factcheck import logs, settings  # noqa: E402

# The app's settings too, so a malformed DATABASE_URL stops the master, not each worker in turn.
try:
    _app = settings.from_env()
    _server = settings.server_from_env()
except settings.SettingsError as error:
    # SystemExit passes gunicorn's config loader, which would print a traceback for the rest.
    raise SystemExit(f"factcheck: {error}") from None

wsgi_app = "app:app"
bind = [_server["BIND"]]
worker_class = "gthread"
workers = _server["WEB_CONCURRENCY"]
threads = _server["GUNICORN_THREADS"]
timeout = _server["GUNICORN_TIMEOUT"]
# On SIGTERM workers stop accepting and get this long to finish the requests they hold.
graceful_timeout = _server["GUNICORN_GRACEFUL_TIMEOUT"]
keepalive = _server["GUNICORN_KEEPALIVE"]
# Which proxies may set X-Forwarded-Proto (so redirects and URLs keep https).
forwarded_allow_ips = _server["FORWARDED_ALLOW_IPS"]
# Above the app's own limits (MAX_REQUEST_LINE, ...), which answer with problem+json
# (web/request_limits); gunicorn's own answer to these is an HTML page.
limit_request_line = settings.GUNICORN_LIMIT_REQUEST_LINE
limit_request_field_size = settings.GUNICORN_LIMIT_REQUEST_FIELD_SIZE
limit_request_fields = settings.GUNICORN_LIMIT_REQUEST_FIELDS
accesslog = "-" if _server["ACCESS_LOG"] else None
errorlog = "-"
loglevel = _app["LOG_LEVEL"].lower()
# gunicorn >= 25 opens a control socket under $HOME by default: one path for every instance on the
# host, which two replicas (or the tests' two instances) would fight over. Older versions ignore it.
control_socket_disable = True
# Worker heartbeats go to a file; in containers /tmp may sit on a slow overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Each worker imports the app itself: nothing (database pools, Redis sockets) crosses a fork.
preload_app = False


class JsonLogger(Logger):
    """gunicorn's own lines as JSON; the access line carries the request id the app answered
    with, and never a header, cookie or query string (where a key could hide)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(logs.json_formatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = dict((name.lower(), value) for name, value in resp.headers)
        line = {
            "event": "access",
            "time": datetime.now(UTC).isoformat(),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": logs.scrub(environ.get("PATH_INFO", "")),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "request_id": headers.get("x-request-id"),
            "user_agent": logs.scrub(environ.get("HTTP_USER_AGENT", "")),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(line))


logger_class = JsonLogger


def on_starting(_server: Any) -> None:
    # Samples left by an earlier run would be added to this one's.
    for name in os.listdir(METRICS_DIR):
        if name.endswith(".db"):
            os.remove(os.path.join(METRICS_DIR, name))


def child_exit(_server: Any, worker: Any) -> None:
    # A dead worker's gauges must stop counting; its counters stay, as Prometheus expects.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)

"""A WSGI app for tests/test_server.py: /slow answers once /release exists (the shutdown test),
/frozen tells how many objects the worker froze out of the garbage collector's sight.

Served by serve.py like the product (`ProductionServer(target=...)`), so that a request can be
held in flight while the server is told to stop. No sleep decides the outcome: the request ends
when the test creates the release file.
"""

import gc
import os
import time
from pathlib import Path

from flask import Flask

app = Flask(__name__)
RELEASE = Path(os.environ["SLOW_APP_RELEASE"])
STARTED = Path(os.environ["SLOW_APP_STARTED"])


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.get("/slow")
def slow() -> str:
    STARTED.touch()
    deadline = time.monotonic() + 30
    while not RELEASE.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return "finished"


@app.get("/frozen")
def frozen() -> str:
    return str(gc.get_freeze_count())

"""The benchmark's baseline: bare Flask, nothing of the product, in a process of its own.

It answers every GET with the bytes and content type that the product's answer to the case had
(BENCH_BODY_FILE, BENCH_CONTENT_TYPE), and 304 to an If-None-Match carrying BENCH_ETAG, as the
product does for a conditional GET. The ratio `make bench` prints is then what the service's own
work costs on top of Flask on the same server with the same workers and threads.
It exists only here, never in the product.
"""

import os
from pathlib import Path

from flask import Flask, Response, request

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
CONTENT_TYPE = os.environ["BENCH_CONTENT_TYPE"]
ETAG = os.environ["BENCH_ETAG"]

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def constant(path: str) -> Response:
    if ETAG in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": ETAG})
    return Response(BODY, content_type=CONTENT_TYPE, headers={"ETag": ETAG})

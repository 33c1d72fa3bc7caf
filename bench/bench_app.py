"""The WSGI app the benchmark serves: the product app plus one baseline route of its own.

The baseline route answers the constant bytes in BENCH_BODY_FILE (the cached ClaimReview's own
body), so the only difference between it and a cached read is the service's work per request.
It exists only here, never in the product.
"""

import os
from pathlib import Path

from flask import Blueprint, Response

from factcheck import create_app

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

baseline = Blueprint("bench", __name__)


@baseline.get("/bench/constant")
def constant() -> Response:
    return Response(BODY, mimetype="application/ld+json")


app = create_app()
app.register_blueprint(baseline)
if os.environ.get("BENCH_NO_LOCAL"):
    # `cache_bench.py --no-local`: every hit goes to Redis, to show what the in-process copies
    # are worth.
    app.extensions["factcheck.cache"].local = None

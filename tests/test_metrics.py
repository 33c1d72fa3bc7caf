import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from factcheck.storage.db import db
from factcheck.web import auth, metrics

from .conftest import make_app
from .production_server import ProductionServer
from .redis_server import RedisServer

DURATION = "factcheck_http_request_duration_seconds"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels (the parser also proves the format)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def scrape(client: FlaskClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def test_requests_are_counted_by_route_and_status(client: FlaskClient, seeded: list[str]) -> None:
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    # Ids are not 1.. on PostgreSQL, where sequences outlive the emptied tables.
    first = client.get("/api/v1/fact-checks").get_json()[0]["id"]
    assert client.get(f"/api/v1/fact-checks/{first}").status_code == 200
    assert client.get("/api/v1/fact-checks/999999").status_code == 404
    assert client.get("/api/v1/fact-checks/999998").status_code == 404
    assert client.get("/no/such/route/123").status_code == 404

    scraped = scrape(client)
    count = DURATION + "_count"
    fact_check = "/api/v1/fact-checks/<id:fact_check_id>"
    assert value(scraped, count, method="GET", route="/healthz", status="200") == 3
    assert value(scraped, count, method="GET", route=fact_check, status="200") == 1
    assert value(scraped, count, method="GET", route=fact_check, status="404") == 2
    assert value(scraped, count, method="GET", route="<unmatched>", status="404") == 1
    assert value(scraped, "factcheck_http_request_total", method="GET", status="404") == 3
    bucket = value(
        scraped, DURATION + "_bucket", method="GET", route="/healthz", status="200", le="+Inf"
    )
    assert bucket == 3
    assert value(scraped, DURATION + "_sum", method="GET", route=fact_check, status="200") > 0
    # Paths never become labels: ids would make every request a new series.
    assert not any("999999" in str(labels) for _name, labels in scraped)
    # The scrape does not count itself.
    assert not any(("route", "/metrics") in labels for _name, labels in scraped)


def test_database_pool_use_is_exported(client: FlaskClient) -> None:
    assert client.get("/api/v1/fact-checks").status_code == 200
    scraped = scrape(client)
    assert value(scraped, "factcheck_db_pool_checked_out") == 0
    assert value(scraped, "factcheck_db_pool_connections") >= 1
    assert value(scraped, "factcheck_db_pool_capacity") >= 1


def test_pool_gauge_counts_connections_held_by_running_requests(app: Flask) -> None:
    entered, release = threading.Event(), threading.Event()

    @app.get("/test-hold-connection")
    @auth.public  # every route declares what it needs (web/auth.py)
    def hold() -> str:
        from factcheck.storage.db import db

        with db.engine.connect():
            entered.set()
            release.wait(10)
        return "ok"

    client = app.test_client()
    worker = threading.Thread(target=lambda: client.get("/test-hold-connection"))
    worker.start()
    try:
        assert entered.wait(10)
        assert value(scrape(app.test_client()), "factcheck_db_pool_checked_out") == 1
    finally:
        release.set()
        worker.join(10)
    assert value(scrape(app.test_client()), "factcheck_db_pool_checked_out") == 0


def test_each_app_counts_its_own_requests(database_url: str, client: FlaskClient) -> None:
    other = make_app(database_url, "")
    for _ in range(4):
        other.test_client().get("/healthz")
    client.get("/healthz")
    assert (
        value(scrape(client), DURATION + "_count", method="GET", route="/healthz", status="200")
        == 1
    )
    scraped = scrape(other.test_client())
    assert value(scraped, DURATION + "_count", method="GET", route="/healthz", status="200") == 4


# --- under the production server, several workers -------------------------------------------


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[ProductionServer]:
    server = ProductionServer(
        {"DATABASE_URL": database_url, "REDIS_URL": "", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        workers=2,
    )
    server.start()
    yield server
    server.stop()


def served(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The app's request lines for /healthz (each names the worker's pid)."""
    return [
        line for line in lines if line.get("event") == "request" and line["route"] == "/healthz"
    ]


def test_metrics_add_up_across_the_servers_workers(two_workers: ProductionServer) -> None:
    sent = 0
    pids: set[int] = set()
    # Requests on fresh connections land on whichever worker accepts first; go on until both
    # have served some, so that a scrape of either one alone could not show the total.
    while sent < 2000 and (len(pids) < 2 or sent < 40):
        threads = [
            threading.Thread(target=lambda: two_workers.request("GET", "/healthz"))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent += len(threads)
        pids = {line["pid"] for line in served(two_workers.log_lines())}
    assert len(pids) == 2, "every request went to one worker"

    def healthz_count() -> float:
        response = two_workers.request("GET", "/metrics")
        assert response.status == 200
        scraped = samples(response.body.decode())
        return value(scraped, DURATION + "_count", method="GET", route="/healthz", status="200")

    # The scraped worker counts its own requests at once, the other's within FLUSH_EVERY: wait
    # for them (bounded), then every scrape, whichever worker answers it, sees them all (and the
    # probe requests production_server made while waiting for the start).
    deadline = time.monotonic() + 20 * metrics.FLUSH_EVERY
    while healthz_count() < sent and time.monotonic() < deadline:
        time.sleep(metrics.FLUSH_EVERY / 10)
    counts = [healthz_count() for _ in range(12)]
    assert min(counts) >= sent, counts
    counted = counts[-1]
    # Request lines are written after the response is sent: wait until the count is reached.
    assert counted == len(
        served(two_workers.wait_for_log(lambda lines: len(served(lines)) >= counted))
    )


def test_a_dead_workers_gauges_stop_counting(two_workers: ProductionServer, tmp_path: Path) -> None:
    def capacity() -> float:
        scraped = samples(two_workers.request("GET", "/metrics").body.decode())
        return value(scraped, "factcheck_db_pool_capacity")

    assert two_workers.process is not None
    workers = wait_for_workers(two_workers.process.pid, tmp_path, count=2)
    per_worker = capacity() / 2
    assert per_worker >= 1
    os.kill(workers[0], signal.SIGKILL)
    wait_for_workers(two_workers.process.pid, tmp_path, count=2, replacing=workers)
    # The worker that replaced it dropped the dead one's share (serve.py): two live workers,
    # two shares.
    assert {capacity() for _ in range(6)} == {per_worker * 2}


def wait_for_workers(
    master: int, metrics_dir: Path, count: int, replacing: list[int] | None = None
) -> list[int]:
    """Worker pids once `count` of them have booted the app (each then writes its gauges),
    one of them new when `replacing` lists the ones there were."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = worker_pids(master)
        booted = [pid for pid in pids if (metrics_dir / f"gauge_livesum_{pid}.db").exists()]
        if len(booted) == count and (replacing is None or set(booted) - set(replacing)):
            return booted
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not boot")


def worker_pids(pid: int) -> list[int]:
    """The worker pids of the server's main process, from /proc (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_cache_outcomes_and_the_breaker_are_exported(
    database_url: str, redis_server: RedisServer, seeded: list[str]
) -> None:
    app = make_app(database_url, redis_server.url, CACHE_COOL_DOWN=60)
    client = app.test_client()
    check = client.get("/api/v1/fact-checks?pageSize=1").get_json()[0]
    document = f"/api/v1/fact-checks/{check['id']}/claimreview"
    client.get(document)
    client.get(document)
    found = scrape(client)
    assert value(found, "factcheck_cache_events_total", event="misses") >= 1
    assert value(found, "factcheck_cache_events_total", event="hits") >= 1
    assert value(found, "factcheck_cache_breaker_open") == 0

    redis_server.pause()
    try:
        client.get(f"/api/v1/fact-checks/{check['id']}")
    finally:
        redis_server.resume()
    found = scrape(client)
    assert value(found, "factcheck_cache_events_total", event="errors") >= 1
    assert value(found, "factcheck_cache_breaker_open") == 1
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

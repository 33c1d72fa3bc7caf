"""Webhook deliveries by a real huey consumer process to a real receiver on loopback, which
verifies each one with standardwebhooks: signed, in order, retried, refused, and picked up again
after the worker is killed."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import ROOT, create_article, create_fact_check, new_organization, publish
from .redis_server import RedisServer
from .webhook_receiver import Receiver

TIMEOUT = 2.0  # the worker's WEBHOOK_TIMEOUT
EVENTS = ["fact_check.published", "fact_check.updated", "fact_check.retracted", "article.updated"]


class Worker:
    """`huey_consumer worker.huey`, as `make run` starts it, in a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        consumer = Path(sys.executable).parent / "huey_consumer"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(consumer), "worker.huey", "-w", "1", "-k", "thread", "-s", "1"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.hold.set()
    receiver.stop()


@pytest.fixture
def jobs_url(request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer) -> str:
    """huey's SQLite file (make run), or with `indirect` "redis" the test's redis-server."""
    if getattr(request, "param", "sqlite") == "redis":
        return redis_server.url
    return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"


@pytest.fixture
def app(app: Flask, jobs_url: str) -> Flask:
    app.config.update(JOBS_URL=jobs_url, WEBHOOK_ALLOW_HTTP=True)
    return app


@pytest.fixture
def worker(
    app: Flask, database_url: str, redis_server: RedisServer, jobs_url: str, tmp_path: Path
) -> Iterator[Worker]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SITE_URL": "http://factcheck.test",
        "JOBS_URL": jobs_url,
        "WEBHOOK_ALLOW_HTTP": "on",
        # The receiver's address only: other loopback addresses stay refused.
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.2/32",
        "WEBHOOK_TIMEOUT": str(TIMEOUT),
        "WEBHOOK_RETRY_BASE": "0.5",
        "WEBHOOK_RETRY_MAX_DELAY": "1",
        "CACHE_REPLAY_INTERVAL": "0",
    }
    worker = Worker(env, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    return new_organization(app, "desk", "write publish admin")


def subscribe(client: FlaskClient, headers: dict[str, str], url: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/organizations/desk/webhooks", json={"url": url, "events": EVENTS}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def deliveries(client: FlaskClient, headers: dict[str, str], hook: dict[str, Any]) -> Any:
    path = f"/api/v1/organizations/desk/webhooks/{hook['id']}/deliveries"
    return client.get(path, headers=headers).get_json()


def wait_until(condition: Callable[[], Any], timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError("not within the bound")


def three_changes(client: FlaskClient, headers: dict[str, str]) -> int:
    """A draft edited, published, then retracted: three events about one fact-check."""
    article = create_article(client, headers)
    check = create_fact_check(client, headers, article.get_json()["id"])
    edited = client.patch(
        f"/api/v1/fact-checks/{check.get_json()['id']}",
        json={"reviewBody": "Official statistics show a fall from 9% to 6%."},
        headers={**headers, "If-Match": check.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.get_json()
    published = publish(client, headers, edited)
    assert published.status_code == 200, published.get_json()
    retracted = client.post(
        f"/api/v1/fact-checks/{check.get_json()['id']}/retract",
        json={"note": "The statistics office withdrew the figures."},
        headers={**headers, "If-Match": published.headers["ETag"]},
    )
    assert retracted.status_code == 200, retracted.get_json()
    fact_check_id: int = check.get_json()["id"]
    return fact_check_id


def tried(client: FlaskClient, headers: dict[str, str], hook: dict[str, Any]) -> Any:
    log = deliveries(client, headers, hook)
    return log if log and all(entry["attempts"] >= 1 for entry in log) else None


def all_delivered(client: FlaskClient, headers: dict[str, str], hook: dict[str, Any]) -> Any:
    log = deliveries(client, headers, hook)
    return log if log and all(entry["status"] == "delivered" for entry in log) else None


def test_each_change_arrives_signed_in_order_with_its_claimreview(
    client: FlaskClient, admin: dict[str, str], receiver: Receiver, worker: Worker
) -> None:
    hook = subscribe(client, admin, receiver.url)
    receiver.secret = hook["secret"]
    fact_check_id = three_changes(client, admin)
    got = receiver.wait_for(3)
    assert [item["payload"]["type"] for item in got] == [
        "fact_check.updated",
        "fact_check.published",
        "fact_check.retracted",
    ]
    assert {item["payload"]["data"]["factCheck"]["id"] for item in got} == {fact_check_id}
    published = got[1]["payload"]["data"]
    assert published["claimReview"]["@type"] == "ClaimReview"
    assert "claimReview" not in got[0]["payload"]["data"]  # a draft has none
    assert len({item["id"] for item in got}) == 3


@pytest.mark.parametrize("jobs_url", ["redis"], indirect=True)
def test_workers_on_redis_deliver_as_well(
    client: FlaskClient, admin: dict[str, str], receiver: Receiver, worker: Worker
) -> None:
    hook = subscribe(client, admin, receiver.url)
    receiver.secret = hook["secret"]
    three_changes(client, admin)
    assert len(receiver.wait_for(3)) == 3
    # The worker records a delivery once the receiver has answered: after the receiver saw it.
    assert len(wait_until(lambda: all_delivered(client, admin, hook))) == 3


def test_a_receiver_down_for_a_while_gets_each_event_once_in_order(
    client: FlaskClient, admin: dict[str, str], receiver: Receiver, worker: Worker
) -> None:
    hook = subscribe(client, admin, receiver.url)
    receiver.secret = hook["secret"]
    receiver.stop()
    three_changes(client, admin)
    # Down: the first event is tried again and again, the later ones wait behind it.
    wait_until(lambda: deliveries(client, admin, hook)[-1]["attempts"] >= 3)
    assert all(entry["attempts"] == 0 for entry in deliveries(client, admin, hook)[:-1])
    receiver.start()
    log = wait_until(lambda: all_delivered(client, admin, hook))
    got = receiver.received
    assert [item["payload"]["type"] for item in got] == [
        "fact_check.updated",
        "fact_check.published",
        "fact_check.retracted",
    ]
    assert len({item["id"] for item in got}) == len(got) == 3
    first = log[-1]["log"]
    assert first[0]["status"] is None and "ConnectionRefusedError" in first[0]["error"]
    assert first[-1]["status"] == 204


def test_a_slow_receiver_times_out_then_gets_it_on_a_retry(
    client: FlaskClient, admin: dict[str, str], receiver: Receiver, worker: Worker
) -> None:
    hook = subscribe(client, admin, receiver.url)
    receiver.secret = hook["secret"]
    receiver.slow_count, receiver.delay = 1, TIMEOUT * 2
    article = create_article(client, admin)
    client.patch(
        f"/api/v1/articles/{article.get_json()['id']}",
        json={"author": "Desk"},
        headers={**admin, "If-Match": article.headers["ETag"]},
    )
    [delivery] = wait_until(lambda: all_delivered(client, admin, hook))
    assert delivery["attempts"] == 2
    assert delivery["log"][0]["error"] == f"timed out after {TIMEOUT:g} s"
    assert delivery["log"][1]["status"] == 204


def test_a_name_resolving_to_a_refused_address_is_refused_and_logged(
    client: FlaskClient, admin: dict[str, str], worker: Worker
) -> None:
    bystander = Receiver(host="127.0.0.1")
    bystander.start()
    try:
        # localhost resolves to 127.0.0.1: loopback, and not among the allowed networks.
        hook = subscribe(client, admin, f"http://localhost:{bystander.port}/hook")
        article = create_article(client, admin)
        client.patch(
            f"/api/v1/articles/{article.get_json()['id']}",
            json={"author": "Desk"},
            headers={**admin, "If-Match": article.headers["ETag"]},
        )
        [delivery] = wait_until(lambda: tried(client, admin, hook))
        assert delivery["log"][0] == {
            "at": delivery["log"][0]["at"],
            "status": None,
            "error": "refused: 127.0.0.1 is not a public address",
        }
        assert not bystander.arrived.is_set()
    finally:
        bystander.stop()


def test_a_worker_killed_mid_delivery_delivers_after_its_restart(
    client: FlaskClient, admin: dict[str, str], receiver: Receiver, worker: Worker
) -> None:
    hook = subscribe(client, admin, receiver.url)
    receiver.secret = hook["secret"]
    receiver.hanging = True
    article = create_article(client, admin)
    client.patch(
        f"/api/v1/articles/{article.get_json()['id']}",
        json={"author": "Desk"},
        headers={**admin, "If-Match": article.headers["ETag"]},
    )
    assert receiver.arrived.wait(30)
    worker.kill()
    receiver.hanging = False
    receiver.hold.set()
    assert deliveries(client, admin, hook)[0]["status"] == "pending"
    worker.start()
    [delivery] = wait_until(lambda: all_delivered(client, admin, hook))
    # The killed attempt left no log entry; the one after the restart did.
    assert [entry["status"] for entry in delivery["log"]] == [204]
    assert [item["payload"]["type"] for item in receiver.received] == ["article.updated"]

"""The rules a delivery follows, without a worker process: which addresses a target may resolve
to, https only, and retries that end in the dead letters once WEBHOOK_RETRY_FOR has passed."""

import ipaddress
import re
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks import Webhook

from factcheck import jobs
from factcheck.core.outbox import new_secret
from factcheck.jobs.delivery import Refused, check_address, send
from factcheck.settings import SettingsError, allowed_networks, from_env

from .conftest import ROOT, create_article, new_organization


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fd00:ec2::254",  # cloud metadata, IPv6
        "fe80::1",
        "::ffff:10.0.0.1",  # a private IPv4 address inside IPv6
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(Refused):
        check_address(ipaddress.ip_address(address), [])


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5"])
def test_public_addresses_pass(address: str) -> None:
    check_address(ipaddress.ip_address(address), [])


def test_an_allowed_network_lets_its_addresses_through_and_no_others() -> None:
    allowed = allowed_networks("127.0.0.2/32, 10.1.0.0/16")
    check_address(ipaddress.ip_address("127.0.0.2"), allowed)
    check_address(ipaddress.ip_address("10.1.2.3"), allowed)
    with pytest.raises(Refused):
        check_address(ipaddress.ip_address("127.0.0.1"), allowed)
    with pytest.raises(Refused, match="metadata"):
        check_address(ipaddress.ip_address("169.254.169.254"), allowed)


def test_http_targets_are_refused_unless_allowed() -> None:
    # Nothing listens there; the refusal comes before any connection.
    with socket.socket() as unused:
        unused.bind(("127.0.0.2", 0))
        port = unused.getsockname()[1]
    outcome = send(f"http://127.0.0.2:{port}/", "whsec_" + "A" * 44, "evt_1", "{}", 1.0, False, [])
    assert outcome.status is None
    assert outcome.error == "refused: http:// targets are not allowed"


def test_settings_are_checked() -> None:
    assert from_env({})["WEBHOOK_RETRY_FOR"] >= 24 * 3600
    with pytest.raises(SettingsError, match="WEBHOOK_ALLOWED_NETWORKS"):
        from_env({"WEBHOOK_ALLOWED_NETWORKS": "loopback"})
    with pytest.raises(SettingsError, match="WEBHOOK_TIMEOUT"):
        from_env({"WEBHOOK_TIMEOUT": "0"})
    with pytest.raises(SettingsError, match="JOBS_URL"):
        from_env({"JOBS_URL": "amqp://broker/"})


@pytest.fixture
def app(app: Flask, tmp_path: Path) -> Flask:
    app.config.update(
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        WEBHOOK_ALLOW_HTTP=True,
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.2/32",
        WEBHOOK_RETRY_BASE=0.1,
        WEBHOOK_RETRY_MAX_DELAY=0.2,
        # Long enough for three attempts even when the first comes late on a loaded machine
        # (the retries stop this long after the event, not after the first attempt).
        WEBHOOK_RETRY_FOR=3.0,
    )
    return app


def test_retries_back_off_and_end_dead_lettered(app: Flask, client: FlaskClient) -> None:
    admin = new_organization(app, "desk", "write admin")
    with socket.socket() as closed:
        closed.bind(("127.0.0.2", 0))
        port = closed.getsockname()[1]
    hook = client.post(
        "/api/v1/organizations/desk/webhooks",
        json={"url": f"http://127.0.0.2:{port}/", "events": ["article.updated"]},
        headers=admin,
    ).get_json()
    article = create_article(client, admin)
    client.patch(
        f"/api/v1/articles/{article.get_json()['id']}",
        json={"author": "Desk"},
        headers={**admin, "If-Match": article.headers["ETag"]},
    )
    path = f"/api/v1/organizations/desk/webhooks/{hook['id']}/deliveries"
    # This process sends what is due, as the worker would, until the delivery is given up.
    for _ in range(200):
        jobs.run_due()
        [delivery] = client.get(path, headers=admin).get_json()
        if delivery["status"] != "pending":
            break
        time.sleep(0.05)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] >= 3
    times = [entry["at"] for entry in delivery["log"]]
    assert times == sorted(times)
    assert all("ConnectionRefusedError" in entry["error"] for entry in delivery["log"])


def test_the_readmes_five_line_receiver_verifies_a_signed_delivery() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    [code] = [block for block in blocks if "standardwebhooks" in block]
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    secret = new_secret()
    namespace: dict[str, Any] = {"__name__": "readme_receiver"}
    exec(code.replace('"whsec_..."', repr(secret)), namespace)  # noqa: S102 - the README's own code
    receiver = namespace["app"].test_client()
    body = '{"type":"fact_check.published","timestamp":"2026-12-01T00:00:00+00:00","data":{}}'
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign("evt_1", now, body),
    }
    answer = receiver.post("/factcheck", data=body, headers=headers)
    assert answer.get_json()["type"] == "fact_check.published"
    forged = receiver.post(
        "/factcheck", data=body.replace("published", "retracted"), headers=headers
    )
    assert forged.status_code == 500

"""Key management by an organization's admins (issue 16, point 4): list, issue (shown once),
rotate with a grace period, revoke."""

import sqlite3

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url

from .desk import new_desk

KEYS = "/api/v1/organizations/desk/keys"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def can_write(client: FlaskClient, key: dict[str, str]) -> bool:
    """A valid key with the write scope gets as far as validation (422), another one 401."""
    status = client.post("/api/v1/articles", json={"headline": ""}, headers=key).status_code
    assert status in (401, 422), status
    return status == 422


def test_the_list_shows_each_working_key_never_its_secret(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    listed = client.get(KEYS, headers=desk.tool)
    assert listed.status_code == 200
    assert listed.headers["Cache-Control"] == "no-store"
    entries = listed.get_json()
    assert len(entries) == 4  # the tool's key and one per member
    tool, writer = entries[0], entries[1]
    assert tool["member"] is None and tool["scopes"] == ["admin", "publish", "write"]
    assert writer["member"] == {
        "id": desk.members["writer"],
        "name": "Writer Person",
        "role": "writer",
    }
    assert writer["scopes"] == ["write"]
    assert set(writer) == {
        "prefix",
        "name",
        "member",
        "scopes",
        "dateCreated",
        "dateLastUsed",
        "dateExpires",
    }
    assert "fck_" not in listed.get_data(as_text=True)


def test_last_used_is_noted(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    writer = next(
        e
        for e in client.get(KEYS, headers=desk.tool).get_json()
        if e["member"] and e["member"]["role"] == "writer"
    )
    assert writer["dateLastUsed"] is None
    assert can_write(client, desk.keys["writer"])
    after = next(
        e for e in client.get(KEYS, headers=desk.tool).get_json() if e["prefix"] == writer["prefix"]
    )
    assert after["dateLastUsed"] is not None


def test_a_tool_key_carries_its_scopes(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    made = client.post(KEYS, json={"name": "cms", "scopes": ["write"]}, headers=desk.tool)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["key"].startswith(f"fck_{body['prefix']}_")
    assert body["scopes"] == ["write"] and body["member"] is None
    key = bearer(body["key"])
    assert can_write(client, key)
    assert client.get(KEYS, headers=key).status_code == 403


def test_a_key_is_a_member_or_a_tool_not_both(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    for body in (
        {"name": "x", "scopes": ["write"], "memberId": desk.members["writer"]},
        {"name": "x"},
    ):
        response = client.post(KEYS, json=body, headers=desk.tool)
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["pointer"] == "/memberId"
    bad_scope = client.post(KEYS, json={"name": "x", "scopes": ["root"]}, headers=desk.tool)
    assert bad_scope.get_json()["errors"][0]["pointer"] == "/scopes/0"


def test_a_key_for_another_organization_member_is_not_found(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    response = client.post(
        KEYS, json={"name": "x", "memberId": rival.members["writer"]}, headers=desk.tool
    )
    assert response.status_code == 404
    assert client.get(KEYS, headers=rival.tool).status_code == 404


def test_a_rotated_key_works_for_the_grace_period(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    prefix = desk.keys["writer"]["Authorization"].split("_")[1]
    rotated = client.post(f"{KEYS}/{prefix}/rotate", headers=desk.tool)
    assert rotated.status_code == 201, rotated.get_json()
    new = rotated.get_json()
    assert new["prefix"] != prefix and new["member"]["id"] == desk.members["writer"]
    assert can_write(client, desk.keys["writer"]) and can_write(client, bearer(new["key"]))
    old = next(e for e in client.get(KEYS, headers=desk.tool).get_json() if e["prefix"] == prefix)
    assert old["dateExpires"] is not None


def test_without_a_grace_period_the_old_key_stops_at_once(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    app.config["KEY_ROTATION_GRACE_SECONDS"] = 0
    prefix = desk.keys["writer"]["Authorization"].split("_")[1]
    new = client.post(f"{KEYS}/{prefix}/rotate", headers=desk.tool).get_json()
    assert not can_write(client, desk.keys["writer"])
    assert can_write(client, bearer(new["key"]))
    prefixes = [e["prefix"] for e in client.get(KEYS, headers=desk.tool).get_json()]
    assert prefix not in prefixes and new["prefix"] in prefixes
    # An expired key is gone: it cannot be rotated again.
    assert client.post(f"{KEYS}/{prefix}/rotate", headers=desk.tool).status_code == 404


def test_a_revoked_key_stops_at_once(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    prefix = desk.keys["writer"]["Authorization"].split("_")[1]
    assert client.delete(f"{KEYS}/{prefix}", headers=desk.tool).status_code == 204
    assert not can_write(client, desk.keys["writer"])
    assert client.delete(f"{KEYS}/{prefix}", headers=desk.tool).status_code == 404


def test_only_admins_manage_keys(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    prefix = desk.keys["admin"]["Authorization"].split("_")[1]
    for role in ("writer", "editor"):
        key = desk.keys[role]
        assert client.get(KEYS, headers=key).status_code == 403
        assert (
            client.post(KEYS, json={"name": "x", "scopes": ["admin"]}, headers=key).status_code
            == 403
        )
        assert client.post(f"{KEYS}/{prefix}/rotate", headers=key).status_code == 403
        assert client.delete(f"{KEYS}/{prefix}", headers=key).status_code == 403
    assert client.get(KEYS, headers=desk.keys["admin"]).status_code == 200


def test_another_organization_key_cannot_be_revoked(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    prefix = rival.keys["writer"]["Authorization"].split("_")[1]
    assert client.delete(f"{KEYS}/{prefix}", headers=desk.tool).status_code == 404
    assert can_write(client, rival.keys["writer"])


def test_a_read_with_a_key_goes_on_while_another_writer_holds_sqlite(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    """Noting a key's last use is best effort: it never fails the request it was sent with."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    desk = new_desk(app, client)
    key = {"name": "reader", "scopes": ["write"]}
    reader = bearer(client.post(KEYS, json=key, headers=desk.tool).get_json()["key"])
    holder = sqlite3.connect(make_url(database_url).database or "")
    holder.isolation_level = None
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # Its first use: its last use is due to be noted, and cannot be.
        assert client.get("/api/v1/fact-checks", headers=reader).status_code == 200
    finally:
        holder.rollback()
        holder.close()
    listed = client.get(KEYS, headers=desk.tool).get_json()
    assert next(k for k in listed if k["name"] == "reader")["dateLastUsed"] is None

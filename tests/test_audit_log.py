"""The audit log of admin actions (issue 16, point 6): each action in its own transaction's
entry, newest first, for the organization's admins only."""

from flask import Flask
from flask.testing import FlaskClient

from .desk import new_desk
from .test_rating_scales import NEW_SCALE

LOG = "/api/v1/organizations/desk/audit-log"


def test_admin_actions_are_logged_newest_first(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    member = f"/api/v1/organizations/desk/members/{desk.members['writer']}"
    client.patch(member, json={"role": "editor"}, headers={**desk.tool, "If-Match": "*"})
    prefix = desk.keys["editor"]["Authorization"].split("_")[1]
    client.post(f"/api/v1/organizations/desk/keys/{prefix}/rotate", headers=desk.keys["admin"])
    client.put(
        "/api/v1/organizations/desk/review-policy",
        json={"approvalRequired": True},
        headers=desk.tool,
    )
    client.delete(member, headers={**desk.tool, "If-Match": "*"})
    log = client.get(LOG, headers=desk.tool)
    assert log.status_code == 200
    assert log.headers["Cache-Control"] == "no-store"
    entries = log.get_json()
    assert [e["action"] for e in entries] == [
        "member.remove",
        "review-policy.update",
        "key.rotate",
        "member.update",
        *["key.create", "member.add"] * 3,
    ]
    removed, policy, rotated, updated = entries[:4]
    assert removed["target"] == f"member:{desk.members['writer']}"
    assert len(removed["details"]["revokedKeys"]) == 1
    assert policy["details"] == {"approvalRequired": [False, True]}
    assert rotated["target"] == f"key:{prefix}" and rotated["memberId"] == desk.members["admin"]
    assert updated["details"] == {"role": ["writer", "editor"]}
    assert updated["memberId"] is None and updated["actor"].startswith("key:")


def test_a_refused_action_logs_nothing(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    before = client.get(LOG, headers=desk.tool).headers["X-Total-Count"]
    member = f"/api/v1/organizations/desk/members/{desk.members['writer']}"
    stale = client.patch(
        member,
        json={"role": "admin"},
        headers={**desk.tool, "If-Match": f'"member-{desk.members["writer"]}-v7"'},
    )
    assert stale.status_code == 412
    unchanged = client.patch(
        member, json={"role": "writer"}, headers={**desk.tool, "If-Match": "*"}
    )
    assert unchanged.status_code == 200
    assert client.get(LOG, headers=desk.tool).headers["X-Total-Count"] == before


def test_the_log_is_paged(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    page = client.get(LOG + "?pageSize=2&page=2", headers=desk.tool)
    assert [e["action"] for e in page.get_json()] == ["key.create", "member.add"]
    assert page.headers["X-Total-Count"] == "6"
    assert 'rel="next"' in page.headers["Link"]


def test_only_the_organization_admins_read_it(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    assert client.get(LOG).status_code == 401
    for role in ("writer", "editor"):
        assert client.get(LOG, headers=desk.keys[role]).status_code == 403
    assert client.get(LOG, headers=desk.keys["admin"]).status_code == 200
    assert client.get(LOG, headers=rival.tool).status_code == 404


def test_organization_changes_and_new_scales_are_logged(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    changed = client.patch(
        "/api/v1/organizations/desk",
        json={"correctionsPolicy": "https://desk.example/corrections"},
        headers={**desk.tool, "If-Match": "*"},
    )
    assert changed.status_code == 200, changed.get_json()
    added = client.post(
        "/api/v1/organizations/desk/rating-scales", json=NEW_SCALE, headers=desk.tool
    )
    assert added.status_code == 201, added.get_json()
    newest, patched = client.get(LOG, headers=desk.tool).get_json()[:2]
    assert newest["action"] == "rating-scale.add"
    assert newest["details"] == {"version": added.get_json()["version"]}
    assert patched["action"] == "organization.update"
    assert patched["target"] == "organization:desk"
    before, after = patched["details"]["correctionsPolicy"]
    assert after == "https://desk.example/corrections" and before != after

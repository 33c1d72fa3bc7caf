"""Members and roles (issue 16, point 2): an admin adds, changes and removes members; a member's
key acts with the member's role; revisions name the member to the organization only."""

from flask import Flask
from flask.testing import FlaskClient

from .conftest import create_article, create_fact_check
from .desk import add_member, member_key, new_desk


def test_an_admin_adds_lists_and_shows_members(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    listed = client.get("/api/v1/organizations/desk/members", headers=desk.tool)
    assert listed.status_code == 200
    assert [(m["name"], m["role"]) for m in listed.get_json()] == [
        ("Writer Person", "writer"),
        ("Editor Person", "editor"),
        ("Admin Person", "admin"),
    ]
    one = client.get(
        f"/api/v1/organizations/desk/members/{desk.members['writer']}", headers=desk.tool
    )
    assert one.get_json()["role"] == "writer"
    assert one.headers["ETag"] == f'"member-{desk.members["writer"]}-v1"'


def test_a_bad_role_is_422_with_a_pointer(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    response = client.post(
        "/api/v1/organizations/desk/members", json={"name": "X", "role": "owner"}, headers=desk.tool
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["pointer"] == "/role"


def test_a_member_key_acts_with_the_role(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    writer, editor = desk.keys["writer"], desk.keys["editor"]
    check = create_fact_check(client, writer, create_article(client, writer).get_json()["id"])
    publish = f"/api/v1/fact-checks/{check.get_json()['id']}/publish"
    refused = client.post(publish, headers={**writer, "If-Match": "*"})
    assert refused.status_code == 403
    assert client.post(publish, headers={**editor, "If-Match": "*"}).status_code == 200
    # Only an admin manages the desk.
    for role in ("writer", "editor"):
        members = client.get("/api/v1/organizations/desk/members", headers=desk.keys[role])
        assert members.status_code == 403


def test_a_change_of_role_takes_effect_on_the_next_request(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    path = f"/api/v1/organizations/desk/members/{desk.members['writer']}"
    assert (
        client.get("/api/v1/organizations/desk/members", headers=desk.keys["writer"]).status_code
        == 403
    )
    promoted = client.patch(
        path,
        json={"role": "admin"},
        headers={**desk.tool, "If-Match": f'"member-{desk.members["writer"]}-v1"'},
    )
    assert promoted.status_code == 200, promoted.get_json()
    assert promoted.get_json()["version"] == 2
    assert (
        client.get("/api/v1/organizations/desk/members", headers=desk.keys["writer"]).status_code
        == 200
    )


def test_a_member_change_needs_if_match(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    path = f"/api/v1/organizations/desk/members/{desk.members['writer']}"
    assert client.patch(path, json={"role": "editor"}, headers=desk.tool).status_code == 428
    stale = client.patch(
        path,
        json={"role": "editor"},
        headers={**desk.tool, "If-Match": f'"member-{desk.members["writer"]}-v9"'},
    )
    assert stale.status_code == 412


def test_a_removed_member_keys_stop_working(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    writer = desk.keys["writer"]
    assert client.post("/api/v1/articles", json={"headline": ""}, headers=writer).status_code == 422
    path = f"/api/v1/organizations/desk/members/{desk.members['writer']}"
    assert client.delete(path, headers={**desk.tool, "If-Match": "*"}).status_code == 204
    assert client.post("/api/v1/articles", json={"headline": ""}, headers=writer).status_code == 401
    assert client.get(path, headers=desk.tool).status_code == 404
    names = [
        m["name"]
        for m in client.get("/api/v1/organizations/desk/members", headers=desk.tool).get_json()
    ]
    assert "Writer Person" not in names


def test_another_organization_members_are_not_found(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    assert client.get("/api/v1/organizations/desk/members", headers=rival.tool).status_code == 404
    other = f"/api/v1/organizations/rival/members/{desk.members['writer']}"
    assert client.get(other, headers=rival.tool).status_code == 404


def test_revisions_name_the_member_to_the_organization_only(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    writer, editor = desk.keys["writer"], desk.keys["editor"]
    check = create_fact_check(client, writer, create_article(client, writer).get_json()["id"])
    fact_check_id = check.get_json()["id"]
    published = client.post(
        f"/api/v1/fact-checks/{fact_check_id}/publish", headers={**editor, "If-Match": "*"}
    )
    assert published.status_code == 200
    history = f"/api/v1/fact-checks/{fact_check_id}/revisions"
    own = client.get(history, headers=writer).get_json()
    assert [(e["action"], e["member"]["name"]) for e in own] == [
        ("create", "Writer Person"),
        ("publish", "Editor Person"),
    ]
    assert own[0]["member"] == {
        "id": desk.members["writer"],
        "name": "Writer Person",
        "role": "writer",
    }
    public = client.get(history).get_json()
    assert public and all("member" not in entry for entry in public)
    assert all(entry["actor"] == "desk" for entry in public)
    rival = new_desk(app, client, "rival")
    assert all("member" not in e for e in client.get(history, headers=rival.tool).get_json())


def test_tool_keys_keep_their_scopes_and_name_no_member(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    check = create_fact_check(client, desk.tool, create_article(client, desk.tool).get_json()["id"])
    own = client.get(f"/api/v1/fact-checks/{check.get_json()['id']}/revisions", headers=desk.tool)
    assert "member" not in own.get_json()[0]
    assert own.get_json()[0]["actor"].startswith("key:")


def test_a_second_member_key_is_the_same_member(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    member = add_member(client, desk.tool, "desk", "Sam", "writer")
    first = member_key(client, desk.tool, "desk", member["id"], "laptop")
    second = member_key(client, desk.tool, "desk", member["id"], "phone")
    assert first != second
    for key in (first, second):
        assert (
            client.post("/api/v1/articles", json={"headline": ""}, headers=key).status_code == 422
        )

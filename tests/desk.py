"""A desk set up through the API, as an admin would: an organization with an admin tool key
(from the CLI's use case), members with roles, and a key for each member."""

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from .conftest import new_organization

ADMIN_SCOPES = "write publish admin"


@dataclass
class Desk:
    slug: str
    # The organization's first key: a tool key with every scope, as `flask create-api-key` makes.
    tool: dict[str, str]
    # Member id and key header of each role's member.
    members: dict[str, int]
    keys: dict[str, dict[str, str]]


def add_member(
    client: FlaskClient, admin: dict[str, str], slug: str, name: str, role: str
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/organizations/{slug}/members", json={"name": name, "role": role}, headers=admin
    )
    assert response.status_code == 201, response.get_json()
    member: dict[str, Any] = response.get_json()
    return member


def member_key(
    client: FlaskClient, admin: dict[str, str], slug: str, member_id: int, name: str = "laptop"
) -> dict[str, str]:
    response = client.post(
        f"/api/v1/organizations/{slug}/keys",
        json={"name": name, "memberId": member_id},
        headers=admin,
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['key']}"}


def new_desk(app: Flask, client: FlaskClient, slug: str = "desk") -> Desk:
    tool = new_organization(app, slug, scopes=ADMIN_SCOPES)
    members, keys = {}, {}
    for role in ("writer", "editor", "admin"):
        member = add_member(client, tool, slug, f"{role.title()} Person", role)
        members[role] = member["id"]
        keys[role] = member_key(client, tool, slug, member["id"])
    return Desk(slug, tool, members, keys)

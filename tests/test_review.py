"""The review step (issue 16, point 3): draft -> in review -> approved -> published, a rejection
back to draft with a comment that is never public, the organization's approval policy, and 409
naming the allowed moves."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage import store

from .conftest import create_article, create_fact_check
from .desk import Desk, add_member, member_key, new_desk


def draft(client: FlaskClient, key: dict[str, str]) -> int:
    article = create_article(client, key).get_json()["id"]
    fact_check_id: int = create_fact_check(client, key, article).get_json()["id"]
    return fact_check_id


def move(
    client: FlaskClient, key: dict[str, str], fact_check_id: int, name: str, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/fact-checks/{fact_check_id}/{name}",
        json=body,
        headers={**key, "If-Match": "*"},
    )


def require_approval(client: FlaskClient, desk: Desk) -> None:
    response = client.put(
        f"/api/v1/organizations/{desk.slug}/review-policy",
        json={"approvalRequired": True},
        headers=desk.tool,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"approvalRequired": True}


def test_submit_approve_publish(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    fact_check_id = draft(client, desk.keys["writer"])
    submitted = move(client, desk.keys["writer"], fact_check_id, "submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "in_review"
    approved = move(client, desk.keys["editor"], fact_check_id, "approve")
    assert approved.get_json()["status"] == "approved"
    published = move(client, desk.keys["editor"], fact_check_id, "publish")
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"


@pytest.mark.parametrize("status", ["in_review", "approved"])
def test_work_in_review_is_not_public(app: Flask, client: FlaskClient, status: str) -> None:
    desk = new_desk(app, client)
    fact_check_id = draft(client, desk.keys["writer"])
    move(client, desk.keys["writer"], fact_check_id, "submit")
    if status == "approved":
        move(client, desk.keys["editor"], fact_check_id, "approve")
    path = f"/api/v1/fact-checks/{fact_check_id}"
    assert client.get(path).status_code == 404
    assert client.get(path + "/claimreview").status_code == 404
    assert client.get(path + "/revisions").status_code == 404
    own = client.get(path, headers=desk.keys["writer"])
    assert own.get_json()["status"] == status
    assert "public" not in own.headers.get("Cache-Control", "")


def test_a_move_that_is_not_allowed_is_409_naming_the_allowed_ones(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    fact_check_id = draft(client, desk.keys["writer"])
    refused = move(client, desk.keys["editor"], fact_check_id, "approve")
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["detail"].endswith("Allowed: submit, publish.")
    move(client, desk.keys["writer"], fact_check_id, "submit")
    again = move(client, desk.keys["writer"], fact_check_id, "submit")
    assert again.status_code == 409
    assert again.get_json()["detail"].endswith("Allowed: approve, reject.")
    published = move(client, desk.keys["editor"], fact_check_id, "publish")
    assert published.status_code == 409


def test_a_writer_submits_but_does_not_approve(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    fact_check_id = draft(client, desk.keys["writer"])
    move(client, desk.keys["writer"], fact_check_id, "submit")
    assert move(client, desk.keys["writer"], fact_check_id, "approve").status_code == 403
    assert (
        move(client, desk.keys["writer"], fact_check_id, "reject", comment="x").status_code == 403
    )


def test_with_the_policy_a_draft_cannot_be_published_directly(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    require_approval(client, desk)
    fact_check_id = draft(client, desk.keys["writer"])
    refused = move(client, desk.keys["editor"], fact_check_id, "publish")
    assert refused.status_code == 409
    assert refused.get_json()["detail"].endswith("Allowed: submit.")


def test_with_the_policy_the_last_editor_cannot_approve(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    require_approval(client, desk)
    editor = desk.keys["editor"]
    fact_check_id = draft(client, editor)
    move(client, editor, fact_check_id, "submit")
    own = move(client, editor, fact_check_id, "approve")
    assert own.status_code == 403
    assert "other than the last editor" in own.get_json()["detail"]
    # Another key of the same member is the same member.
    second = member_key(client, desk.tool, desk.slug, desk.members["editor"], "phone")
    assert move(client, second, fact_check_id, "approve").status_code == 403
    other = member_key(
        client,
        desk.tool,
        desk.slug,
        add_member(client, desk.tool, desk.slug, "Ed Two", "editor")["id"],
    )
    assert move(client, other, fact_check_id, "approve").status_code == 200
    assert move(client, editor, fact_check_id, "publish").status_code == 200


def test_an_edit_after_approval_takes_it_back_to_draft(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    require_approval(client, desk)
    fact_check_id = draft(client, desk.keys["writer"])
    move(client, desk.keys["writer"], fact_check_id, "submit")
    move(client, desk.keys["editor"], fact_check_id, "approve")
    edited = client.patch(
        f"/api/v1/fact-checks/{fact_check_id}",
        json={"reviewBody": "Rewritten after the approval."},
        headers={**desk.keys["writer"], "If-Match": "*"},
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "draft"
    assert move(client, desk.keys["editor"], fact_check_id, "publish").status_code == 409


def test_a_rejection_keeps_its_comment_with_the_revision_never_public(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    writer, editor = desk.keys["writer"], desk.keys["editor"]
    fact_check_id = draft(client, writer)
    move(client, writer, fact_check_id, "submit")
    rejected = move(client, editor, fact_check_id, "reject", comment="Cite the 2023 figures too.")
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "draft"
    history = f"/api/v1/fact-checks/{fact_check_id}/revisions"
    entries = client.get(history, headers=writer).get_json()
    assert entries[-1]["action"] == "reject"
    assert entries[-1]["comment"] == "Cite the 2023 figures too."
    assert entries[-1]["changes"] == {"status": ["in_review", "draft"]}
    move(client, writer, fact_check_id, "submit")
    move(client, editor, fact_check_id, "approve")
    move(client, editor, fact_check_id, "publish")
    public = client.get(history)
    assert "2023 figures" not in public.get_data(as_text=True)
    assert [entry["action"] for entry in public.get_json()] == ["publish"]
    assert "status" not in public.get_json()[0]["changes"]


def test_a_rejection_needs_a_comment(app: Flask, client: FlaskClient) -> None:
    desk = new_desk(app, client)
    fact_check_id = draft(client, desk.keys["writer"])
    move(client, desk.keys["writer"], fact_check_id, "submit")
    response = move(client, desk.keys["editor"], fact_check_id, "reject")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/comment"


def test_review_moves_of_another_organization_are_not_found(
    app: Flask, client: FlaskClient
) -> None:
    desk = new_desk(app, client)
    rival = new_desk(app, client, "rival")
    fact_check_id = draft(client, desk.keys["writer"])
    assert move(client, rival.keys["admin"], fact_check_id, "submit").status_code == 404


def test_the_seed_goes_through_the_review(app: Flask, seeded: list[str]) -> None:
    with app.app_context():
        checks = store.fact_checks(None, 1, 100)[0]
        assert checks and all(check.status == "published" for check in checks)
        for check in checks:
            actions = [revision.action for revision in store.revisions(check.id)]
            assert actions == ["create", "submit", "approve", "publish"]

"""Issue 16, point 1: versioned rating scales. A new scale is a new version, with a definition per
label; a fact-check keeps the version it was rated on, so a new scale never reinterprets an old
verdict."""

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from factcheck import create_app
from factcheck.storage.db import db

from . import conftest
from .conftest import FACT_CHECK, create_article, create_fact_check, publish
from .test_errors import assert_problem
from .test_organizations_admin import admin  # noqa: F401  (a fixture)

SCALES = "/api/v1/organizations/desk/rating-scales"
NEW_SCALE = {
    "worstRating": 1,
    "bestRating": 3,
    "labels": [
        {"ratingValue": 1, "alternateName": "Wrong", "definition": "The record says otherwise."},
        {"ratingValue": 2, "alternateName": "Partly", "definition": "Right in part only."},
        {"ratingValue": 3, "alternateName": "Right", "definition": "The record bears it out."},
    ],
    "offScale": [{"alternateName": "Unproven", "definition": "No record either way."}],
}
ON_NEW_SCALE = {"ratingValue": 1, "bestRating": 3, "worstRating": 1, "alternateName": "Wrong"}


def new_scale(client: FlaskClient, headers: dict[str, str], body: Any = None, **extra: str) -> Any:
    return client.post(
        SCALES, json=NEW_SCALE if body is None else body, headers={**headers, **extra}
    )


def test_every_organization_starts_on_version_1_of_its_scale(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = client.get(SCALES)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    (first,) = response.get_json()
    assert first["version"] == 1
    assert [label["alternateName"] for label in first["labels"]][:2] == ["False", "Mostly false"]
    assert "definition" not in first["labels"][0]
    assert client.get("/api/v1/organizations/desk").get_json()["ratingScaleVersion"] == 1


def test_a_new_scale_is_the_next_version_and_the_current_one(
    client: FlaskClient,
    admin: dict[str, str],  # noqa: F811
) -> None:
    before = client.get("/api/v1/organizations/desk")
    response = new_scale(client, admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 2
    assert {key: body[key] for key in NEW_SCALE} == NEW_SCALE
    assert response.headers["Location"].endswith("/api/v1/organizations/desk/rating-scales/2")
    assert client.get(response.headers["Location"]).get_json() == body
    assert [scale["version"] for scale in client.get(SCALES).get_json()] == [1, 2]
    after = client.get("/api/v1/organizations/desk")
    organization = after.get_json()
    assert organization["ratingScaleVersion"] == 2
    assert organization["ratingScale"]["offScale"] == ["Unproven"]
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_verdict_keeps_the_scale_it_was_given_on(
    client: FlaskClient,
    writer: dict[str, str],
    admin: dict[str, str],  # noqa: F811
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    old = create_fact_check(client, writer, article_id)
    assert publish(client, writer, old).status_code == 200
    old_path = f"/api/v1/fact-checks/{old.get_json()['id']}"
    claimreview_before = client.get(old_path + "/claimreview").get_json()
    page_before = client.get(old_path.removeprefix("/api/v1")).get_data(as_text=True)
    assert new_scale(client, admin).status_code == 201

    kept = client.get(old_path).get_json()
    assert kept["ratingScaleVersion"] == 1
    assert kept["rating"]["alternateName"] == "Mostly false"
    assert client.get(old_path + "/claimreview").get_json() == claimreview_before
    # Its page still draws the verdict on the labels it was given with.
    page = client.get(old_path.removeprefix("/api/v1")).get_data(as_text=True)
    assert "Mostly true" in page and "Mostly true" in page_before

    # From now on verdicts are checked against version 2, and marked with it.
    refused = create_fact_check_response(client, writer, article_id, FACT_CHECK["rating"])
    problem = assert_problem(refused, 422)
    assert "/rating/bestRating" in {error["pointer"] for error in problem["errors"]}
    new = create_fact_check(client, writer, article_id, rating=ON_NEW_SCALE)
    assert new.get_json()["ratingScaleVersion"] == 2


def test_a_correction_of_an_old_verdict_is_given_on_the_current_scale(
    client: FlaskClient,
    writer: dict[str, str],
    admin: dict[str, str],  # noqa: F811
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    old = create_fact_check(client, writer, article_id)
    published = publish(client, writer, old)
    assert new_scale(client, admin).status_code == 201
    corrected = client.patch(
        f"/api/v1/fact-checks/{old.get_json()['id']}",
        json={"rating": ON_NEW_SCALE, "correction": "Rated again on the new scale."},
        headers={**writer, "If-Match": published.headers["ETag"]},
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["ratingScaleVersion"] == 2


def create_fact_check_response(
    client: FlaskClient, headers: dict[str, str], article_id: int, rating: dict[str, Any]
) -> Any:
    return client.post(
        f"/api/v1/articles/{article_id}/fact-checks",
        json={**FACT_CHECK, "rating": rating},
        headers=headers,
    )


def with_label(index: int, **fields: Any) -> dict[str, Any]:
    labels = [dict(label) for label in NEW_SCALE["labels"]]  # type: ignore[attr-defined]
    labels[index].update(fields)
    return {**NEW_SCALE, "labels": labels}


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({**NEW_SCALE, "worstRating": 3}, ["/worstRating"]),
        ({**NEW_SCALE, "worstRating": 0}, ["/worstRating"]),
        (with_label(1, ratingValue=1), ["/labels/1/ratingValue"]),
        (with_label(2, ratingValue=4), ["/labels/2/ratingValue"]),
        (with_label(2, alternateName="Wrong"), ["/labels/2/alternateName"]),
        (with_label(0, definition=""), ["/labels/0/definition"]),
        (
            {**NEW_SCALE, "labels": [{"ratingValue": 1, "alternateName": "X"}]},
            ["/labels/0/definition"],
        ),
        ({**NEW_SCALE, "labels": []}, ["/labels"]),
        (
            {**NEW_SCALE, "offScale": [{"alternateName": "Right", "definition": "Taken."}]},
            ["/offScale/0/alternateName"],
        ),
        ({**NEW_SCALE, "version": 7}, ["/version"]),
        (with_label(0, definition="x" * 2001), ["/labels/0/definition"]),
    ],
)
def test_a_bad_scale_is_422_with_a_pointer_each(
    client: FlaskClient,
    admin: dict[str, str],  # noqa: F811
    body: dict[str, Any],
    pointers: list[str],
) -> None:
    problem = assert_problem(new_scale(client, admin, body), 422)
    assert sorted({error["pointer"] for error in problem["errors"]}) == pointers
    assert len(client.get(SCALES).get_json()) == 1


def test_only_an_admin_of_the_organization_adds_a_scale(
    app: Flask, client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    from .test_organizations_admin import key_of

    assert_problem(new_scale(client, {}), 401)
    assert_problem(new_scale(client, writer, {"worstRating": "bad"}), 403)
    assert_problem(new_scale(client, key_of(app, "rival", "admin")), 404)
    assert len(client.get(SCALES).get_json()) == 1


def test_a_retry_with_the_same_idempotency_key_adds_one_version(
    client: FlaskClient,
    admin: dict[str, str],  # noqa: F811
) -> None:
    first = new_scale(client, admin, **{"Idempotency-Key": "scale-2"})
    again = new_scale(client, admin, **{"Idempotency-Key": "scale-2"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data()
    assert [scale["version"] for scale in client.get(SCALES).get_json()] == [1, 2]


def test_unknown_versions_and_organizations_are_404(client: FlaskClient, writer: Any) -> None:
    assert_problem(client.get(SCALES + "/2"), 404)
    assert_problem(client.get("/api/v1/organizations/nobody/rating-scales"), 404)


def test_the_list_is_cached_and_follows_a_new_version(
    client: FlaskClient,
    admin: dict[str, str],  # noqa: F811
) -> None:
    first = client.get(SCALES)
    assert client.get(SCALES, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert new_scale(client, admin).status_code == 201
    assert len(client.get(SCALES).get_json()) == 2


def test_the_migration_makes_version_1_of_each_scale_and_typed_corrections(tmp_path: Path) -> None:
    """0011 on a database at 0008 with an organization, a rated fact-check and a correction."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    url = (
        conftest._create_postgres_database(base)
        if base.startswith("postgres")
        else f"sqlite:///{tmp_path / 'at-0008.sqlite3'}"
    )
    try:
        app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
        with app.app_context():
            upgrade(revision="0008")
            scale = (
                '{"worstRating": 1, "bestRating": 2, "labels": [{"ratingValue": 1, '
                '"alternateName": "No"}, {"ratingValue": 2, "alternateName": "Yes"}], '
                '"offScale": ["Unclear"]}'
            )
            statements = [
                "INSERT INTO organizations (id, slug, name, url, rating_scale, version, "
                f"date_created, date_modified) VALUES (1, 'old', 'Old', 'https://old.example/', "
                f"'{scale}', 1, '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00')",
                "INSERT INTO articles (id, organization_id, headline, in_language, version, "
                "date_created, date_modified) VALUES (1, 1, 'A', 'en', 1, "
                "'2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00')",
                "INSERT INTO fact_checks (id, organization_id, article_id, status, version, "
                "claim_reviewed, claim_appearances, alternate_name, rating_value, best_rating, "
                "worst_rating, evidence, in_language, date_created, date_modified) "
                "VALUES (1, 1, 1, 'published', 1, 'C', '[]', 'Yes', 2, 2, 1, '[]', 'en', "
                "'2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00')",
                "INSERT INTO corrections (id, fact_check_id, note, date_created) VALUES "
                "(1, 1, 'Fixed.', '2024-01-02 00:00:00+00')",
            ]
            for statement in statements:
                db.session.execute(text(statement))
            db.session.commit()
            upgrade()
            from factcheck.storage import store
            from factcheck.storage.models import Correction, FactCheck

            (first,) = store.rating_scales(1)
            assert first.version == 1
            assert first.scale["offScale"] == [{"alternateName": "Unclear"}]
            assert first.scale["labels"][1] == {"ratingValue": 2, "alternateName": "Yes"}
            check = db.session.get(FactCheck, 1)
            assert check is not None and check.rating_scale_version == 1
            correction = db.session.get(Correction, 1)
            assert correction is not None and correction.kind == "correction"
            db.session.remove()
            db.engine.dispose()
    finally:
        if base.startswith("postgres"):
            conftest._drop_postgres_database(base, url)

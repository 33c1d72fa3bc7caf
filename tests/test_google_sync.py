"""`flask google-sync`: one instance's published fact-checks pushed to another instance's pages.*
with Google's client, two real servers on two databases, until no difference is left."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from factcheck.core import keys
from factcheck.storage import store
from factcheck.storage.db import db

from . import google_client
from .conftest import make_app, migrated_database, new_organization
from .redis_server import RedisServer

SEED_PAGE = "https://factcheck.example.org/checks/trt-world-2022-03-17"
# What each side sets itself; the rest is what a page says.
OWN_FIELDS = {"name", "versionId", "publishDate", "claimReviewAuthor"}


@pytest.fixture
def target_database(tmp_path: Any) -> Iterator[str]:
    """The second instance's database, of the same kind as the suite's."""
    with migrated_database(tmp_path / "target.sqlite3") as url:
        yield url


@pytest.fixture
def target(target_database: str, redis_server: RedisServer) -> Iterator[tuple[str, str]]:
    """The other instance, serving, and the API key of its organization."""
    app = make_app(target_database, redis_server.url, SITE_URL="http://mirror.test")
    headers = new_organization(app, "mirror")
    with google_client.serving(app) as url:
        yield url, google_client.bearer(headers)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def source(app: Flask, seeded: list[str]) -> Iterator[tuple[str, str]]:
    with app.app_context():
        organization = store.organization_by_slug("example-desk")
        assert organization is not None
        key = keys.issue(organization.id, "sync", frozenset({"write", "publish"}))
    with google_client.serving(app) as url:
        yield url, key


def sync(runner: FlaskCliRunner, target: tuple[str, str], *extra: str) -> list[str]:
    endpoint, key = target
    result = runner.invoke(
        args=["google-sync", "--org", "example-desk", "--endpoint", endpoint, *extra],
        env={"GOOGLE_SYNC_TOKEN": key},
    )
    assert result.exit_code == 0, result.output
    # The app's JSON log lines (the servers run in this process) are not the command's output.
    return [line for line in result.output.splitlines() if not line.startswith("{")]


def said(endpoint_and_key: tuple[str, str]) -> list[dict[str, Any]]:
    """Every page the instance lists, as far as a page says anything (not what it sets itself)."""
    pages = google_client.client(*endpoint_and_key).pages()
    found, request = [], pages.list(pageSize=100)
    while request is not None:
        answer = request.execute()
        found += answer.get("claimReviewMarkupPages", [])
        request = pages.list_next(request, answer)
    return [{k: v for k, v in page.items() if k not in OWN_FIELDS} for page in found]


def test_the_seed_moves_with_no_difference_left(
    runner: FlaskCliRunner, source: tuple[str, str], target: tuple[str, str]
) -> None:
    assert sync(runner, target, "--dry-run") == [
        f"would create {SEED_PAGE}: 13 markups",
        "would create 1, would update 0, would delete 0 pages",
    ]
    assert said(target) == []

    assert sync(runner, target) == [
        f"create {SEED_PAGE}: 13 markups",
        "create 1, update 0, delete 0 pages",
    ]
    assert said(target) == said(source)
    assert len(said(target)[0]["claimReviewMarkups"]) == 13

    # Idempotent: nothing to do, and nothing is done.
    assert sync(runner, target, "--dry-run") == ["no difference"]
    assert sync(runner, target) == ["no difference"]
    assert said(target) == said(source)


def test_corrections_and_retractions_follow(
    app: Flask, runner: FlaskCliRunner, source: tuple[str, str], target: tuple[str, str]
) -> None:
    sync(runner, target)
    client, key = app.test_client(), {"Authorization": f"Bearer {source[1]}"}
    check = client.get(
        f"/api/v1/fact-checks?url={SEED_PAGE}%23beijing-olympics-dates", headers=key
    ).get_json()[0]
    corrected = client.patch(
        f"/api/v1/fact-checks/{check['id']}",
        headers={**key, "If-Match": "*"},
        json={
            "rating": {**check["rating"], "ratingValue": 4, "alternateName": "Mostly true"},
            "correction": "The closing date was off by a day.",
        },
    )
    assert corrected.status_code == 200, corrected.get_json()
    other = client.get(f"/api/v1/fact-checks?url={SEED_PAGE}%23us-china-trade-war").get_json()[0]
    retracted = client.post(
        f"/api/v1/fact-checks/{other['id']}/retract",
        headers={**key, "If-Match": "*"},
        json={"note": "The source was misread."},
    )
    assert retracted.status_code == 200, retracted.get_json()

    # A page of its own, made and then deleted on the source: deleted on the target too.
    pages = google_client.client(*source).pages()
    extra = pages.create(
        body={
            "pageUrl": "https://factcheck.example.org/checks/extra",
            "claimReviewMarkups": [
                {"claimReviewed": "An extra claim", "rating": {"textualRating": "Satire"}}
            ],
        }
    ).execute()
    assert sync(runner, target, "--dry-run") == [
        f"would update {SEED_PAGE}: changed {SEED_PAGE}#beijing-olympics-dates; "
        f"removed {SEED_PAGE}#us-china-trade-war",
        "would create https://factcheck.example.org/checks/extra: 1 markup",
        "would create 1, would update 1, would delete 0 pages",
    ]
    assert sync(runner, target)[-1] == "create 1, update 1, delete 0 pages"
    pages.delete(name=extra["name"]).execute()

    plan = sync(runner, target, "--dry-run")
    assert plan == [
        "would delete https://factcheck.example.org/checks/extra",
        "would create 0, would update 0, would delete 1 pages",
    ]
    assert sync(runner, target)[-1] == "create 0, update 0, delete 1 pages"
    assert said(target) == said(source)
    [mirrored] = said(target)
    assert len(mirrored["claimReviewMarkups"]) == 12
    by_url = {m["url"]: m for m in mirrored["claimReviewMarkups"]}
    assert by_url[f"{SEED_PAGE}#beijing-olympics-dates"]["rating"]["textualRating"] == "Mostly true"
    assert sync(runner, target) == ["no difference"]

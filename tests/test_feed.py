"""GET /api/v1/feed: a DataFeed that a polling mirror can replay to an identical copy."""

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import keys
from factcheck.storage import records, store

from .checks import published_check
from .conftest import new_organization

FEED = "/api/v1/feed"


class Mirror:
    """An aggregator's copy: fact-check @id -> ClaimReview, kept by polling the feed."""

    def __init__(self, client: FlaskClient, page_size: int = 2) -> None:
        self.client, self.page_size = client, page_size
        self.copy: dict[str, dict[str, Any]] = {}
        self.cursor: str | None = None

    def poll(self) -> list[str]:
        """Read every page after the cursor; the @ids seen, in order."""
        seen: list[str] = []
        while True:
            params: dict[str, Any] = {"pageSize": self.page_size}
            if self.cursor:
                params["since"] = self.cursor
            response = self.client.get(FEED, query_string=params)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            for element in body["dataFeedElement"]:
                seen.append(element["@id"])
                if "dateDeleted" in element:
                    assert "item" not in element
                    self.copy.pop(element["@id"], None)
                else:
                    self.copy[element["@id"]] = element["item"]
            self.cursor = body["nextCursor"]
            if not body["dataFeedElement"]:
                return seen


def source(client: FlaskClient, ids: list[int]) -> dict[str, dict[str, Any]]:
    """What the service publishes now, read one fact-check at a time."""
    copy = {}
    for check_id in ids:
        response = client.get(f"/api/v1/fact-checks/{check_id}/claimreview")
        if response.status_code == 200 and "Retracted" not in response.get_data(as_text=True):
            copy[f"http://factcheck.test/api/v1/fact-checks/{check_id}"] = response.get_json()
    return copy


def _patch(client: FlaskClient, headers: dict[str, str], check: dict[str, Any], **body: Any) -> Any:
    response = client.patch(
        f"/api/v1/fact-checks/{check['id']}",
        json=body,
        headers={**headers, "If-Match": check["etag"]},
    )
    assert response.status_code == 200, response.get_json()
    return response


def test_a_mirror_replaying_the_feed_ends_identical(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    first = published_check(client, writer, "Wages doubled")
    second = published_check(client, writer, "Rents fell")
    third = published_check(client, writer, "Crime halved")
    draft = published_check(client, writer, "Taxes rose", draft=True)
    ids = [first["id"], second["id"], third["id"], draft["id"]]
    mirror = Mirror(client)
    assert len(mirror.poll()) == 3
    assert mirror.copy == source(client, ids)

    _patch(
        client,
        writer,
        first,
        rating={**first["rating"], "alternateName": "False", "ratingValue": 1},
        correction="The rating was too mild.",
    )
    retracted = client.post(
        f"/api/v1/fact-checks/{second['id']}/retract",
        json={"note": "Wrong figures."},
        headers={**writer, "If-Match": second["etag"]},
    )
    assert retracted.status_code == 200
    publish_draft = client.post(
        f"/api/v1/fact-checks/{draft['id']}/publish",
        headers={**writer, "If-Match": draft["etag"]},
    )
    assert publish_draft.status_code == 200
    article = client.get(f"/api/v1/articles/{third['articleId']}", headers=writer)
    renamed = client.patch(
        f"/api/v1/articles/{third['articleId']}",
        json={"headline": "A renamed story"},
        headers={**writer, "If-Match": article.headers["ETag"]},
    )
    assert renamed.status_code == 200

    changed = mirror.poll()
    # Each changed fact-check exactly once, in the order of the changes.
    assert changed == [
        f"http://factcheck.test/api/v1/fact-checks/{check_id}"
        for check_id in (first["id"], second["id"], draft["id"], third["id"])
    ]
    assert mirror.copy == source(client, ids)
    assert mirror.copy[changed[3]]["itemReviewed"]["appearance"][0]["headline"] == (
        "A renamed story"
    )
    assert changed[1] not in mirror.copy
    assert mirror.poll() == []


def test_a_change_while_paging_is_seen_again_later(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    first = published_check(client, writer, "Wages doubled")
    second = published_check(client, writer, "Rents fell")
    page = client.get(FEED, query_string={"pageSize": 1}).get_json()
    assert [e["item"]["claimReviewed"] for e in page["dataFeedElement"]] == ["Wages doubled"]
    _patch(client, writer, first, reviewBody="Clearer wording.")
    rest = client.get(FEED, query_string={"since": page["nextCursor"]}).get_json()
    assert [e["item"]["claimReviewed"] for e in rest["dataFeedElement"]] == [
        "Rents fell",
        "Wages doubled",
    ]
    assert rest["dataFeedElement"][1]["item"]["reviewBody"] == "Clearer wording."
    assert second["id"] != first["id"]


def test_the_feed_is_a_schema_org_data_feed(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(client, writer, "Wages doubled")
    response = client.get(FEED)
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["@context"] == "https://schema.org" and body["@type"] == "DataFeed"
    (element,) = body["dataFeedElement"]
    assert element["@type"] == "DataFeedItem"
    assert element["dateCreated"] == check["dateCreated"]
    assert element["dateModified"] == check["dateModified"]
    assert element["item"] == client.get(f"/api/v1/fact-checks/{check['id']}/claimreview").json
    again = client.get(FEED, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_full_page_links_to_the_next(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Wages doubled")
    published_check(client, writer, "Rents fell")
    first = client.get(FEED, query_string={"pageSize": 1})
    assert 'rel="next"' in first.headers["Link"]
    assert first.get_json()["nextCursor"] in first.headers["Link"]
    last = client.get(FEED, query_string={"pageSize": 5})
    assert "Link" not in last.headers


def test_a_forged_cursor_is_a_problem(client: FlaskClient) -> None:
    for forged in ("nope", "Zi0x", "bzE"):  # not base64 of f<n>; f-1; a search token
        response = client.get(FEED, query_string={"since": forged})
        assert response.status_code == 400, forged
        assert response.mimetype == "application/problem+json"


def test_a_poll_between_two_concurrent_writes_misses_neither(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    """The first writer takes sequence n and commits late; the second takes n+1. A poll while the
    first is still open must not move the cursor past n, or n would never be seen."""
    first = published_check(client, writer, "Wages doubled")
    second = published_check(client, writer, "Rents fell")
    cursor = client.get(FEED).get_json()["nextCursor"]
    recorded, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with app.app_context():
            with store.unit_of_work():
                records.record_feed_change(first["id"])
                # The feed's statements run just before the COMMIT: wait after them, between
                # the sequence taken and the commit.
                store.before_commit(lambda: (recorded.set(), release.wait(10)))

    def quick_writer() -> None:
        with app.app_context():
            with store.unit_of_work():
                records.record_feed_change(second["id"])

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert recorded.wait(10)
    quick = threading.Thread(target=quick_writer)
    quick.start()
    quick.join(0.5)
    between = client.get(FEED, query_string={"since": cursor}).get_json()
    release.set()
    slow.join(10)
    quick.join(10)
    after = client.get(FEED, query_string={"since": between["nextCursor"]}).get_json()
    seen = [
        element["item"]["claimReviewed"]
        for page in (between, after)
        for element in page["dataFeedElement"]
    ]
    assert seen == ["Wages doubled", "Rents fell"]


def test_the_feed_names_itself_and_its_latest_change(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert "dateModified" not in client.get(FEED).get_json()
    published_check(client, writer, "Wages doubled")
    latest = published_check(client, writer, "Rents fell")
    body = client.get(FEED).get_json()
    assert body["name"] == "Fact-checks published at http://factcheck.test"
    assert body["dateModified"] == latest["dateModified"]


def test_a_full_page_names_the_next_in_its_body_as_in_its_link(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    published_check(client, writer, "Wages doubled")
    published_check(client, writer, "Rents fell")
    first = client.get(FEED, query_string={"pageSize": 1, "inLanguage": "en"})
    body = first.get_json()
    assert first.headers["Link"] == f'<{body["nextPage"]}>; rel="next"'
    assert "inLanguage=en" in body["nextPage"] and f"since={body['nextCursor']}" in body["nextPage"]
    following = client.get(body["nextPage"].removeprefix("http://factcheck.test"))
    assert [e["item"]["claimReviewed"] for e in following.get_json()["dataFeedElement"]] == [
        "Rents fell"
    ]
    assert "nextPage" not in client.get(FEED, query_string={"pageSize": 5}).get_json()


def test_each_claimreview_carries_its_organizations_sd_license(
    client: FlaskClient, runner: Any, app: Flask
) -> None:
    licence = "https://creativecommons.org/licenses/by/4.0/"
    made = runner.invoke(
        args=["create-org", "desk", "--name", "Desk", "--url", "https://desk.example.org/"]
        + ["--sd-license", licence]
    )
    assert made.exit_code == 0, made.output
    refused = runner.invoke(
        args=["create-org", "bad", "--name", "Bad", "--url", "https://bad.example.org/"]
        + ["--sd-license", "javascript:alert(1)"]
    )
    assert refused.exit_code == 2 and "Invalid value for '--sd-license'" in refused.output
    with app.app_context():
        desk = store.organization_by_slug("desk")
        assert desk is not None
        token = keys.issue(desk.id, "tests", frozenset({"write", "publish"}))
    desk_key = {"Authorization": f"Bearer {token}"}
    other = new_organization(app, "other")
    licensed = published_check(client, desk_key, "Wages doubled")
    unlicensed = published_check(client, other, "Rents fell")
    items = {e["@id"]: e["item"] for e in client.get(FEED).get_json()["dataFeedElement"]}
    site = "http://factcheck.test/api/v1/fact-checks"
    assert items[f"{site}/{licensed['id']}"]["sdLicense"] == licence
    assert "sdLicense" not in items[f"{site}/{unlicensed['id']}"]
    served = client.get(f"/api/v1/fact-checks/{licensed['id']}/claimreview").get_json()
    assert served["sdLicense"] == licence

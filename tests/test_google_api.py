"""Google's generated client against this service: claims.search, claims.imageSearch and the
five pages.* methods, with the discovery document the client ships and only the endpoint changed,
against a real HTTP server."""

import copy
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from googleapiclient.errors import HttpError

from factcheck.storage.db import db

from . import google_client
from .conftest import ARTICLE, new_organization

PAGE: dict[str, Any] = {
    "pageUrl": "https://desk.example.org/checks/budget",
    "claimReviewMarkups": [
        {
            "claimReviewed": "Inflation halved within one year",
            "claimAuthor": {"name": "The Minister", "jobTitle": "Finance minister"},
            "claimDate": "2024-05-01",
            "claimAppearances": ["https://news.example.com/2024/05/budget"],
            "rating": {
                "textualRating": "Mostly false",
                "ratingValue": 2,
                "bestRating": 5,
                "worstRating": 1,
                "ratingExplanation": "Inflation fell by a third, not a half.",
            },
        }
    ],
}


@pytest.fixture
def endpoint(app: Flask) -> Iterator[str]:
    with google_client.serving(app) as url:
        yield url


@pytest.fixture
def api(endpoint: str, writer: dict[str, str]) -> Any:
    return google_client.client(endpoint, google_client.bearer(writer))


def page(page_url: str = PAGE["pageUrl"], **changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(PAGE)
    made["pageUrl"] = page_url
    made["claimReviewMarkups"][0].update(changes)
    return made


def error_of(raised: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raised.value.content)["error"]
    # Google's shape: the client shows error.message as the reason.
    assert raised.value.reason == body["message"]
    assert set(body) >= {"code", "message", "status"}
    assert body["code"] == raised.value.status_code
    return body


def raw(endpoint: str, path: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(endpoint + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def timestamps(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"claimDate", "reviewDate", "publishDate"}:
                yield item
            yield from timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item)


def with_z(value: Any) -> Any:
    """The native route's RFC 3339 times (+00:00) as Google writes them."""
    if isinstance(value, dict):
        return {
            key: item.replace("+00:00", "Z") if key in {"claimDate", "reviewDate"} else with_z(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [with_z(item) for item in value]
    return value


# --- claims.search ----------------------------------------------------------------------------


def test_claims_search_answers_at_googles_path_with_z_times(
    app: Flask, endpoint: str, seeded: list[str]
) -> None:
    search = google_client.client(endpoint).claims()
    found = search.search(query="beijing olympics", pageSize=2).execute()
    assert [claim["text"][:27] for claim in found["claims"]][0] == "The Beijing Winter Olympics"
    stamps = list(timestamps(found))
    assert stamps and all(stamp.endswith("Z") and "+" not in stamp for stamp in stamps)
    # The same answer as the native route, field for field, its times written with Z.
    native = app.test_client().get("/api/v1/claims:search?query=beijing%20olympics&pageSize=2")
    assert with_z(native.get_json()) == found


def test_claims_search_pages_with_next_page_token_and_offset(
    endpoint: str, seeded: list[str]
) -> None:
    search = google_client.client(endpoint).claims()
    seen: list[str] = []
    request = search.search(query="china", pageSize=2)
    while request is not None:
        answer = request.execute()
        seen += [claim["text"] for claim in answer.get("claims", [])]
        request = search.search_next(request, answer)
    assert len(seen) == len(set(seen)) > 2
    shifted = search.search(query="china", pageSize=2, offset=1).execute()
    assert [claim["text"] for claim in shifted["claims"]] == seen[1:3]
    assert search.search(query="zzzunmatched").execute() == {}


def test_fields_selects_parts_of_the_answer(endpoint: str, seeded: list[str]) -> None:
    search = google_client.client(endpoint).claims()
    found = search.search(
        query="china", pageSize=2, fields="claims(text,claimReview/url),nextPageToken"
    ).execute()
    assert set(found) == {"claims", "nextPageToken"}
    for claim in found["claims"]:
        assert set(claim) == {"text", "claimReview"}
        assert [set(review) for review in claim["claimReview"]] == [{"url"}]
    only = search.search(query="china", fields="nextPageToken").execute()
    assert set(only) == {"nextPageToken"}


def test_pretty_print_and_standard_parameters(endpoint: str, seeded: list[str]) -> None:
    status, pretty = raw(endpoint, "/v1alpha1/claims:search?query=china&key=anything&alt=json")
    assert status == 200 and b"\n  " in pretty
    status, compact = raw(endpoint, "/v1alpha1/claims:search?query=china&prettyPrint=false")
    assert status == 200 and b"\n" not in compact
    assert json.loads(compact) == json.loads(pretty)
    status, body = raw(endpoint, "/v1alpha1/claims:search?query=china&alt=proto")
    assert status == 400 and json.loads(body)["error"]["status"] == "INVALID_ARGUMENT"


def test_search_errors_take_googles_shape(endpoint: str) -> None:
    search = google_client.client(endpoint).claims()
    with pytest.raises(HttpError) as raised:
        search.search().execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert "reviewPublisherSiteFilter" in error["message"]
    with pytest.raises(HttpError) as raised:
        search.search(query="china", pageSize=1000).execute()
    error = error_of(raised)
    violations = error["details"][0]["fieldViolations"]
    assert [v["field"] for v in violations] == ["pageSize"]
    with pytest.raises(HttpError) as raised:
        search.search(query="china", fields="claims(text").execute()
    assert error_of(raised)["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1alpha1/nothing"), ("PATCH", "/v1alpha1/pages/1"), ("GET", "/v1alpha1/pages/x")],
)
def test_unknown_methods_are_not_found_in_googles_shape(
    endpoint: str, method: str, path: str
) -> None:
    status, body = raw(endpoint, path, method)
    assert status == 404
    assert json.loads(body) == {
        "error": {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}
    }


def test_image_search_is_not_implemented(endpoint: str) -> None:
    with pytest.raises(HttpError) as raised:
        google_client.client(endpoint).claims().imageSearch(
            imageUri="https://example.org/a.png"
        ).execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (501, "UNIMPLEMENTED")


# --- pages.* ----------------------------------------------------------------------------------


def test_every_pages_method(app: Flask, api: Any) -> None:
    created = api.pages().create(body=PAGE).execute()
    assert created["name"].startswith("pages/")
    assert created["pageUrl"] == PAGE["pageUrl"]
    assert created["publishDate"].endswith("Z")
    assert created["claimReviewAuthor"] == {"name": "Desk Checks"}
    [made] = created["claimReviewMarkups"]
    assert made == {**PAGE["claimReviewMarkups"][0], "url": PAGE["pageUrl"]}
    assert api.pages().get(name=created["name"]).execute() == created
    assert api.pages().list().execute() == {"claimReviewMarkupPages": [created]}

    changed = copy.deepcopy(created)
    changed["claimReviewMarkups"][0]["claimReviewed"] = "Inflation halved in twelve months"
    updated = api.pages().update(name=created["name"], body=changed).execute()
    assert updated["claimReviewMarkups"][0]["claimReviewed"] == "Inflation halved in twelve months"
    assert updated["versionId"] != created["versionId"]

    assert api.pages().delete(name=created["name"]).execute() == {}
    with pytest.raises(HttpError) as raised:
        api.pages().get(name=created["name"]).execute()
    assert error_of(raised)["status"] == "NOT_FOUND"
    assert api.pages().list().execute() == {}
    # Published fact-checks are retracted, never deleted: the fact-check stays with its note.
    fact_check = app.test_client().get(f"/api/v1/fact-checks/{created['name'][6:]}").get_json()
    assert fact_check["status"] == "retracted"


def test_a_created_page_is_published_markup(app: Flask, api: Any) -> None:
    created = api.pages().create(body=PAGE).execute()
    check_id = created["name"].removeprefix("pages/")
    claimreview = app.test_client().get(f"/api/v1/fact-checks/{check_id}/claimreview").get_json()
    assert claimreview["url"] == PAGE["pageUrl"]
    assert claimreview["reviewRating"]["alternateName"] == "Mostly false"
    appearance = claimreview["itemReviewed"]["appearance"][0]
    assert appearance["url"] == "https://news.example.com/2024/05/budget"


def test_the_article_is_found_by_its_normalised_url(
    app: Flask, api: Any, writer: dict[str, str]
) -> None:
    client = app.test_client()
    article = client.post("/api/v1/articles", json=ARTICLE, headers=writer).get_json()
    variant = "HTTPS://News.Example.com/2024/05/story/?utm_medium=feed"
    created = api.pages().create(body=page(claimAppearances=[variant])).execute()
    check = client.get(f"/api/v1/fact-checks/{created['name'][6:]}").get_json()
    assert check["articleId"] == article["id"]
    # The article's own URL comes first among the appearances, as the page shows it.
    assert created["claimReviewMarkups"][0]["claimAppearances"] == [article["url"]]


def test_several_markups_get_a_fragment_each_and_come_and_go(app: Flask, api: Any) -> None:
    second = copy.deepcopy(PAGE["claimReviewMarkups"][0])
    second["claimReviewed"] = "Unemployment is at a record low"
    body = copy.deepcopy(PAGE)
    body["claimReviewMarkups"].append(second)
    created = api.pages().create(body=body).execute()
    urls = [m["url"] for m in created["claimReviewMarkups"]]
    assert urls == [PAGE["pageUrl"] + "#claim-1", PAGE["pageUrl"] + "#claim-2"]

    # Drop the first, add a third: one retracted, one published, the page keeps its name.
    third = {**second, "claimReviewed": "Wages doubled"}
    changed = {**created, "claimReviewMarkups": [created["claimReviewMarkups"][1], third]}
    updated = api.pages().update(name=created["name"], body=changed).execute()
    assert updated["name"] == created["name"]
    assert [m["claimReviewed"] for m in updated["claimReviewMarkups"]] == [
        "Unemployment is at a record low",
        "Wages doubled",
    ]
    assert updated["claimReviewMarkups"][1]["url"] == PAGE["pageUrl"] + "#claim-3"
    first = app.test_client().get(f"/api/v1/fact-checks/{created['name'][6:]}").get_json()
    assert first["status"] == "retracted"


def test_pages_list_pages_and_filters(api: Any, writer: dict[str, str]) -> None:
    made = [
        api.pages().create(body=page(f"https://desk.example.org/checks/{n}")).execute()
        for n in range(3)
    ]
    first = api.pages().list(pageSize=2).execute()
    assert first["claimReviewMarkupPages"] == made[:2]
    rest = api.pages().list(pageSize=2, pageToken=first["nextPageToken"]).execute()
    assert rest == {"claimReviewMarkupPages": made[2:]}
    seen, request = [], api.pages().list(pageSize=1)
    while request is not None:
        answer = request.execute()
        seen += answer["claimReviewMarkupPages"]
        request = api.pages().list_next(request, answer)
    assert seen == made
    assert api.pages().list(offset=1).execute()["claimReviewMarkupPages"] == made[1:]
    by_url = api.pages().list(url="https://DESK.example.org/checks/1/").execute()
    assert by_url == {"claimReviewMarkupPages": [made[1]]}
    for own in ("desk.example.org", "www.desk.example.org", "desk"):
        assert len(api.pages().list(organization=own).execute()["claimReviewMarkupPages"]) == 3
    assert api.pages().list(organization="rival.example.org").execute() == {}
    with pytest.raises(HttpError) as raised:
        api.pages().list(organization="desk", url="https://desk.example.org/checks/1").execute()
    assert error_of(raised)["status"] == "INVALID_ARGUMENT"
    names = api.pages().list(fields="claimReviewMarkupPages/name").execute()
    assert names == {"claimReviewMarkupPages": [{"name": p["name"]} for p in made]}


def test_update_needs_the_current_version_id(api: Any, endpoint: str, writer: Any) -> None:
    created = api.pages().create(body=PAGE).execute()
    other_editor = google_client.client(endpoint, google_client.bearer(writer))
    read = other_editor.pages().get(name=created["name"]).execute()

    first = copy.deepcopy(created)
    first["claimReviewMarkups"][0]["claimReviewed"] = "Inflation halved in a year"
    api.pages().update(name=created["name"], body=first).execute()

    read["claimReviewMarkups"][0]["claimReviewed"] = "A stale edit"
    with pytest.raises(HttpError) as raised:
        other_editor.pages().update(name=created["name"], body=read).execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (409, "ABORTED")
    after = api.pages().get(name=created["name"]).execute()
    assert after["claimReviewMarkups"][0]["claimReviewed"] == "Inflation halved in a year"

    without = {key: value for key, value in after.items() if key != "versionId"}
    with pytest.raises(HttpError) as raised:
        api.pages().update(name=created["name"], body=without).execute()
    error = error_of(raised)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["fieldViolations"][0]["field"] == "versionId"


def test_a_changed_verdict_is_a_public_correction(app: Flask, api: Any) -> None:
    created = api.pages().create(body=PAGE).execute()
    changed = copy.deepcopy(created)
    changed["claimReviewMarkups"][0]["rating"].update(textualRating="False", ratingValue=1)
    updated = api.pages().update(name=created["name"], body=changed).execute()
    assert updated["claimReviewMarkups"][0]["rating"]["textualRating"] == "False"
    check = app.test_client().get(f"/api/v1/fact-checks/{created['name'][6:]}").get_json()
    assert [c["note"] for c in check["corrections"]] == ["Changed through pages.update: rating."]


def test_a_markup_that_breaks_a_rule_is_refused_with_its_field(api: Any) -> None:
    off_the_scale = {"textualRating": "False", "ratingValue": 9, "bestRating": 5, "worstRating": 1}
    bad = page(rating=off_the_scale)
    with pytest.raises(HttpError) as raised:
        api.pages().create(body=bad).execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    fields = [v["field"] for v in error["details"][0]["fieldViolations"]]
    assert "claimReviewMarkups[0].rating.ratingValue" in fields
    with pytest.raises(HttpError) as raised:
        api.pages().create(body={**PAGE, "unknownField": 1}).execute()
    assert error_of(raised)["details"][0]["fieldViolations"][0]["field"] == "unknownField"
    elsewhere = page("https://desk.example.org/checks/b", url="https://desk.example.org/a#x")
    with pytest.raises(HttpError) as raised:
        api.pages().create(body=elsewhere).execute()
    field = error_of(raised)["details"][0]["fieldViolations"][0]["field"]
    assert field == "claimReviewMarkups[0].url"


def test_a_second_page_at_the_same_url_already_exists(api: Any) -> None:
    api.pages().create(body=PAGE).execute()
    with pytest.raises(HttpError) as raised:
        api.pages().create(body=page("https://desk.example.org/checks/budget/")).execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (409, "ALREADY_EXISTS")


def test_concurrent_creates_at_one_url_make_one_page(app: Flask, writer: dict[str, str]) -> None:
    """Eight clients create the same page at once: one page, the others ALREADY_EXISTS (on
    PostgreSQL the check and the inserts are serialized by an advisory lock, not by chance)."""
    start = threading.Barrier(8)

    def create(_: int) -> int:
        start.wait()
        return app.test_client().post("/v1alpha1/pages", json=PAGE, headers=writer).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, range(8)))
    assert statuses == [200] + [409] * 7
    with app.app_context():
        listed = app.test_client().get("/v1alpha1/pages", headers=writer).get_json()
    assert len(listed["claimReviewMarkupPages"]) == 1


def test_pages_need_a_key_and_writing_needs_publish(app: Flask, endpoint: str) -> None:
    with pytest.raises(HttpError) as raised:
        google_client.client(endpoint).pages().list().execute()
    assert error_of(raised)["status"] == "UNAUTHENTICATED"
    # With a bad token Google's client asks its credentials to refresh (a static token cannot),
    # so the answer itself is read here.
    request = urllib.request.Request(
        endpoint + "/v1alpha1/pages", headers={"Authorization": "Bearer fck_bad_key"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["status"] == "UNAUTHENTICATED"
    writes_only = new_organization(app, "drafts", scopes="write")
    with pytest.raises(HttpError) as raised:
        google_client.client(endpoint, google_client.bearer(writes_only)).pages().create(
            body=PAGE
        ).execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")


def test_another_organizations_page_is_not_found(
    api: Any, endpoint: str, rival: dict[str, str]
) -> None:
    created = api.pages().create(body=PAGE).execute()
    theirs = google_client.client(endpoint, google_client.bearer(rival)).pages()
    for call in (
        theirs.get(name=created["name"]),
        theirs.update(name=created["name"], body=created),
        theirs.delete(name=created["name"]),
    ):
        with pytest.raises(HttpError) as raised:
            call.execute()
        assert error_of(raised)["status"] == "NOT_FOUND"
    assert theirs.list().execute() == {}
    assert theirs.list(url=PAGE["pageUrl"]).execute() == {}
    assert theirs.list(organization="desk").execute() == {}
    assert api.pages().get(name=created["name"]).execute() == created


def test_the_seed_is_one_page_of_thirteen_markups(
    app: Flask, endpoint: str, seeded: list[str]
) -> None:
    from factcheck.core import keys
    from factcheck.storage import store

    with app.app_context():
        organization = store.organization_by_slug("example-desk")
        assert organization is not None
        key = keys.issue(organization.id, "google", frozenset({"write", "publish"}))
    listed = google_client.client(endpoint, key).pages().list().execute()
    [seed_page] = listed["claimReviewMarkupPages"]
    assert seed_page["pageUrl"] == "https://factcheck.example.org/checks/trt-world-2022-03-17"
    assert len(seed_page["claimReviewMarkups"]) == 13
    assert all("#" in markup["url"] for markup in seed_page["claimReviewMarkups"])


def test_rate_limits_answer_in_googles_shape(database_url: str, redis_server: Any) -> None:
    from .conftest import make_app

    redis_server.client().flushdb()  # no counts left from another test
    limited = make_app(
        database_url, redis_server.url, RATE_LIMIT_ENABLED=True, RATE_LIMIT_READS="2 per minute"
    )
    with google_client.serving(limited) as url:
        search = google_client.client(url).claims()
        for _ in range(2):
            search.search(query="anything").execute()
        with pytest.raises(HttpError) as raised:
            search.search(query="anything").execute()
    error = error_of(raised)
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert raised.value.resp["retry-after"]
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_update_says_what_it_is_sent_and_no_more(api: Any) -> None:
    created = api.pages().create(body=PAGE).execute()
    changed = copy.deepcopy(created)
    [entry] = changed["claimReviewMarkups"]
    del entry["rating"]["ratingExplanation"], entry["claimAuthor"]["jobTitle"]
    updated = api.pages().update(name=created["name"], body=changed).execute()
    assert updated["claimReviewMarkups"] == changed["claimReviewMarkups"]
    assert api.pages().get(name=created["name"]).execute() == updated


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"{}"),
        ("application/json", b'{"pageUrl": '),
        ("application/json", b"[]"),
        ("application/json", b'{"pageUrl": "x"}' + b" " * (1024 * 1024)),
    ],
)
def test_bad_bodies_are_invalid_arguments(
    endpoint: str, writer: dict[str, str], content_type: str, body: bytes
) -> None:
    request = urllib.request.Request(
        endpoint + "/v1alpha1/pages",
        data=body,
        method="POST",
        headers={**writer, "Content-Type": content_type},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    answer = json.loads(refused.value.read())
    assert refused.value.code == 400
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert answer["error"]["message"]

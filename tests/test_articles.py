from flask.testing import FlaskClient

from .conftest import ARTICLE, create_article, create_fact_check, publish


def test_create_returns_location_and_strong_etag(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    response = create_article(client, writer)
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/articles/{body['id']}")
    assert response.headers["ETag"] == f'"article-{body["id"]}-v1"'
    assert body["headline"] == ARTICLE["headline"]
    assert body["organization"] == "desk"


def test_writes_need_a_key(client: FlaskClient) -> None:
    response = client.post("/api/v1/articles", json=ARTICLE)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_a_wrong_key_is_refused(client: FlaskClient, writer: dict[str, str]) -> None:
    token = writer["Authorization"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post("/api/v1/articles", json=ARTICLE, headers={"Authorization": forged})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_lookup_by_url_normalises(client: FlaskClient, writer: dict[str, str]) -> None:
    created = create_article(client, writer).get_json()
    response = client.get(
        "/api/v1/articles",
        query_string={"url": "HTTPS://News.Example.com:443/2024/05/story/?utm_medium=email"},
        headers=writer,
    )
    assert [item["id"] for item in response.get_json()] == [created["id"]]


def test_same_url_twice_is_a_conflict(client: FlaskClient, writer: dict[str, str]) -> None:
    create_article(client, writer)
    again = client.post(
        "/api/v1/articles",
        json={**ARTICLE, "url": "https://news.example.com/2024/05/story/"},
        headers=writer,
    )
    assert again.status_code == 409


def test_an_article_without_url_is_allowed(client: FlaskClient, writer: dict[str, str]) -> None:
    first = create_article(client, writer, url=None).get_json()
    second = create_article(client, writer, url=None).get_json()
    assert first["url"] is None and second["id"] != first["id"]


def test_unpublished_articles_are_private(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    article = create_article(client, writer).get_json()
    path = f"/api/v1/articles/{article['id']}"
    assert client.get(path, headers=writer).status_code == 200
    assert client.get(path).status_code == 404
    assert client.get(path, headers=rival).status_code == 404
    assert client.get("/api/v1/articles").get_json() == []


def test_an_article_becomes_public_with_its_first_published_check(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article = create_article(client, writer).get_json()
    check = create_fact_check(client, writer, article["id"])
    assert publish(client, writer, check).status_code == 200
    assert client.get(f"/api/v1/articles/{article['id']}").status_code == 200
    assert [a["id"] for a in client.get("/api/v1/articles").get_json()] == [article["id"]]


def test_patch_needs_if_match(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer)
    path = article.headers["Location"]
    missing = client.patch(path, json={"headline": "New"}, headers=writer)
    assert missing.status_code == 428
    stale = client.patch(
        path, json={"headline": "New"}, headers={**writer, "If-Match": '"article-1-v99"'}
    )
    assert stale.status_code == 412
    fresh = client.patch(
        path, json={"headline": "New"}, headers={**writer, "If-Match": article.headers["ETag"]}
    )
    assert fresh.status_code == 200
    assert fresh.get_json()["headline"] == "New"
    assert fresh.headers["ETag"].endswith('-v2"')
    reused = client.patch(
        path, json={"headline": "Newer"}, headers={**writer, "If-Match": article.headers["ETag"]}
    )
    assert reused.status_code == 412


def test_if_match_star_overrides(client: FlaskClient, writer: dict[str, str]) -> None:
    path = create_article(client, writer).headers["Location"]
    response = client.patch(
        path, json={"author": "A. Reporter"}, headers={**writer, "If-Match": "*"}
    )
    assert response.status_code == 200


def test_other_organizations_get_404_on_writes(
    client: FlaskClient, writer: dict[str, str], rival: dict[str, str]
) -> None:
    path = create_article(client, writer).headers["Location"]
    assert (
        client.patch(path, json={"headline": "x"}, headers={**rival, "If-Match": "*"}).status_code
        == 404
    )
    assert client.delete(path, headers={**rival, "If-Match": "*"}).status_code == 404


def test_delete(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer)
    path = article.headers["Location"]
    response = client.delete(path, headers={**writer, "If-Match": article.headers["ETag"]})
    assert response.status_code == 204
    assert client.get(path, headers=writer).status_code == 404


def test_an_article_with_fact_checks_is_not_deleted(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article = create_article(client, writer)
    create_fact_check(client, writer, article.get_json()["id"])
    response = client.delete(article.headers["Location"], headers={**writer, "If-Match": "*"})
    assert response.status_code == 409


def test_text_change_must_keep_quotes(client: FlaskClient, writer: dict[str, str]) -> None:
    article = create_article(client, writer)
    create_fact_check(client, writer, article.get_json()["id"])
    response = client.patch(
        article.headers["Location"],
        json={"text": "Something else entirely."},
        headers={**writer, "If-Match": "*"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/text"


def test_list_pages_with_link_headers(client: FlaskClient, writer: dict[str, str]) -> None:
    for number in range(5):
        create_article(client, writer, url=f"https://news.example.com/{number}")
    response = client.get(
        "/api/v1/articles", query_string={"pageSize": 2, "page": 2}, headers=writer
    )
    assert len(response.get_json()) == 2
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    assert 'page=3&pageSize=2>; rel="next"' in links
    assert 'page=1&pageSize=2>; rel="prev"' in links
    assert 'page=3&pageSize=2>; rel="last"' in links

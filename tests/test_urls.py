"""URL normalisation for lookups: one key for the same page however it was linked."""

import pytest
from flask.testing import FlaskClient

from factcheck.core.urls import normalize

from .conftest import create_article, create_fact_check

PAGE = "https://news.example.com/2024/05/story"


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://NEWS.EXAMPLE.COM/2024/05/story",
        "https://news.example.com:443/2024/05/story",
        "https://news.example.com/2024/05/story/",
        "https://news.example.com/2024/05/story#comments",
        "https://news.example.com/2024/05/story?utm_source=x&UTM_Medium=y",
        "https://news.example.com/2024/05/story?fbclid=abc&gclid=def",
        "https://news.example.com/2024/05/story?mc_cid=1&mc_eid=2&yclid=3&_ga=4",
        "  https://news.example.com/2024/05/story  ",
    ],
)
def test_article_variants_share_one_key(variant: str) -> None:
    assert normalize(variant) == normalize(PAGE) == PAGE


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a?id=7&utm_campaign=z", "https://example.com/a?id=7"),
        ("https://example.com/A/Path", "https://example.com/A/Path"),
    ],
)
def test_what_identifies_a_page_is_kept(url: str, key: str) -> None:
    assert normalize(url) == key


def test_fact_check_pages_keep_their_fragment() -> None:
    assert normalize("https://Desk.example.org:443/c/?utm_source=x#two", keep_fragment=True) == (
        "https://desk.example.org/c#two"
    )


def test_article_lookup_ignores_fragment_and_tracking(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    created = create_article(client, writer).get_json()
    found = client.get(
        "/api/v1/articles",
        query_string={"url": "https://NEWS.example.com/2024/05/story/?fbclid=1&utm_term=2#top"},
        headers=writer,
    ).get_json()
    assert [item["id"] for item in found] == [created["id"]]


def test_fact_check_lookup_ignores_port_and_tracking(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article = create_article(client, writer).get_json()
    check = create_fact_check(client, writer, article["id"]).get_json()
    found = client.get(
        "/api/v1/fact-checks",
        query_string={"url": "https://desk.example.org:443/checks/inflation?gclid=9#halved"},
        headers=writer,
    ).get_json()
    assert [item["id"] for item in found] == [check["id"]]

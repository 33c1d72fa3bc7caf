"""GET /api/v1/fact-checks/match: has this sentence been checked already?"""

from flask.testing import FlaskClient

from factcheck.core.matching import similarity, trigrams

from .checks import published_check

MATCH = "/api/v1/fact-checks/match"


def test_a_reworded_claim_finds_its_check(client: FlaskClient, writer: dict[str, str]) -> None:
    wages = published_check(client, writer, "Wages doubled in the last two years")
    published_check(client, writer, "Rents fell sharply in the capital")
    published_check(client, writer, "Wages fell", draft=True)
    response = client.get(MATCH, query_string={"text": "Did wages double over the last 2 years?"})
    assert response.status_code == 200
    matches = response.get_json()
    assert [m["factCheck"]["id"] for m in matches] == [wages["id"]]
    assert 0.2 <= matches[0]["score"] <= 1


def test_scores_order_the_matches(client: FlaskClient, writer: dict[str, str]) -> None:
    close = published_check(client, writer, "Inflation halved within one year")
    loose = published_check(client, writer, "Inflation is the highest in a decade")
    matches = client.get(MATCH, query_string={"text": "inflation halved in one year"}).json
    assert [m["factCheck"]["id"] for m in matches][:1] == [close["id"]]
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert loose["id"] not in [m["factCheck"]["id"] for m in matches[:1]]


def test_the_quote_counts_too(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(
        client, writer, "Minister on crime", quote="Crime has fallen by half since 2020."
    )
    matches = client.get(MATCH, query_string={"text": "crime has fallen by half since 2020"}).json
    assert matches[0]["factCheck"]["id"] == check["id"]
    assert matches[0]["score"] > 0.9


def test_nothing_alike_is_an_empty_list(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Wages doubled")
    assert client.get(MATCH, query_string={"text": "the moon is cheese"}).json == []
    assert client.get(MATCH, query_string={"text": "the of and"}).json == []


def test_match_is_not_taken_for_an_id(client: FlaskClient, writer: dict[str, str]) -> None:
    check = published_check(client, writer, "Wages doubled")
    assert client.get(MATCH).status_code == 422
    assert client.get(f"/api/v1/fact-checks/{check['id']}").status_code == 200


def test_trigram_similarity() -> None:
    assert similarity(trigrams("wages doubled"), trigrams("Wages doubled!")) == 1
    assert similarity(trigrams("wages"), trigrams("rents")) == 0
    assert 0 < similarity(trigrams("wages doubled"), trigrams("wages tripled")) < 1

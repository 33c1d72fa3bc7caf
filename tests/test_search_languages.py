"""Each fact-check is indexed with the stemmer of its language, each query read in the language
of `languageCode`, else of Accept-Language, else English; other languages are plain words.
On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

import pytest
from flask.testing import FlaskClient

from .checks import published_check

SEARCH = "/api/v1/claims:search"

# (language, a claim, another form of one of its words)
INFLECTED = [
    ("en", "Sanctions cut the exports", "sanction"),
    ("fr", "Les élections ont été truquées", "truqué"),
    ("es", "Las elecciones fueron amañadas", "elección"),
    ("de", "Die Wahlen wurden gefälscht", "Wahl"),
    ("pt", "As eleições foram fraudadas", "fraudada"),
    ("ru", "Выборы были сфальсифицированы", "выборов"),
    ("tr", "Seçimlerde hile yapıldı", "seçimler"),
    ("ar", "الانتخابات مزورة", "انتخاب"),
]


def texts(client: FlaskClient, headers: dict[str, str] | None = None, **params: str) -> list[str]:
    response = client.get(SEARCH, query_string=params, headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return [claim["text"] for claim in response.get_json().get("claims", [])]


@pytest.fixture
def multilingual(client: FlaskClient, writer: dict[str, str]) -> None:
    for language, claim, _ in INFLECTED:
        published_check(client, writer, claim, language=language, body="", explanation="")


@pytest.mark.usefixtures("multilingual")
@pytest.mark.parametrize(("language", "claim", "form"), INFLECTED, ids=[i[0] for i in INFLECTED])
def test_another_form_is_found_in_the_language_code(
    client: FlaskClient, language: str, claim: str, form: str
) -> None:
    assert texts(client, query=form, languageCode=language) == [claim]


@pytest.mark.usefixtures("multilingual")
@pytest.mark.parametrize(("language", "claim", "form"), INFLECTED, ids=[i[0] for i in INFLECTED])
def test_accept_language_chooses_the_stemmer_without_filtering(
    client: FlaskClient, language: str, claim: str, form: str
) -> None:
    headers = {"Accept-Language": f"xx, {language}-XX;q=0.8, en;q=0.5"}
    assert claim in texts(client, headers, query=form)


@pytest.mark.usefixtures("multilingual")
def test_the_stemmer_decides(client: FlaskClient) -> None:
    # Read as English (the default), "Wahlen" stays "wahlen"; German makes it "wahl", as the
    # German claim's "Wahlen" was indexed.
    assert texts(client, query="Wahlen") == []
    assert texts(client, {"Accept-Language": "de"}, query="Wahlen") == [
        "Die Wahlen wurden gefälscht"
    ]


@pytest.mark.usefixtures("multilingual")
def test_language_code_filters_and_accept_language_does_not(client: FlaskClient) -> None:
    assert texts(client, query="Wahl", languageCode="fr") == []
    assert texts(client, {"Accept-Language": "fr"}, query="Wahl") == ["Die Wahlen wurden gefälscht"]


def test_a_language_without_a_stemmer_is_plain_words(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    published_check(client, writer, "Uchaguzi ulikuwa huru", language="sw")
    assert texts(client, query="UCHAGUZI", languageCode="sw") == ["Uchaguzi ulikuwa huru"]
    assert texts(client, query="uchaguzini", languageCode="sw") == []


def test_accents_are_folded(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "Le président a menti", language="fr")
    assert texts(client, query="president", languageCode="fr") == ["Le président a menti"]


def test_an_underscore_is_no_word(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "China sold drones")
    assert texts(client, query="_ china") == ["China sold drones"]
    # Joined by `_`, as by `-`, words are a phrase: "china drones" is not in the claim.
    assert texts(client, query="china_drones") == []
    assert texts(client, query="sold_drones") == ["China sold drones"]


def test_search_varies_with_accept_language(client: FlaskClient, writer: dict[str, str]) -> None:
    published_check(client, writer, "China sold drones")
    response = client.get(SEARCH, query_string={"query": "china"})
    assert "Accept-Language" in response.headers["Vary"]

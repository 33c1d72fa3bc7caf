"""Search queries parsed from a user's text into the index's terms, in the query's language."""

import re
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from factcheck.core.search import MAX_TERMS, Query, any_word, parse, query_language
from factcheck.storage.search_rank import Terms


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("beijing", (("beij",),)),
        ("Beijing OLYMPICS", (("beij",), ("olymp",))),
        ('"war plans"', (("war", "plan"),)),
        ('"war plans" china', (("war", "plan"), ("china",))),
        ("war-plans", (("war", "plan"),)),
        ("  beijing\t\nolympics  ", (("beij",), ("olymp",))),
        ("北京 Überfall", (("北京",), ("uberfal",))),
    ],
    ids=["word", "words-lowered", "phrase", "phrase-and-word", "hyphen", "whitespace", "unicode"],
)
def test_words_and_phrases_are_required(text: str, required: tuple[tuple[str, ...], ...]) -> None:
    assert parse(text) == Query(required=required)


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("china -drones", (("drone",),)),
        ('china -"war plans"', (("war", "plan"),)),
        ("china --drones", (("drone",),)),
    ],
    ids=["word", "phrase", "double-minus"],
)
def test_a_leading_minus_excludes(text: str, excluded: tuple[tuple[str, ...], ...]) -> None:
    assert parse(text) == Query(required=(("china",),), excluded=excluded)


def test_a_minus_inside_a_word_does_not_exclude() -> None:
    assert parse("anti-war") == Query(required=(("anti", "war"),))


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("the war", (("war",),)),
        ("THE War", (("war",),)),
        ('"the war of the roses"', (("war", "rose"),)),
        ("is it so", ()),
    ],
    ids=["word", "case", "inside-a-phrase", "only-stop-words"],
)
def test_stop_words_are_dropped(text: str, required: tuple[tuple[str, ...], ...]) -> None:
    assert parse(text).required == required


def test_an_excluded_stop_word_is_dropped() -> None:
    assert parse("war -the").excluded == ()


@pytest.mark.parametrize(
    ("text", "required"),
    [('"war plans', (("war", "plan"),)), ('china "war plans', (("china",), ("war", "plan")))],
    ids=["alone", "after-a-word"],
)
def test_an_unclosed_quote_runs_to_the_end(
    text: str, required: tuple[tuple[str, ...], ...]
) -> None:
    assert parse(text).required == required


def test_required_terms_are_capped() -> None:
    words = [f"w{n}" for n in range(MAX_TERMS + 5)]
    assert parse(" ".join(words)).required == tuple((word,) for word in words[:MAX_TERMS])


def test_excluded_terms_are_capped_on_their_own() -> None:
    words = [f"w{n}" for n in range(MAX_TERMS + 5)]
    query = parse("china " + " ".join(f"-{word}" for word in words))
    assert query.excluded == tuple((word,) for word in words[:MAX_TERMS])


def test_the_cap_counts_terms_left_after_stop_words() -> None:
    query = parse("the " * 100 + "china")
    assert query.required == (("china",),)


@pytest.mark.parametrize(
    "text", ["", "   ", "?!", '""', "- -- ---", '"!!" -"?"', "the of and", "-china"]
)
def test_a_query_without_required_words_is_falsy(text: str) -> None:
    assert not parse(text)


def test_a_query_with_a_required_word_is_truthy() -> None:
    assert parse("china")


def test_any_word_takes_every_word_once_in_order() -> None:
    assert any_word("War, war and WAR plans: the war!") == Query(
        required=(("war",), ("plan",)), any_of=True
    )


def test_any_word_ignores_quotes_and_minus() -> None:
    assert any_word('"war plans" -drones') == Query(
        required=(("war",), ("plan",), ("drone",)), any_of=True
    )


def test_any_word_is_capped() -> None:
    words = [f"w{n}" for n in range(MAX_TERMS + 5)]
    assert any_word(" ".join(words)).required == tuple((word,) for word in words[:MAX_TERMS])


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        (
            parse('beijing "war plans" -drones'),
            Terms(scored=("beij", "war", "plan"), pairs=("war plan",), excluded=(("drone",),)),
        ),
        (parse("china"), Terms(scored=("china",))),
        (
            parse('china -"war plans" -drones'),
            Terms(scored=("china",), excluded=(("war", "plan", "war plan"), ("drone",))),
        ),
        (any_word("war plans"), Terms(scored=("war", "plan"), any_of=True)),
        (
            parse('NOT "OR" AND NEAR(beijing) -"drones"'),
            Terms(scored=("near", "beij"), pairs=("near beij",), excluded=(("drone",),)),
        ),
        (parse("_ china"), Terms(scored=("china",))),
    ],
    ids=[
        "words-phrase-negation",
        "one-word",
        "negated-phrase",
        "any-of",
        "operators-as-words",
        "underscore-is-no-word",
    ],
)
def test_a_query_becomes_index_terms(query: Query, terms: Terms) -> None:
    assert query.terms() == terms


@pytest.mark.parametrize(
    ("text", "lang", "required"),
    [
        ("sanctions", "en", (("sanction",),)),
        ("élections", "fr", (("elect",),)),
        ("Wahlen", "de", (("wahl",),)),
        ("elecciones", "es", (("eleccion",),)),
        ("eleições", "pt", (("eleico",),)),
        ("выборы", "ru", (("выбор",),)),
        ("seçimler", "tr", (("secim",),)),
        ("الانتخابات", "ar", (("انتخاب",),)),
        ("Wahlen", "", (("wahlen",),)),
    ],
    ids=["en", "fr", "de", "es", "pt", "ru", "tr", "ar", "plain"],
)
def test_each_language_has_its_stemmer(
    text: str, lang: str, required: tuple[tuple[str, ...], ...]
) -> None:
    assert parse(text, lang).required == required


@pytest.mark.parametrize(
    ("language_code", "accepted", "lang"),
    [
        ("fr-CA", ["de"], "fr"),
        (None, ["xx", "de-AT", "fr"], "de"),
        (None, [], "en"),
        (None, ["xx"], "en"),
        ("xx", ["de"], ""),
    ],
    ids=["language-code-first", "first-accepted-with-a-stemmer", "default", "none-known", "plain"],
)
def test_the_query_language(language_code: str | None, accepted: list[str], lang: str) -> None:
    assert query_language(language_code, accepted) == lang


T = TypeVar("T", bound=Callable[..., object])

TERM_TEXT = re.compile(r"[^\W_]{1,64}")
TRICKY = [
    'a" OR b NEAR(c d) * ^e : f -"g',
    "x' OR 1=1 -- ",
    '\\" -(a | b) & !c <-> d:*',
    "İstanbul",
    "_ _",
    "a" * 200,
]


def tricky(test: T) -> T:
    for text in TRICKY:
        test = example(text=text)(test)
    return test


@pytest.mark.parametrize("build", [parse, any_word])
@given(text=st.text())
@tricky
def test_every_term_is_letters_and_digits(build: Callable[[str], Query], text: str) -> None:
    """Terms reach SQL only as bound values; still, none carries punctuation or runs long."""
    terms = build(text).terms()
    for term in (*terms.scored, *(t for group in terms.excluded for t in group)):
        assert " " in term or TERM_TEXT.fullmatch(term), term
    for pair in terms.pairs:
        assert all(TERM_TEXT.fullmatch(part) for part in pair.split(" ")), pair

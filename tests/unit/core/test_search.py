"""Search queries parsed from a user's text and written for FTS5 and websearch_to_tsquery."""

import re
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from factcheck.core.search import MAX_TERMS, Query, any_word, parse
from factcheck.storage.search_index import Match


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("beijing", (("beijing",),)),
        ("Beijing OLYMPICS", (("beijing",), ("olympics",))),
        ('"war plans"', (("war", "plans"),)),
        ('"war plans" china', (("war", "plans"), ("china",))),
        ("war-plans", (("war", "plans"),)),
        ("  beijing\t\nolympics  ", (("beijing",), ("olympics",))),
        ("北京 Überfall", (("北京",), ("überfall",))),
    ],
    ids=["word", "words-lowered", "phrase", "phrase-and-word", "hyphen", "whitespace", "unicode"],
)
def test_words_and_phrases_are_required(text: str, required: tuple[tuple[str, ...], ...]) -> None:
    assert parse(text) == Query(required=required)


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("china -drones", (("drones",),)),
        ('china -"war plans"', (("war", "plans"),)),
        ("china --drones", (("drones",),)),
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
        ('"the war of the roses"', (("war", "roses"),)),
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
    [('"war plans', (("war", "plans"),)), ('china "war plans', (("china",), ("war", "plans")))],
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
        required=(("war",), ("plans",)), any_of=True
    )


def test_any_word_ignores_quotes_and_minus() -> None:
    assert any_word('"war plans" -drones') == Query(
        required=(("war",), ("plans",), ("drones",)), any_of=True
    )


def test_any_word_is_capped() -> None:
    words = [f"w{n}" for n in range(MAX_TERMS + 5)]
    assert any_word(" ".join(words)).required == tuple((word,) for word in words[:MAX_TERMS])


@pytest.mark.parametrize(
    ("query", "match"),
    [
        (
            parse('beijing "war plans" -drones'),
            Match(
                fts5='("beijing" AND "war plans") NOT "drones"',
                websearch='beijing "war plans" -drones',
            ),
        ),
        (parse("china"), Match(fts5='("china")', websearch="china")),
        (
            parse('china -"war plans" -drones'),
            Match(
                fts5='("china") NOT "war plans" NOT "drones"',
                websearch='china -"war plans" -drones',
            ),
        ),
        (any_word("war plans"), Match(fts5='("war" OR "plans")', websearch="war or plans")),
        (
            parse('NOT "OR" AND NEAR(beijing) -"drones"'),
            Match(fts5='("near beijing") NOT "drones"', websearch='"near beijing" -drones'),
        ),
    ],
    ids=["words-phrase-negation", "one-word", "negated-phrase", "any-of", "operators-as-words"],
)
def test_a_query_is_written_for_both_engines(query: Query, match: Match) -> None:
    assert query.match() == match


T = TypeVar("T", bound=Callable[..., object])

# What the query text built here may hold: quoted phrases and the operators that join them.
PHRASE = re.compile(r'"([^"]*)"')
FTS5_OPERATORS = re.compile(r"(\(|\)| AND | OR | NOT )*")
WEBSEARCH_OPERATORS = re.compile(r"(\w+|-\w+| or | -| )*")
TRICKY = [
    'a" OR b NEAR(c d) * ^e : f -"g',
    "x' OR 1=1 -- ",
    '\\" -(a | b) & !c <-> d:*',
    "İstanbul",
]


def tricky(test: T) -> T:
    for text in TRICKY:
        test = example(text=text)(test)
    return test


def assert_plain_words(phrase: str, text: str) -> None:
    for token in phrase.split(" "):
        assert token in {word.lower() for word in re.findall(r"\w+", text)}
        # str.lower() makes "İ" (U+0130) "i" and U+0307, a combining dot outside \w: inside a
        # phrase it is no syntax to either engine.
        assert re.fullmatch(r"\w+", token.replace("\u0307", ""))


@pytest.mark.parametrize("build", [parse, any_word])
@given(text=st.text())
@tricky
def test_no_user_punctuation_reaches_the_fts5_syntax(
    build: Callable[[str], Query], text: str
) -> None:
    expression = build(text).match().fts5
    assert FTS5_OPERATORS.fullmatch(PHRASE.sub("", expression)), expression
    for phrase in PHRASE.findall(expression):
        assert_plain_words(phrase, text)


@pytest.mark.parametrize("build", [parse, any_word])
@given(text=st.text())
@tricky
def test_no_user_punctuation_reaches_the_websearch_syntax(
    build: Callable[[str], Query], text: str
) -> None:
    websearch = build(text).match().websearch
    assert WEBSEARCH_OPERATORS.fullmatch(PHRASE.sub("", websearch).replace("\u0307", "")), websearch
    for phrase in PHRASE.findall(websearch):
        assert_plain_words(phrase, text)

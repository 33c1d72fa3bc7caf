"""Every cached document's name. They are Redis keys already written by running processes, so a
change of spelling would leave old entries that no write ever drops: they are pinned here."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.storage.cache import names

IDS = st.integers(min_value=1, max_value=2**63 - 1)


def test_a_fact_checks_names_by_document() -> None:
    assert names.fact_check(9)._asdict() == {
        "json": "fc:9:json",
        "claimreview": "fc:9:ld",
        "page": "page:fc:9",
        "card": "page:fc:9:embed",
        "history": "fc:9:history",
    }


def test_an_articles_names_by_document() -> None:
    assert names.article(1)._asdict() == {
        "claimreviews": "article:1:ld",
        "page": "page:article:1",
    }


@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("example-desk", "org:example-desk"),
        ("a/b", "org:a%2Fb"),
        ("a:b", "org:a%3Ab"),
        ("1:ld", "org:1%3Ald"),
        ("über desk", "org:%C3%BCber%20desk"),
    ],
)
def test_an_organizations_name_quotes_its_slug(slug: str, name: str) -> None:
    assert names.organization(slug) == name


def test_showing_a_fact_check_is_its_documents_and_its_articles() -> None:
    assert sorted(names.showing_fact_check(9, 1)) == [
        "article:1:ld",
        "fc:9:history",
        "fc:9:json",
        "fc:9:ld",
        "page:article:1",
        "page:fc:9",
        "page:fc:9:embed",
    ]


def test_showing_an_article_is_its_documents_and_each_fact_checks() -> None:
    assert sorted(names.showing_article(1, [9, 10])) == [
        "article:1:ld",
        "fc:10:history",
        "fc:10:json",
        "fc:10:ld",
        "fc:9:history",
        "fc:9:json",
        "fc:9:ld",
        "page:article:1",
        "page:fc:10",
        "page:fc:10:embed",
        "page:fc:9",
        "page:fc:9:embed",
    ]


def test_showing_an_article_without_fact_checks_is_its_documents() -> None:
    assert sorted(names.showing_article(1, [])) == ["article:1:ld", "page:article:1"]


@given(IDS, IDS)
def test_showing_a_fact_check_grows_with_the_families(fact_check_id: int, article_id: int) -> None:
    shown = names.showing_fact_check(fact_check_id, article_id)
    assert set(shown) == {*names.fact_check(fact_check_id), *names.article(article_id)}


@given(IDS, st.lists(IDS, max_size=5))
def test_showing_an_article_grows_with_the_families(article_id: int, ids: list[int]) -> None:
    shown = names.showing_article(article_id, ids)
    expected = {*names.article(article_id), *(n for i in ids for n in names.fact_check(i))}
    assert set(shown) == expected


@given(IDS)
def test_no_two_documents_of_one_id_share_a_name(n: int) -> None:
    every = [*names.fact_check(n), *names.article(n), names.organization(str(n))]
    assert len(set(every)) == len(every)


@given(IDS, IDS, st.text(min_size=1))
def test_names_of_different_kinds_never_meet(
    fact_check_id: int, article_id: int, slug: str
) -> None:
    kinds = [
        set(names.fact_check(fact_check_id)),
        set(names.article(article_id)),
        {names.organization(slug)},
    ]
    assert all(a.isdisjoint(b) for a, b in itertools.combinations(kinds, 2))


@given(st.lists(IDS, min_size=2, max_size=5, unique=True))
def test_different_fact_checks_have_different_names(ids: list[int]) -> None:
    every = [name for fact_check_id in ids for name in names.fact_check(fact_check_id)]
    assert len(set(every)) == len(every)


@given(st.text(min_size=1))
def test_a_quoted_slug_has_no_separator(slug: str) -> None:
    quoted = names.organization(slug).removeprefix("org:")
    assert not {"/", ":", " "} & set(quoted)


def test_an_organizations_names_by_document() -> None:
    assert names.organization_documents("a/b")._asdict() == {
        "json": "org:a%2Fb",
        "page": "page:org:a%2Fb",
        "rating_scales": "org:a%2Fb:scales",
    }


def test_showing_an_organization_is_its_documents_and_all_of_its_work() -> None:
    shown = names.showing_organization("desk", [1], [9])
    assert sorted(shown) == sorted(
        [*names.organization_documents("desk"), *names.article(1), *names.fact_check(9)]
    )


@given(st.text(min_size=1), st.text(min_size=1))
def test_different_organizations_documents_never_meet(first: str, second: str) -> None:
    if first != second:
        assert set(names.organization_documents(first)).isdisjoint(
            names.organization_documents(second)
        )


@given(IDS, st.text(min_size=1))
def test_an_organizations_documents_meet_no_fact_checks_or_articles(n: int, slug: str) -> None:
    others = {*names.fact_check(n), *names.article(n)}
    assert others.isdisjoint(names.organization_documents(slug))

"""Search queries: a user's text parsed once into terms and phrases, in the query's language.

Words are all required; "quoted words" must appear together; -word must not appear. Words become
terms through storage/search_text, as the index's text does, so no user text reaches SQL but as
bound values of known terms.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from factcheck.storage import search_text
from factcheck.storage.filters import Filters
from factcheck.storage.search_rank import Terms

# A "quoted phrase" or a bare word, either of them negated by a leading minus.
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
MAX_TERMS = 32
# Without languageCode or a usable Accept-Language, a query is read as English.
DEFAULT_LANGUAGE = "en"

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """Phrases (a single term is a phrase of one) that must appear, or of which any may."""

    required: tuple[Phrase, ...] = ()
    excluded: tuple[Phrase, ...] = ()
    any_of: bool = False

    def __bool__(self) -> bool:
        return bool(self.required)

    def terms(self) -> Terms:
        """What storage/search_index.ranked matches and ranks on."""
        scored = tuple(dict.fromkeys(term for phrase in self.required for term in phrase))
        pairs = tuple(dict.fromkeys(p for phrase in self.required for p in _pairs(phrase)))
        excluded = tuple((*phrase, *_pairs(phrase)) for phrase in self.excluded)
        return Terms(scored, pairs, excluded, self.any_of)


def query_language(language_code: str | None, accepted: Iterable[str] = ()) -> str:
    """The language a query is stemmed in: `languageCode`, else the first Accept-Language
    that has a stemmer, else English."""
    if language_code:
        return search_text.language(language_code)
    for tag in accepted:
        found = search_text.language(tag)
        if found != search_text.PLAIN:
            return found
    return DEFAULT_LANGUAGE


def parse(text: str, lang: str = DEFAULT_LANGUAGE) -> Query:
    """Words are all required; "quoted words" must appear together; -word must not appear."""
    required: list[Phrase] = []
    excluded: list[Phrase] = []
    for term in TERM.finditer(text):
        negated = bool(term[1] or term[3])
        words = tuple(search_text.terms(term[2] if term[2] is not None else term[4], lang))
        if not words:
            continue
        (excluded if negated else required).append(words)
    return Query(tuple(required[:MAX_TERMS]), tuple(excluded[:MAX_TERMS]))


def any_word(text: str, lang: str = DEFAULT_LANGUAGE) -> Query:
    """Every term of a sentence, any of which may match: the candidates for similarity."""
    terms = dict.fromkeys(search_text.terms(text, lang))
    return Query(tuple((term,) for term in list(terms)[:MAX_TERMS]), any_of=True)


def _pairs(phrase: Phrase) -> list[str]:
    return search_text.pairs(list(phrase))


def filters_of(args: Mapping[str, Any]) -> Filters:
    """The filters among parsed query arguments (schemas/filters.py names them alike)."""
    return Filters(**{f.name: args.get(f.name) for f in fields(Filters)})

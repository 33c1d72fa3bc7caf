"""Search queries: a user's text parsed once into words and phrases, then written for each engine.

Words are all required; "quoted words" must appear together; -word must not appear. Queries are
rebuilt from plain word tokens, so no user text reaches an engine's query syntax.
"""

import re
from dataclasses import dataclass

from factcheck.storage.search_index import Match

WORD = re.compile(r"\w+")
# A "quoted phrase" or a bare word, either of them negated by a leading minus.
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
MAX_TERMS = 32
# PostgreSQL's english configuration drops its stop words (the Snowball list, below); FTS5 has
# no such list, so they are dropped here for both engines alike, and results agree.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """Phrases (a single word is a phrase of one) that must appear, or of which any may."""

    required: tuple[Phrase, ...] = ()
    excluded: tuple[Phrase, ...] = ()
    any_of: bool = False

    def __bool__(self) -> bool:
        return bool(self.required)

    def match(self) -> Match:
        """The query in both engines' syntax, for storage/search_index.ranked."""
        return Match(fts5=_fts5(self), websearch=_websearch(self))


def parse(text: str) -> Query:
    """Words are all required; "quoted words" must appear together; -word must not appear."""
    required: list[Phrase] = []
    excluded: list[Phrase] = []
    for term in TERM.finditer(text):
        negated = bool(term[1] or term[3])
        words = _words(term[2] if term[2] is not None else term[4])
        if not words:
            continue
        (excluded if negated else required).append(words)
    return Query(tuple(required[:MAX_TERMS]), tuple(excluded[:MAX_TERMS]))


def any_word(text: str) -> Query:
    """Every word of a sentence, any of which may match: the candidates for similarity."""
    words = dict.fromkeys(_words(text))
    return Query(tuple((word,) for word in list(words)[:MAX_TERMS]), any_of=True)


def _words(text: str) -> Phrase:
    return tuple(w for w in (m.lower() for m in WORD.findall(text)) if w not in STOP_WORDS)


def _fts5(query: Query) -> str:
    joiner = " OR " if query.any_of else " AND "
    expression = "(" + joiner.join(_quoted(phrase) for phrase in query.required) + ")"
    for phrase in query.excluded:
        expression += " NOT " + _quoted(phrase)
    return expression


def _quoted(phrase: Phrase) -> str:
    # Tokens are \w+ only, so they hold no double quote to escape.
    return '"' + " ".join(phrase) + '"'


def _websearch(query: Query) -> str:
    joiner = " or " if query.any_of else " "
    terms = [_quoted(phrase) if len(phrase) > 1 else phrase[0] for phrase in query.required]
    text = joiner.join(terms)
    for phrase in query.excluded:
        text += " -" + (_quoted(phrase) if len(phrase) > 1 else phrase[0])
    return text

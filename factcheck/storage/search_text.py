"""Text to search terms: words, stemmed with the Snowball stemmer of their language, then folded.

The index (search_index.py) and queries (core/search.py) both go through `terms`, so a query
word and an indexed word become the same term exactly when they should. Languages without a
stemmer here get the plain treatment: lower-cased, diacritics folded, not stemmed.
"""

import re
import threading
import unicodedata
from collections.abc import Iterable

import Stemmer

# Letters and digits; `_` is punctuation here (\w would keep it, and "_" would be a word).
WORD = re.compile(r"[^\W_]+")
# Longer runs are cut, alike in the index and in queries, so a term always fits its column.
MAX_TERM = 64

# ISO 639-1 codes and PyStemmer's algorithm names.
STEMMERS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
PLAIN = ""
# English function words (Snowball's English list) carry no meaning a search needs; a query of
# them alone finds nothing. Other languages keep theirs: BM25's idf makes them count little.
ENGLISH_STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)

# PyStemmer's stemmers are not thread-safe: one set per thread (the server's workers run threads).
_local = threading.local()


def language(tag: str | None) -> str:
    """The analysis language of a BCP 47 tag: its primary subtag when it has a stemmer, else
    PLAIN."""
    primary = (tag or "").split("-")[0].lower()
    return primary if primary in STEMMERS else PLAIN


def words(text: str | None, lang: str) -> list[str]:
    """The lower-cased words of `text`, English stop words left out when `lang` is en."""
    # Lower-cased after the split: "İ" lowers to "i" and a combining dot, which is no letter.
    found = [w.lower()[:MAX_TERM] for w in WORD.findall(text or "")]
    if lang == "en":
        return [w for w in found if w not in ENGLISH_STOP_WORDS]
    return found


def terms(text: str | None, lang: str) -> list[str]:
    """The search terms of `text` in language `lang`, in order (duplicates kept)."""
    return stems(words(text, lang), lang)


def stems(found: Iterable[str], lang: str) -> list[str]:
    stemmer = _stemmer(lang)
    listed = list(found)
    stemmed = stemmer.stemWords(listed) if stemmer is not None else listed
    folded = (_fold(stem) for stem in stemmed)
    return [term for term in folded if term]


def pairs(sequence: list[str]) -> list[str]:
    """Adjacent terms joined by a space: what a quoted phrase needs (a term holds no space)."""
    return [f"{first} {second}" for first, second in zip(sequence, sequence[1:], strict=False)]


def pair_terms(pair: str) -> tuple[str, str]:
    """The two terms of a pair that `pairs` made."""
    first, second = pair.split(" ")
    return first, second


def _stemmer(lang: str) -> "Stemmer.Stemmer | None":
    if lang == PLAIN:
        return None
    cache: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}
    if lang not in cache:
        cache[lang] = Stemmer.Stemmer(STEMMERS[lang])
    return cache[lang]


def _fold(term: str) -> str:
    """Diacritics off after stemming (the stemmers know their accents): é -> e, harakat gone."""
    if term.isascii():
        return term
    # NFD, not NFKD: compatibility forms such as ¼ would decompose into punctuation.
    decomposed = unicodedata.normalize("NFD", term)
    return "".join(c for c in decomposed if not unicodedata.combining(c))

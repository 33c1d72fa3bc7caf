"""An exact BM25 ranking computed in Python from raw text, to check the service's index against.

Written apart from factcheck/storage/search_text.py and search_index.py: it tokenizes, stems,
counts and scores by itself, and shares only the definition's constants (field weights, k1, b,
the score scale, the English stop words, the stemmer of each language). A phrase here is a true
phrase: its words adjacent inside one field.
"""

import functools
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import Stemmer

from factcheck.storage.search_index import K1, SCALE, WEIGHTS, B
from factcheck.storage.search_text import ENGLISH_STOP_WORDS, STEMMERS

LETTERS = re.compile(r"[^\W_]+")


def analyse(text: str | None, lang: str) -> list[str]:
    words = [w.lower()[:64] for w in LETTERS.findall(text or "")]
    if lang == "en":
        words = [w for w in words if w not in ENGLISH_STOP_WORDS]
    if lang in STEMMERS:
        words = _stemmer(lang).stemWords(words)
    folded = (
        "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))
        for w in words
    )
    return [w for w in folded if w]


@functools.cache
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS[lang])


def language(tag: str | None) -> str:
    primary = (tag or "").split("-")[0].lower()
    return primary if primary in STEMMERS else ""


@dataclass
class Document:
    frequencies: Counter[str]
    length: int
    phrases: set[tuple[str, ...]]


@dataclass
class Reference:
    """Published fact-checks by id, each a mapping of field name (WEIGHTS' names) to text.

    With `keep`, only those terms' frequencies and those phrases are kept per document (the
    length and the document counts still come from every word), so a large collection fits in
    memory for the few queries a benchmark asks."""

    keep: set[str] | None = None
    keep_phrases: list[tuple[str, ...]] = field(default_factory=list)
    documents: dict[int, Document] = field(default_factory=dict)

    def add(self, fact_check_id: int, language_tag: str | None, texts: Mapping[str, str]) -> None:
        lang = language(language_tag)
        fields = {name: analyse(texts.get(name), lang) for name in WEIGHTS}
        frequencies: Counter[str] = Counter()
        for name, words in fields.items():
            for word in words:
                if self.keep is None or word in self.keep:
                    frequencies[word] += WEIGHTS[name]
        length = sum(WEIGHTS[name] * len(words) for name, words in fields.items())
        phrases = {p for p in self.keep_phrases if _has_phrase(fields.values(), list(p))}
        self.documents[fact_check_id] = Document(frequencies, length, phrases)

    def rank(
        self,
        words: Iterable[str],
        phrases: Iterable[list[str]] = (),
        allowed: set[int] | None = None,
    ) -> list[tuple[int, int]]:
        """(id, score) of every document holding all `words` (already analysed) and each
        phrase, best first, ties to the higher id."""
        wanted = list(dict.fromkeys(words))
        phrases = list(phrases)
        count = len(self.documents)
        if not count or not wanted:
            return []
        average = sum(d.length for d in self.documents.values()) / count
        held = {w: sum(1 for d in self.documents.values() if w in d.frequencies) for w in wanted}
        c2, c3 = K1 * (1 - B), K1 * B / average
        found = []
        for fact_check_id, doc in self.documents.items():
            if allowed is not None and fact_check_id not in allowed:
                continue
            if any(w not in doc.frequencies for w in wanted):
                continue
            if not all(tuple(phrase) in doc.phrases for phrase in phrases):
                continue
            score = 0
            for w in wanted:
                idf = math.log(1 + (count - held[w] + 0.5) / (held[w] + 0.5))
                c1 = idf * (K1 + 1) * SCALE
                tf = doc.frequencies[w]
                score += int(tf * c1 / (tf + c2 + doc.length * c3))
            found.append((fact_check_id, score))
        found.sort(key=lambda pair: (-pair[1], -pair[0]))
        return found


def _has_phrase(fields: Iterable[list[str]], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(
        words[i : i + size] == phrase for words in fields for i in range(len(words) - size + 1)
    )


@dataclass
class Streamed:
    """The same BM25 over a collection too large to hold (a million fact-checks): documents are
    added once each, in increasing id order (one streaming pass), and only the asked terms'
    postings (id, weighted frequency, length) and the asked phrases' documents are kept, with
    the number of documents and their summed length; then any number of queries of those terms
    are ranked. Memory: twelve bytes per kept posting."""

    keep: set[str]
    keep_phrases: list[tuple[str, ...]] = field(default_factory=list)
    count: int = 0
    total_length: int = 0
    postings: "dict[str, tuple[array[int], array[int], array[int]]]" = field(default_factory=dict)
    phrase_documents: dict[tuple[str, ...], set[int]] = field(default_factory=dict)
    _last: int = 0
    _terms: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A phrase is looked for only where its words are (kept) terms.
        self.keep = self.keep | {word for phrase in self.keep_phrases for word in phrase}

    def add(self, fact_check_id: int, language_tag: str | None, texts: Mapping[str, str]) -> None:
        if fact_check_id <= self._last:
            raise ValueError("documents must come in increasing id order")
        self._last = fact_check_id
        lang = language(language_tag)
        fields = {name: self._analyse(texts.get(name), lang) for name in WEIGHTS}
        length = sum(WEIGHTS[name] * len(words) for name, words in fields.items())
        self.count += 1
        self.total_length += length
        frequencies: Counter[str] = Counter()
        for name, words in fields.items():
            for word in words:
                if word in self.keep:
                    frequencies[word] += WEIGHTS[name]
        for word, tf in frequencies.items():
            if word not in self.postings:
                self.postings[word] = (array("i"), array("i"), array("i"))
            ids, tfs, lengths = self.postings[word]
            ids.append(fact_check_id)
            tfs.append(tf)
            lengths.append(length)
        for phrase in self.keep_phrases:
            if all(word in frequencies for word in phrase) and _has_phrase(
                fields.values(), list(phrase)
            ):
                self.phrase_documents.setdefault(phrase, set()).add(fact_check_id)

    def _analyse(self, text: str | None, lang: str) -> list[str]:
        """analyse(), each distinct word stemmed and folded once (a million texts repeat a few
        hundred words)."""
        words = [w.lower()[:64] for w in LETTERS.findall(text or "")]
        if lang == "en":
            words = [w for w in words if w not in ENGLISH_STOP_WORDS]
        found = []
        for word in words:
            term = self._terms.get((lang, word))
            if term is None:
                stemmed = _stemmer(lang).stemWord(word) if lang in STEMMERS else word
                term = "".join(
                    c for c in unicodedata.normalize("NFD", stemmed) if not unicodedata.combining(c)
                )
                self._terms[(lang, word)] = term
            if term:
                found.append(term)
        return found

    def rank(
        self,
        words: Iterable[str],
        phrases: Iterable[list[str]] = (),
        allowed: set[int] | None = None,
    ) -> list[tuple[int, int]]:
        """As Reference.rank: (id, score) of every document holding all `words` and each
        phrase, best first, ties to the higher id."""
        wanted = list(dict.fromkeys(words))
        if not self.count or not wanted or any(w not in self.postings for w in wanted):
            return []
        average = self.total_length / self.count
        c2, c3 = K1 * (1 - B), K1 * B / average
        # The rarest term's documents are the candidates; the others are found by bisection
        # (every term's ids are in increasing order).
        wanted.sort(key=lambda w: len(self.postings[w][0]))
        scores: dict[int, int] = {}
        first, *others = wanted
        ids, tfs, lengths = self.postings[first]
        c1 = _idf(self.count, len(ids)) * (K1 + 1) * SCALE
        needed = [self.phrase_documents.get(tuple(p), set()) for p in phrases]
        for fact_check_id, tf, length in zip(ids, tfs, lengths, strict=True):
            if allowed is not None and fact_check_id not in allowed:
                continue
            if not all(fact_check_id in held for held in needed):
                continue
            scores[fact_check_id] = int(tf * c1 / (tf + c2 + length * c3))
        for word in others:
            ids, tfs, lengths = self.postings[word]
            c1 = _idf(self.count, len(ids)) * (K1 + 1) * SCALE
            kept: dict[int, int] = {}
            for fact_check_id, score in scores.items():
                at = bisect_left(ids, fact_check_id)
                if at < len(ids) and ids[at] == fact_check_id:
                    tf, length = tfs[at], lengths[at]
                    kept[fact_check_id] = score + int(tf * c1 / (tf + c2 + length * c3))
            scores = kept
        return sorted(scores.items(), key=lambda pair: (-pair[1], -pair[0]))


def _idf(count: int, held: int) -> float:
    return math.log(1 + (count - held + 0.5) / (held + 0.5))

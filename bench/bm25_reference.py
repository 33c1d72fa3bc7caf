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

"""The cache entry format of a Document: what was encoded decodes, anything damaged is a miss."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.storage.documents import Document

# ETags and media types are header values: visible ASCII, never a newline.
HEADER = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
DOCUMENTS = st.builds(Document, body=st.binary(max_size=2000), etag=HEADER, media_type=HEADER)

LD = Document(b'{"@type": "ClaimReview"}', '"fc-9-abc"', "application/ld+json")


def digest(body: bytes, media_type: bytes = b"application/ld+json", etag: bytes = b'"e"') -> bytes:
    """What the entry's third line must be: a checksum of media type, ETag and body."""
    return hashlib.sha256(b"\n".join((media_type, etag, body))).hexdigest()[:32].encode()


@given(DOCUMENTS)
def test_an_encoded_document_decodes_to_itself(document: Document) -> None:
    assert Document.decode(document.encode()) == document


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\n",
        b"line one\nline two\n\n",
        "Pekin’de “savaş” — 北京".encode(),
        bytes(range(256)),
    ],
    ids=["empty", "newline", "newlines", "non-ascii", "every-byte"],
)
def test_a_body_decodes_byte_for_byte(body: bytes) -> None:
    document = Document(body, '"e"', "text/html; charset=utf-8")
    assert Document.decode(document.encode()) == document


def test_the_entry_is_media_type_etag_digest_and_body_on_lines() -> None:
    # Entries written by running processes must stay readable: the format is pinned.
    checksum = digest(LD.body, etag=b'"fc-9-abc"')
    assert LD.encode() == b'application/ld+json\n"fc-9-abc"\n' + checksum + b"\n" + LD.body


def test_none_decodes_to_none() -> None:
    assert Document.decode(None) is None


@given(DOCUMENTS, st.data())
def test_a_truncated_entry_is_a_miss(document: Document, data: st.DataObject) -> None:
    entry = document.encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(entry) - 1))
    assert Document.decode(entry[:cut]) is None


@given(st.binary(min_size=1, max_size=500), st.data())
def test_a_flipped_byte_in_the_body_is_a_miss(body: bytes, data: st.DataObject) -> None:
    entry = bytearray(Document(body, '"e"', "text/plain").encode())
    start = len(entry) - len(body)
    at = data.draw(st.integers(min_value=start, max_value=len(entry) - 1))
    entry[at] ^= data.draw(st.integers(min_value=1, max_value=255))
    assert Document.decode(bytes(entry)) is None


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"application/ld+json",
        b'application/ld+json\n"e"',
        b'application/ld+json\n"e"\n' + digest(b"body"),
    ],
    ids=["empty", "media-type-only", "no-digest", "no-body"],
)
def test_an_entry_missing_parts_is_a_miss(entry: bytes) -> None:
    assert Document.decode(entry) is None


@pytest.mark.parametrize(
    "wrong",
    [digest(b"another body"), digest(LD.body).upper(), digest(LD.body)[:-1], b""],
    ids=["other-body", "upper-case", "short", "empty"],
)
def test_an_entry_with_a_wrong_digest_is_a_miss(wrong: bytes) -> None:
    entry = b"\n".join((b"application/ld+json", b'"e"', wrong, LD.body))
    assert Document.decode(entry) is None


@pytest.mark.parametrize(
    ("media_type", "etag"),
    [(b"application/ld+json", '"é"'.encode()), ("téxt/html".encode(), b'"e"'), (b"\xff", b'"e"')],
    ids=["etag", "media-type", "invalid-utf-8"],
)
def test_an_entry_with_non_ascii_headers_is_a_miss(media_type: bytes, etag: bytes) -> None:
    entry = b"\n".join((media_type, etag, digest(LD.body, media_type, etag), LD.body))
    assert Document.decode(entry) is None


@given(DOCUMENTS, st.data())
def test_a_flipped_byte_in_the_media_type_or_etag_is_a_miss(
    document: Document, data: st.DataObject
) -> None:
    entry = bytearray(document.encode())
    headers = len(document.media_type) + 1 + len(document.etag)
    if headers == 1:
        return  # nothing to flip
    at = data.draw(st.integers(min_value=0, max_value=headers - 1).filter(lambda i: entry[i] != 10))
    # Flip into another visible ASCII character, so the damage is neither a newline nor non-ASCII.
    entry[at] = 0x21 + (entry[at] - 0x21 + data.draw(st.integers(1, 93))) % 94
    assert Document.decode(bytes(entry)) is None


def test_a_decoded_document_is_public() -> None:
    # Only public documents are cached, so whatever comes back from the cache is one.
    entry = Document(b"x", '"e"', "text/plain", public=False).encode()
    assert Document.decode(entry) == Document(b"x", '"e"', "text/plain", public=True)

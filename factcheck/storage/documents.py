"""A rendered document: the exact bytes served, with their strong ETag and media type.

What the cache stores and what a public read returns. `encode`/`decode` are its cache entry
format, checksummed (media type, ETag and body) so that a corrupt or truncated entry reads as a
miss.
"""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str
    media_type: str
    # Only public documents are cached; a draft is built for its own organization each time.
    public: bool = True

    def encode(self) -> bytes:
        media_type, etag = self.media_type.encode(), self.etag.encode()
        return b"\n".join((media_type, etag, _digest(media_type, etag, self.body), self.body))

    @classmethod
    def decode(cls, raw: bytes | None) -> "Document | None":
        """None for anything that is not a whole entry, so corrupt cache values are misses."""
        if raw is None:
            return None
        parts = raw.split(b"\n", 3)
        if len(parts) != 4:
            return None
        media_type, etag, digest, body = parts
        if _digest(media_type, etag, body) != digest:
            return None
        try:
            return cls(body, etag.decode("ascii"), media_type.decode("ascii"))
        except UnicodeDecodeError:
            return None


def _digest(media_type: bytes, etag: bytes, body: bytes) -> bytes:
    return hashlib.sha256(b"\n".join((media_type, etag, body))).hexdigest()[:32].encode()

"""Documents as bytes: JSON written once, the way every response writes it, with its ETag."""

import hashlib
import json
from typing import Any

from factcheck.storage.documents import Document
from factcheck.storage.models import Article, FactCheck


def serialize(document: Any) -> bytes:
    """The bytes Flask would send for `document`: indented, UTF-8, a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def content_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def version_etag(resource: Article | FactCheck) -> str:
    """A resource's ETag names its version, so If-Match can say which one a change was made on."""
    kind = "article" if isinstance(resource, Article) else "fact-check"
    return f'"{kind}-{resource.id}-v{resource.version}"'


def json_document(
    value: Any, media_type: str = "application/json", public: bool = True
) -> Document:
    body = serialize(value)
    return Document(body, content_etag(body), media_type, public)


def html_document(html: str) -> Document:
    body = html.encode()
    return Document(body, content_etag(body), "text/html")

"""A write's answer: rendered inside the write's transaction from the row version it flushed,
kept under the request's Idempotency-Key in that same transaction, sent after the commit.

So the status, ETag, version and body of every 2xx write describe exactly what that write
committed; a read after the commit could show another writer's later version.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app
from marshmallow import Schema

from factcheck.core import idempotency as keys
from factcheck.core.documents import serialize, version_etag
from factcheck.storage.models import Article, FactCheck
from factcheck.web import idempotency

Result = TypeVar("Result")


def answer(work: Callable[[], Result], render: Callable[[Result], Response]) -> Response:
    """Run the use case `work`; `render` its result before the commit."""
    stored, replay = keys.write(
        idempotency.current_claim(), work, lambda result: idempotency.kept(render(result))
    )
    return idempotency.response_of(stored, replay)


def resource(
    schema: Schema,
    status: int = 200,
    location: Callable[[Any], str] | None = None,
    versioned: Callable[[Any], Article | FactCheck] = lambda found: found,
) -> Callable[[Any], Response]:
    """A renderer: the resource dumped by `schema`, with the ETag of the version `versioned`
    finds in it, and a Location for a created one."""

    def render(found: Any) -> Response:
        response = current_app.response_class(
            serialize(schema.dump(found)), status=status, mimetype="application/json"
        )
        response.headers["ETag"] = version_etag(versioned(found))
        if location is not None:
            response.headers["Location"] = location(found)
        return response

    return render

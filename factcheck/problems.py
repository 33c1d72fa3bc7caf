"""The failures a client can act on, raised by any layer and rendered as problem+json by the web.

Each kind names its HTTP status and its problem type (`urn:factcheck:problem:<slug>`).
"""

from collections.abc import Mapping
from typing import Any


class Problem(Exception):
    """A failure with an HTTP status and a problem type; web/errors.py renders it."""

    status = 400
    slug = "bad-request"

    def __init_subclass__(
        cls, status: int | None = None, slug: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None and slug is not None:
            cls.status, cls.slug = status, slug

    def __init__(
        self,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        warnings: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.warnings = warnings
        self.headers = dict(headers or {})


class BadRequest(Problem, status=400, slug="bad-request"):
    """A header, the JSON, a query parameter or a page token is malformed."""


class Unauthorized(Problem, status=401, slug="unauthorized"):
    """No API key where one is needed, or a key that is not valid."""


class Forbidden(Problem, status=403, slug="forbidden"):
    """A valid key that lacks the scope the route needs."""


class NotFound(Problem, status=404, slug="not-found"):
    """Nothing there, or another organization's: the same answer, so nothing leaks."""


class Conflict(Problem, status=409, slug="conflict"):
    """The resource's state forbids it, or a unique value is taken."""


class Gone(Problem, status=410, slug="retracted"):
    """A retracted fact-check's ClaimReview: withdrawn, while the fact-check stays readable."""


class PreconditionFailed(Problem, status=412, slug="precondition-failed"):
    """If-Match names another version than the stored one."""


class UnsupportedMediaType(Problem, status=415, slug="unsupported-media-type"):
    """A body that is not JSON."""


class Unprocessable(Problem, status=422, slug="validation-error"):
    """Well-formed, but it breaks a rule: `errors` points at each field."""


class PreconditionRequired(Problem, status=428, slug="precondition-required"):
    """A change sent without If-Match."""


class DatabaseUnavailable(Problem, status=503, slug="database-unavailable"):
    """The database is locked, refuses connections or does not answer within its budget; the
    request may be retried after `Retry-After` seconds."""

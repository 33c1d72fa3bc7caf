"""Field types every schema shares: bounded clean text, http(s) URLs, language tags, paging.

Patterns are written as regular expressions so that the OpenAPI document and the published JSON
Schema files carry them too.
"""

import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, missing, validate

# C0 controls other than tab, newline and carriage return, DEL, and lone UTF-16 surrogates
# (which json.loads lets through from \ud800-style escapes) can break storage and embeds.
CLEAN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]*$"
HTTP_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f/?#@\\\[\]]+(?:[/?#][^\x00-\x20\x7f]*)?$"
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
MAX_URL = 2048

clean_text = validate.Regexp(
    CLEAN_TEXT,
    error="Contains a forbidden character: NUL, a control character other than tab or "
    "newline, DEL, or a lone surrogate.",
)


class Text(fields.String):
    """A string with a maximum length that refuses control characters and lone surrogates."""

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs: Any) -> None:
        validators: list[Callable[[Any], Any]] = [
            validate.Length(min=min_length, max=max_length),
            clean_text,
        ]
        super().__init__(validate=validators, **kwargs)


def _has_host(value: str) -> None:
    try:
        host = urlsplit(value).hostname
    except ValueError:
        host = None
    if not host:
        raise ValidationError("Not an absolute http(s) URL with a host name.")


class HttpUrl(fields.String):
    """An absolute http(s) URL with a host. The service stores it and never fetches it."""

    def __init__(self, **kwargs: Any) -> None:
        validators: list[Callable[[Any], Any]] = [
            validate.Length(max=MAX_URL),
            validate.Regexp(HTTP_URL, error="Not an absolute http(s) URL."),
            _has_host,
        ]
        super().__init__(validate=validators, **kwargs)


class LanguageTag(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=[
                validate.Length(max=35),
                validate.Regexp(LANGUAGE_TAG, error="Not a BCP 47 language tag."),
            ],
            **kwargs,
        )


MERGE_PATCH = "application/merge-patch+json"


def for_patch(schema_class: type[Schema]) -> Schema:
    """Top-level fields optional, as PATCH needs. Nested objects are JSON Merge Patches of their
    own (`merge_patch_of`), merged and validated whole by the use case."""
    names = tuple(
        name for name, field in schema_class._declared_fields.items() if not field.dump_only
    )
    return schema_class(partial=names)


def merge_patch_of(schema_class: type[Schema], name: str) -> type[Schema]:
    """`schema_class` as a JSON Merge Patch (RFC 7386) of a stored object: every member
    optional, `null` removes one. The members' own rules (types, lengths) still apply; the rules
    of the whole object (required members, the rating scale) apply to the merged result, which
    core/changes.merged checks with `schema_class` itself."""
    members: dict[str, Any] = {}
    for member, field in schema_class._declared_fields.items():
        optional = copy.copy(field)
        optional.required, optional.allow_none, optional.load_default = False, True, missing
        members[member] = optional
    return type(name, (Schema,), {**members, "__doc__": merge_patch_of.__doc__})


class StoredDate(fields.Date):
    """A date inside a JSON column, where it is stored as its ISO string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    page_size = fields.Integer(
        data_key="pageSize", load_default=20, validate=validate.Range(1, 100)
    )

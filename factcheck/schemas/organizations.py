"""Organizations: the fact-checker behind a fact-check, with its rating scale; and its API keys.

Organizations and keys are made by an operator from the CLI, whose input passes these schemas as
API input passes the others: the same field types, so the same limits and the same messages.
"""

from marshmallow import Schema, fields, validate

from factcheck.schemas.fields import HttpUrl, Text

# Lower-case words joined by hyphens: it is part of URLs (/api/v1/organizations/{slug}).
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class OrganizationSchema(Schema):
    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(
                SLUG, error="Lower-case letters and digits, in words joined by single hyphens."
            ),
        ],
    )
    name = Text(200, min_length=1, required=True)
    url = HttpUrl(required=True)
    logo = HttpUrl(allow_none=True)
    corrections_policy = HttpUrl(data_key="correctionsPolicy", allow_none=True)
    publishing_principles = HttpUrl(data_key="publishingPrinciples", allow_none=True)
    rating_scale = fields.Dict(data_key="ratingScale", dump_only=True)


class ApiKeySchema(Schema):
    """What an operator says about a new key (the key itself is made, never sent)."""

    name = Text(100, min_length=1, required=True)

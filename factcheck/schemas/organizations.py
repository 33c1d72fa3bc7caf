"""Organizations: the fact-checker behind a fact-check, with its rating scale; and its API keys.

Organizations and keys are made by an operator from the CLI, whose input passes these schemas as
API input passes the others: the same field types, so the same limits and the same messages. An
organization's admins change its details through the API (OrganizationPatchSchema).
"""

from marshmallow import Schema, fields, validate

from factcheck.schemas.fields import HttpUrl, LanguageTag, Text

# Lower-case words joined by hyphens: it is part of URLs (/api/v1/organizations/{slug}).
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SAME_AS = 10
MAX_LANGUAGES = 20


class OrganizationDetailsSchema(Schema):
    """What an organization says about itself: the fields its admins may change."""

    name = Text(200, min_length=1)
    url = HttpUrl()
    logo = HttpUrl(allow_none=True)
    corrections_policy = HttpUrl(data_key="correctionsPolicy", allow_none=True)
    publishing_principles = HttpUrl(data_key="publishingPrinciples", allow_none=True)
    methodology = HttpUrl(
        allow_none=True,
        metadata={
            "description": "How it checks claims (schema.org verificationFactCheckingPolicy)."
        },
    )
    ownership_funding_info = HttpUrl(data_key="ownershipFundingInfo", allow_none=True)
    error_reporting_url = HttpUrl(
        data_key="errorReportingUrl",
        allow_none=True,
        metadata={
            "description": "Where readers report an error (schema.org actionableFeedbackPolicy)."
        },
    )
    # `null` in a patch empties them, as for the other optional fields.
    languages = fields.List(
        LanguageTag(), validate=validate.Length(max=MAX_LANGUAGES), allow_none=True
    )
    same_as = fields.List(
        HttpUrl(),
        data_key="sameAs",
        validate=validate.Length(max=MAX_SAME_AS),
        allow_none=True,
        metadata={"description": "Its profiles elsewhere (Wikidata, social networks)."},
    )
    sd_license = HttpUrl(
        data_key="sdLicense",
        allow_none=True,
        metadata={"description": "The license of its ClaimReview data (schema.org sdLicense)."},
    )


class OrganizationSchema(OrganizationDetailsSchema):
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
    version = fields.Integer(dump_only=True)
    rating_scale = fields.Dict(data_key="ratingScale", dump_only=True)
    rating_scale_version = fields.Integer(
        data_key="ratingScaleVersion",
        dump_only=True,
        metadata={"description": "The version of `ratingScale` (see /rating-scales)."},
    )
    date_modified = fields.AwareDateTime(data_key="dateModified", dump_only=True)


class OrganizationPatchSchema(OrganizationDetailsSchema):
    """A JSON Merge Patch (RFC 7386) of an organization: fields left out stay as they are, `null`
    removes an optional one; lists are replaced whole."""


class ApiKeySchema(Schema):
    """What an operator says about a new key (the key itself is made, never sent)."""

    name = Text(100, min_length=1, required=True)
